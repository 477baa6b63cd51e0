"""`hwnas llm ...`: the LLM clients (fetch the embedded model, ask a question, show what a client spec resolves to).

The ``--llm-*`` flags are one reusable set: decorate any command with :func:`llm_options` and it gains them all
(each is a key of :class:`hwnas.llm.clients.LLMSettings`, also settable in a YAML file given with ``--llm-config``).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from hwnas.cli.common import fail, friendly_errors, option_group, print_json

if TYPE_CHECKING:
    from hwnas.llm.clients import LLMSettings

llm_app = typer.Typer(
    help="LLM clients: the embedded model, OpenAI-compatible endpoints, replay files.", no_args_is_help=True
)

LLM_PANEL = "LLM client (--llm-*; keys of an llm: config section)"

# CLI parameter -> (settings key, type, flag declaration, help). None as default means "not given".
LLM_FLAGS: dict[str, tuple[str | None, Any, str, str]] = {
    "llm_config": (None, Path | None, "--llm-config", "YAML file of LLM settings (top level or an llm: section)."),
    "llm_client": ("client", str | None, "--llm-client", "embedded | openai | replay (env HWNAS_LLM_CLIENT)."),
    "llm_model": ("model", str | None, "--llm-model", "Served model name (openai) (env HWNAS_LLM_MODEL)."),
    "llm_base_url": ("base_url", str | None, "--llm-base-url", "Endpoint, e.g. http://localhost:8000/v1."),
    "llm_api_key_env": ("api_key_env", str | None, "--llm-api-key-env", "NAME of the env var holding the API key."),
    "llm_replay": ("replay_file", Path | None, "--llm-replay", "Answer from this recorded JSONL file."),
    "llm_record": ("record_file", Path | None, "--llm-record", "Append every answer to this replay file."),
    "llm_timeout": ("timeout_s", float | None, "--llm-timeout", "Seconds per attempt (default 120)."),
    "llm_retries": ("max_retries", int | None, "--llm-retries", "Retries after a transient failure (default 2)."),
    "llm_backoff": ("backoff_s", float | None, "--llm-backoff", "First retry delay in s, doubling (default 1)."),
    "llm_concurrency": ("concurrency", int | None, "--llm-concurrency", "Requests in flight (default 4)."),
    "llm_cache": ("cache", bool | None, "--llm-cache/--no-llm-cache", "Use the disk cache of answers (default on)."),
    "llm_cache_dir": ("cache_dir", Path | None, "--llm-cache-dir", "Cache folder (default $HWNAS_CACHE_DIR/llm)."),
    "llm_gguf": ("gguf", Path | None, "--llm-gguf", "Embedded: a .gguf file (env HWNAS_LLM_GGUF)."),
    "llm_backend": ("backend", str | None, "--llm-backend", "Embedded: auto | transformers | llama_cpp."),
    "llm_threads": ("threads", int | None, "--llm-threads", "Embedded: CPU threads (default 1)."),
    "llm_device": (
        "device",
        str | None,
        "--llm-device",
        "Embedded: auto | cpu | cuda | cuda:N (auto: cuda when present; bf16 autocast there) (env HWNAS_LLM_DEVICE).",
    ),
    "llm_adapter": ("adapter", Path | None, "--llm-adapter", "Embedded: a LoRA adapter (hwnas lm-searcher finetune)."),
    "llm_structured_output": (
        "structured_output",
        str | None,
        "--llm-structured-output",
        "auto | on | off: constrain answers to JSON (auto: embedded llama_cpp only).",
    ),
    "llm_temperature": ("temperature", float | None, "--llm-temperature", "0 = greedy (default)."),
    "llm_top_p": ("top_p", float | None, "--llm-top-p", "Nucleus sampling mass (default 1)."),
    "llm_max_tokens": ("max_tokens", int | None, "--llm-max-tokens", "Longest answer in tokens (default 32)."),
    "llm_seed": ("seed", int | None, "--llm-seed", "Sampling seed (default 0)."),
}


def register(app: typer.Typer) -> None:
    app.add_typer(llm_app, name="llm")


def settings_from_flags(flags: Mapping[str, Any], *, base: Mapping[str, Any] | None = None) -> LLMSettings:
    """LLMSettings from ``--llm-*`` values (by parameter name; None = not given) over ``base`` and the env."""
    from hwnas.llm.clients import load_settings

    keys = {name: key for name, (key, *_) in LLM_FLAGS.items() if key is not None}
    values = {keys[name]: value for name, value in flags.items() if name in keys}
    return load_settings(values, config_file=flags.get("llm_config"), base=base)


def llm_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Give a Typer command every ``--llm-*`` flag. The command declares ``llm: LLMSettings`` (flags merged over
    ``--llm-config`` and the env) and/or ``llm_flags: dict`` (the raw values, to merge over its own config with
    :func:`settings_from_flags`). Put it below ``@friendly_errors`` so bad settings print one line."""
    wants = {"llm", "llm_flags"} & set(inspect.signature(func).parameters)
    if not wants:
        raise TypeError(f"{func.__name__} must take a parameter 'llm' and/or 'llm_flags' to use @llm_options")
    into = "llm_flags" if "llm_flags" in wants else "llm"

    @functools.wraps(func)
    def convert(*args: Any, **kwargs: Any) -> Any:
        if "llm" in wants:
            kwargs["llm"] = settings_from_flags(kwargs[into])
        return func(*args, **kwargs)

    if wants == {"llm", "llm_flags"}:  # `llm` is computed here, so it is no parameter of the command
        signature = inspect.signature(func)
        convert.__signature__ = signature.replace(  # type: ignore[attr-defined]
            parameters=[p for p in signature.parameters.values() if p.name != "llm"]
        )

    specs = {name: (kind, decl, help_text) for name, (_, kind, decl, help_text) in LLM_FLAGS.items()}
    return option_group(specs, into=into, panel=LLM_PANEL)(convert)


@llm_app.command("fetch")
@friendly_errors
def fetch(
    force: bool = typer.Option(False, "--force", help="Download again even if a valid copy is in the cache."),
    load: bool = typer.Option(False, "--load", help="Also load it once (saves the fast-loading copy)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Put the embedded model (SmolLM2-135M-Instruct, 98 MB) in the cache, or say where it already is."""
    import time

    from hwnas.llm.model_files import fetch_gguf, locate_gguf

    found = None if force else locate_gguf()
    location = found if found is not None else fetch_gguf(force=force)
    report: dict[str, Any] = {"gguf": str(location.path), "found_via": location.source, "downloaded": found is None}
    if load:
        from hwnas.llm.embedded import EmbeddedClient

        start = time.perf_counter()
        client = EmbeddedClient(gguf=location.path)
        client.load()
        report |= {"model": client.model, "load_s": round(time.perf_counter() - start, 2), **client.describe()}
    if as_json:
        print_json(report)
        return
    verb = "downloaded to" if report["downloaded"] else f"found ({location.source}) at"
    typer.echo(f"embedded model {verb} {location.path}")
    if load:
        typer.echo(f"loaded {report['model']} with {report['backend']} in {report['load_s']} s")


@llm_app.command("info")
@friendly_errors
@llm_options
def info(llm: Any, as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """What the --llm-* flags, config and HWNAS_LLM_* env resolve to (the API key is never shown); exit 2 when the
    client is not ready (scripts can test it before a long run)."""
    from hwnas.llm.clients import describe

    report = describe(llm)
    if as_json:
        print_json(report)
    else:
        for key, value in report.items():
            if key != "settings":
                typer.echo(f"{key:<15} {value}")
        typer.echo("settings        " + ", ".join(f"{k}={v}" for k, v in report["settings"].items()))
    if not report["ready"]:
        raise fail(f"LLM client {report['client']!r} is not ready: {report['problem']}")


@llm_app.command("ask")
@friendly_errors
@llm_options
def ask(
    llm: Any,
    prompt: str = typer.Argument(..., help="The user message."),
    system: str | None = typer.Option(None, "--system", help="A system message first."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (text, model, cached, elapsed_s, sampling)."),
) -> None:
    """Ask one question through the runner (cache, retries, time-out) and print the answer."""
    from hwnas.llm.base import Request, Role, chat
    from hwnas.llm.clients import make_runner

    turns: list[tuple[Role, str]] = [("system", system)] if system else []
    turns.append(("user", prompt))
    request = Request(chat(*turns), llm.sampling())
    completion = make_runner(llm).complete(request)
    if as_json:
        print_json({**asdict(completion), "sampling": asdict(request.sampling)})
        return
    typer.echo(completion.text)
