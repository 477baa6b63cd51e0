"""`hwnas llm info|ask|fetch` and the reusable --llm-* flag set."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from hwnas.cli.common import friendly_errors
from hwnas.cli.llm_cmd import llm_options, settings_from_flags
from hwnas.cli.main import app

runner = CliRunner()
SECRET = "sk-cli-SECRET-987"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for var in ("HWNAS_LLM_CLIENT", "HWNAS_LLM_BASE_URL", "HWNAS_LLM_MODEL", "HWNAS_LLM_API_KEY_ENV", "HWNAS_LLM_GGUF"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HWNAS_TEST_CLI_KEY", SECRET)


def _endpoint(url: str, cache: Path) -> list[str]:
    return ["--llm-base-url", url, "--llm-model", "m", "--llm-api-key-env", "HWNAS_TEST_CLI_KEY",
            "--llm-cache-dir", str(cache), "--llm-backoff", "0.001"]  # fmt: skip


def test_info_shows_the_resolution_but_never_the_key(fake_openai: Any, llm_cache: Path) -> None:
    result = runner.invoke(app, ["llm", "info", "--json", *_endpoint(fake_openai.url, llm_cache)])
    assert result.exit_code == 0, result.output
    info = json.loads(result.stdout)
    assert info["client"] == "openai" and info["ready"] and info["api_key_set"] is True
    assert info["model"] == f"openai:m@{fake_openai.url}" and info["cache_dir"] == str(llm_cache)
    assert SECRET not in result.output
    plain = runner.invoke(app, ["llm", "info", *_endpoint(fake_openai.url, llm_cache)])
    assert "api_key_set     True" in plain.stdout and SECRET not in plain.output


def test_ask_prints_the_answer_then_uses_the_cache(fake_openai: Any, llm_cache: Path) -> None:
    args = ["llm", "ask", "hello", "--system", "Be brief.", "--json", *_endpoint(fake_openai.url, llm_cache)]
    first = json.loads(runner.invoke(app, [*args, "--llm-seed", "3"]).stdout)
    assert first["text"] == "answer to: hello" and not first["cached"] and first["sampling"]["seed"] == 3
    second = json.loads(runner.invoke(app, [*args, "--llm-seed", "3"]).stdout)
    assert second["cached"] and len(fake_openai.calls) == 1
    assert fake_openai.calls[0]["messages"][0] == {"role": "system", "content": "Be brief."}
    plain = runner.invoke(app, ["llm", "ask", "hello", *_endpoint(fake_openai.url, llm_cache), "--no-llm-cache"])
    assert plain.stdout.strip() == "answer to: hello" and len(fake_openai.calls) == 2


def test_failures_are_one_line_and_exit_2(dead_url: str, llm_cache: Path) -> None:
    dead = runner.invoke(app, ["llm", "ask", "hi", *_endpoint(dead_url, llm_cache), "--llm-retries", "0"])
    assert dead.exit_code == 2 and dead.output.startswith("error: ") and "cannot connect" in dead.output
    bad = runner.invoke(app, ["llm", "ask", "hi", "--llm-timeout", "-1"])
    assert bad.exit_code == 2 and "config key 'timeout_s'" in bad.output
    assert len(bad.output.strip().splitlines()) == 1


def test_fetch_reports_where_the_model_is(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    gguf = tmp_path / "own.gguf"
    gguf.write_bytes(b"GGUF")
    monkeypatch.setenv("HWNAS_LLM_GGUF", str(gguf))
    report = json.loads(runner.invoke(app, ["llm", "fetch", "--json"]).stdout)
    assert report == {"gguf": str(gguf), "found_via": "explicit", "downloaded": False}
    monkeypatch.setenv("HWNAS_LLM_GGUF", str(tmp_path / "nowhere.gguf"))
    missing = runner.invoke(app, ["llm", "fetch"])
    assert missing.exit_code == 2 and "HWNAS_LLM_GGUF is" in missing.output


def test_llm_options_give_any_command_the_flags(tmp_path: Path) -> None:
    """How other commands (hwnas llm-pp ...) reuse the flag set: ``llm`` settings and/or the raw ``llm_flags``."""
    seen: dict[str, Any] = {}
    demo = typer.Typer()

    @demo.command()
    @friendly_errors
    @llm_options
    def run(llm: Any, llm_flags: dict[str, Any], n: int = typer.Option(1, "--n")) -> None:
        seen.update(llm=llm, flags=llm_flags, n=n, merged=settings_from_flags(llm_flags, base={"max_tokens": 99}))

    config = tmp_path / "llm.yaml"
    config.write_text("temperature: 0.25\n")
    result = runner.invoke(demo, ["--n", "2", "--llm-config", str(config), "--llm-threads", "2", "--no-llm-cache"])
    assert result.exit_code == 0, result.output
    assert seen["n"] == 2 and seen["flags"]["llm_threads"] == 2
    assert (seen["llm"].temperature, seen["llm"].threads, seen["llm"].cache) == (0.25, 2, False)
    assert (seen["merged"].max_tokens, seen["merged"].temperature) == (99, 0.25)
    bad = runner.invoke(demo, ["--llm-max-tokens", "0"])
    assert bad.exit_code == 2 and "config key 'max_tokens'" in bad.output
    with pytest.raises(TypeError, match="'llm'"):
        llm_options(lambda n: None)
