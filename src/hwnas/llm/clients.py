"""LLM settings (one pydantic model: YAML key = CLI flag = environment default) and the client registry.

Precedence, lowest first: the defaults below, ``HWNAS_LLM_*`` environment variables, a YAML config file, CLI flags.
``make_runner(settings)`` builds the named client from the registry and wraps it in a :class:`Runner`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from hwnas.configio import explain_validation_error, read_config_mapping
from hwnas.core.errors import ConfigError, HwnasError, UnknownNameError
from hwnas.llm.base import LLMClient, Sampling
from hwnas.llm.cache import ResponseCache
from hwnas.llm.devices import spelling_problem
from hwnas.llm.replay import Recorder
from hwnas.llm.runner import Progress, Runner

# Environment defaults for the keys people set once per machine or shell (the endpoint, not the experiment).
ENV_DEFAULTS = {
    "client": "HWNAS_LLM_CLIENT",
    "base_url": "HWNAS_LLM_BASE_URL",
    "model": "HWNAS_LLM_MODEL",
    "api_key_env": "HWNAS_LLM_API_KEY_ENV",
    "gguf": "HWNAS_LLM_GGUF",
    "device": "HWNAS_LLM_DEVICE",
}


class LLMSettings(BaseModel):
    """Which LLM to ask and how. ``client`` defaults to ``embedded``, or ``openai`` when a base URL is given, or
    ``replay`` when a replay file is given."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    client: str = Field("embedded", description="registered client: embedded, openai, replay")
    model: str | None = Field(None, description="openai: the served model name; replay: which recorded model")
    base_url: str | None = Field(None, description="openai: endpoint, e.g. http://localhost:8000/v1 (vLLM)")
    api_key_env: str = Field("OPENAI_API_KEY", description="name of the env variable holding the API key")
    replay_file: Path | None = Field(None, description="replay: JSONL file of recorded answers")
    record_file: Path | None = Field(None, description="append every answer to this replay file")
    timeout_s: float = Field(120.0, gt=0, description="seconds per attempt")
    max_retries: int = Field(2, ge=0, le=10, description="retries after a transient failure")
    backoff_s: float = Field(1.0, ge=0, description="first retry delay; doubles each retry, plus jitter")
    concurrency: int = Field(4, ge=1, le=256, description="requests in flight (embedded: always 1)")
    cache: bool = Field(True, description="use the disk cache of answers")
    cache_dir: Path | None = Field(None, description="default: $HWNAS_CACHE_DIR/llm/responses")
    gguf: Path | None = Field(None, description="embedded: a .gguf file instead of SmolLM2-135M-Instruct")
    backend: Literal["auto", "transformers", "llama_cpp"] = Field("auto", description="embedded model backend")
    adapter: Path | None = Field(
        None, description="embedded: a LoRA adapter folder (hwnas lm-searcher finetune) applied to the model"
    )
    structured_output: Literal["auto", "on", "off"] = Field(
        "auto",
        description="ask for answers constrained to a JSON schema: auto = where the client surely can (embedded "
        "llama_cpp; endpoints only with 'on', since servers differ)",
    )
    threads: int = Field(1, ge=1, le=256, description="embedded: torch / llama.cpp threads (on the CPU)")
    device: str = Field(
        "auto",
        description="embedded (transformers backend): auto (cuda when torch sees one, else cpu), cpu, cuda or cuda:N; "
        "on CUDA it runs under bf16 autocast",
    )
    temperature: float = Field(0.0, ge=0, le=2, description="0 = greedy")
    top_p: float = Field(1.0, gt=0, le=1)
    max_tokens: int = Field(32, ge=1, le=32768)
    seed: int | None = Field(0, description="sampling seed (sent to endpoints, seeds the embedded model)")

    @field_validator("client")
    @classmethod
    def _known_client(cls, value: str) -> str:
        if value not in CLIENTS:
            raise ValueError(f"unknown client {value!r}; allowed: {', '.join(sorted(CLIENTS))}")
        return value

    @field_validator("device")
    @classmethod
    def _device_spelling(cls, value: str) -> str:
        problem = spelling_problem(value)
        if problem is not None:  # whether CUDA is there is checked when the model is placed (it needs torch)
            raise ValueError(f"{problem} (flag --llm-device)")
        return value

    @model_validator(mode="after")
    def _infer_client(self) -> LLMSettings:
        if "client" not in self.model_fields_set:
            inferred = "replay" if self.replay_file else "openai" if self.base_url else "embedded"
            object.__setattr__(self, "client", inferred)
        return self

    def sampling(self, **overrides: Any) -> Sampling:
        """The sampling parameters these settings ask for (a caller may override e.g. ``max_tokens``)."""
        values = {"temperature": self.temperature, "top_p": self.top_p, "max_tokens": self.max_tokens}
        return Sampling(**{**values, "seed": self.seed, **overrides})


def env_defaults(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    env = os.environ if environ is None else environ
    return {key: env[var] for key, var in ENV_DEFAULTS.items() if env.get(var)}


def load_settings(
    values: Mapping[str, Any] | None = None,
    *,
    config_file: str | Path | None = None,
    base: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> LLMSettings:
    """Settings from env defaults < ``base`` (e.g. the ``llm:`` section of a command's own config) < a YAML file (its
    top level, or its ``llm:`` section) < ``values``.

    ``None`` in ``values`` means "not given" (unset CLI flags), so it never overrides a file or env value.
    """
    merged: dict[str, Any] = {**env_defaults(environ), **(base or {})}
    source = "llm settings"
    if config_file is not None:
        data = read_config_mapping(config_file)
        merged.update(data.get("llm", data) if isinstance(data.get("llm"), dict) else data)
        source = f"config file {str(config_file)!r}"
    merged.update({k: v for k, v in (values or {}).items() if v is not None})
    try:
        return LLMSettings(**merged)
    except ValidationError as exc:
        raise ConfigError(explain_validation_error(exc, LLMSettings, source=source)) from None


# --- client registry: name -> factory(settings) -------------------------------------------------------------------

ClientFactory = Callable[[LLMSettings], LLMClient]
CLIENTS: dict[str, ClientFactory] = {}


def register_client(name: str, factory: ClientFactory) -> None:
    CLIENTS[name] = factory


def _embedded(settings: LLMSettings) -> LLMClient:
    from hwnas.llm.embedded import EmbeddedClient

    return EmbeddedClient(
        gguf=settings.gguf,
        threads=settings.threads,
        backend=settings.backend,
        structured_output=settings.structured_output,
        adapter=settings.adapter,
        device=settings.device,
    )


def _openai(settings: LLMSettings) -> LLMClient:
    from hwnas.llm.openai_client import OpenAIClient

    if not settings.model:
        raise ConfigError(
            "llm.model is required for client 'openai': the model name the server serves "
            "(e.g. Qwen/Qwen2.5-7B-Instruct for vLLM, llama3.2 for Ollama, gpt-4o-mini for OpenAI)"
        )
    return OpenAIClient(
        model=settings.model,
        base_url=settings.base_url,
        api_key_env=settings.api_key_env,
        structured_output=settings.structured_output == "on",
    )


def _replay(settings: LLMSettings) -> LLMClient:
    from hwnas.llm.replay import ReplayClient

    if settings.replay_file is None:
        raise ConfigError("llm.replay_file is required for client 'replay': a JSONL file written with record_file")
    return ReplayClient(settings.replay_file, model=settings.model)


for _name, _factory in (("embedded", _embedded), ("openai", _openai), ("replay", _replay)):
    register_client(_name, _factory)


def make_client(settings: LLMSettings) -> LLMClient:
    if settings.client not in CLIENTS:
        raise UnknownNameError("LLM client", settings.client, list(CLIENTS))
    return CLIENTS[settings.client](settings)


def make_runner(settings: LLMSettings, *, client: LLMClient | None = None, progress: Progress | None = None) -> Runner:
    """The runner these settings describe (``client`` overrides the registry, e.g. a client shared by runs)."""
    client = client if client is not None else make_client(settings)
    use_cache = settings.cache and getattr(client, "cacheable", True)
    return Runner(
        client,
        cache=ResponseCache(settings.cache_dir) if use_cache else None,
        recorder=Recorder(settings.record_file) if settings.record_file is not None else None,
        timeout_s=settings.timeout_s,
        max_retries=settings.max_retries,
        backoff_s=settings.backoff_s,
        concurrency=settings.concurrency,
        seed=settings.seed or 0,
        progress=progress,
    )


def describe(settings: LLMSettings) -> dict[str, Any]:
    """What the settings resolve to (``hwnas llm info``): the client, its model id, where things are. Never the API
    key, only whether its variable is set. A client that cannot be built is reported, not raised."""
    info: dict[str, Any] = {"client": settings.client, "settings": settings.model_dump(mode="json")}
    info["cache_dir"] = str(ResponseCache(settings.cache_dir).root) if settings.cache else None
    try:
        client = make_client(settings)
    except HwnasError as exc:
        return {**info, "ready": False, "problem": str(exc)}
    details = client.describe() if callable(getattr(client, "describe", None)) else {}  # type: ignore[attr-defined]
    return {**info, "ready": True, "model": client.model, **details}
