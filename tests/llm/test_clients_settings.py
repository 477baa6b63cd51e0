"""LLM settings: precedence (env < config file < flags), validation messages, the client registry, the factory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hwnas.core.errors import ConfigError
from hwnas.llm.base import Request, Sampling, chat
from hwnas.llm.clients import CLIENTS, LLMSettings, load_settings, make_runner, register_client


def test_env_defaults_file_and_values_in_order(tmp_path: Path) -> None:
    env = {"HWNAS_LLM_BASE_URL": "http://env:8000/v1", "HWNAS_LLM_MODEL": "env-model", "HWNAS_LLM_API_KEY_ENV": "K"}
    from_env = load_settings(environ=env)
    assert (from_env.client, from_env.base_url, from_env.model, from_env.api_key_env) == (
        "openai", "http://env:8000/v1", "env-model", "K")  # fmt: skip
    config = tmp_path / "llm.yaml"
    config.write_text("llm:\n  model: file-model\n  temperature: 0.5\n  max_tokens: 8\n")
    merged = load_settings({"max_tokens": 16, "seed": None}, config_file=config, environ=env)
    assert (merged.model, merged.temperature, merged.max_tokens, merged.seed) == ("file-model", 0.5, 16, 0)
    assert load_settings({"model": "flag"}, base={"model": "base", "threads": 2}, environ=env).model == "flag"
    assert load_settings(base={"model": "base"}, environ=env).model == "base"


def test_client_is_inferred_unless_given() -> None:
    assert load_settings(environ={}).client == "embedded"
    assert load_settings({"replay_file": "r.jsonl"}, environ={}).client == "replay"
    assert load_settings({"base_url": "http://x/v1", "client": "embedded"}, environ={}).client == "embedded"


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"client": "gpt"}, r"config key 'client': unknown client 'gpt'; allowed: embedded, openai, replay"),
        ({"timeout_s": 0}, r"config key 'timeout_s': .*greater than 0"),
        ({"temperature": 3}, r"config key 'temperature'"),
        ({"backend": "vllm"}, r"config key 'backend'"),
        ({"api_key": "sk-x"}, r"unknown config key 'api_key'; allowed here: client, model"),
    ],
)
def test_bad_values_name_the_key(values: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(values, environ={})


def test_missing_client_requirements() -> None:
    with pytest.raises(ConfigError, match=r"llm\.model is required for client 'openai'"):
        make_runner(load_settings({"client": "openai"}, environ={}))
    with pytest.raises(ConfigError, match=r"llm\.replay_file is required"):
        make_runner(load_settings({"client": "replay"}, environ={}))


def test_registry_accepts_new_clients(llm_cache: Path) -> None:
    class Upper:
        def __init__(self, settings: LLMSettings) -> None:
            self.model = f"upper:{settings.model}"

        def complete(self, request: Request, *, timeout_s: float) -> str:
            return request.messages[-1].content.upper()

    register_client("upper", Upper)
    try:
        runner = make_runner(load_settings({"client": "upper", "model": "x", "cache_dir": llm_cache}, environ={}))
        assert runner.complete(Request(chat(("user", "hi")))).text == "HI"
        assert runner.cache is not None and runner.cache.root == llm_cache
    finally:
        del CLIENTS["upper"]


def test_embedded_runner_is_built_without_loading_the_model(tmp_path: Path) -> None:
    gguf = tmp_path / "tiny-model.gguf"
    gguf.write_bytes(b"GGUF not a real model")
    runner = make_runner(load_settings({"gguf": gguf, "concurrency": 8, "backend": "transformers"}, environ={}))
    assert runner.model == "embedded:tiny-model" and runner.concurrency == 1
    assert runner.client._backend is None  # type: ignore[attr-defined]


def test_sampling_from_settings() -> None:
    settings = load_settings({"temperature": 0.2, "seed": 9, "max_tokens": 4}, environ={})
    assert settings.sampling() == Sampling(temperature=0.2, top_p=1.0, max_tokens=4, seed=9)
    assert settings.sampling(max_tokens=64, stop=("\n",)).max_tokens == 64


def test_package_import_is_light() -> None:
    """``import hwnas.llm`` (and the CLI) must not pull torch, transformers or openai: only a used client does."""
    import subprocess
    import sys

    code = (
        "import sys, hwnas.llm, hwnas.cli.llm_cmd; "
        "print(sorted(m for m in ('torch', 'transformers', 'openai') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
