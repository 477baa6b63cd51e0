"""`hwnas search --llm-*`: `hwnas llm`'s client flags fill an LLM-driven searcher's ``llm`` options (over a config
file's, beside ``--searcher-opt llm.KEY=VALUE``), and are refused, in one line naming the flag, with a searcher that
asks no LLM."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml
from typer.testing import CliRunner

from hwnas.cli import search_cmd
from hwnas.cli.llm_cmd import LLM_FLAGS
from hwnas.cli.search_options import LLM_OPTIONS
from hwnas.llm.clients import CLIENTS, LLMSettings


class FirstCandidate:
    """Answers the first code listed after "Candidates:" (the chat template's pool)."""

    model = "test:first-candidate"

    def complete(self, request: Any, *, timeout_s: float) -> str:
        return str(request.messages[-1].content.split("Candidates:\n", 1)[1].split()[0])


RUN = ["--space", "gpt-tiny", "--objective", "params:max", "--iterations", "8", "--population", "1"]
LM = ["--searcher", "lm-searcher", "--searcher-opt", "trials=6", "--searcher-opt", "warmup=2"]


def _app() -> typer.Typer:
    app = typer.Typer()
    search_cmd.register(app)

    @app.callback()
    def root() -> None:
        """Keep `search` a named subcommand."""

    return app


def _invoke(*args: str) -> Any:
    return CliRunner().invoke(_app(), ["search", *args])


@pytest.fixture
def settings_seen(monkeypatch: pytest.MonkeyPatch) -> list[LLMSettings]:
    """The settings each client of client 'capture' was made with."""
    seen: list[LLMSettings] = []

    def make(settings: LLMSettings) -> FirstCandidate:
        seen.append(settings)
        return FirstCandidate()

    monkeypatch.setitem(CLIENTS, "capture", make)
    return seen


def test_llm_flags_reach_the_searchers_client(tmp_path: Path, settings_seen: list[LLMSettings]) -> None:
    adapter, cache = tmp_path / "adapter", tmp_path / "cache"
    flags = ["--llm-client", "capture", "--llm-base-url", "http://127.0.0.1:8080/v1", "--llm-model", "ranker"]
    flags += ["--llm-adapter", str(adapter), "--llm-backend", "transformers", "--llm-threads", "2"]
    flags += ["--llm-device", "cuda:1"]  # the capture client places nothing: the value only has to arrive
    flags += ["--llm-timeout", "5", "--llm-retries", "0", "--llm-cache-dir", str(cache)]
    result = _invoke(*RUN, *LM, *flags, "--out", str(tmp_path / "run"), "--json")
    assert result.exit_code == 0, result.output
    settings = settings_seen[-1]
    assert (settings.client, settings.base_url, settings.model) == ("capture", "http://127.0.0.1:8080/v1", "ranker")
    assert (settings.adapter, settings.backend, settings.threads) == (adapter, "transformers", 2)
    assert settings.device == "cuda:1"
    assert (settings.timeout_s, settings.max_retries, settings.cache_dir) == (5.0, 0, cache)
    assert json.loads(result.output)["result"]["searcher"]["model"] == "test:first-candidate"
    stored = yaml.safe_load((tmp_path / "run" / "config.yaml").read_text())["searcher"]["options"]
    assert stored["llm.adapter"] == str(adapter) and stored["llm.timeout_s"] == 5.0  # resume rebuilds the same
    assert stored["llm.device"] == "cuda:1"
    resumed = _invoke("--out", str(tmp_path / "run"), "--resume", "--json")
    assert resumed.exit_code == 0, resumed.output
    assert settings_seen[-1] == settings


def test_flags_override_a_config_files_llm_section_key_by_key(tmp_path: Path, settings_seen: list[LLMSettings]) -> None:
    config = tmp_path / "search.yaml"
    llm = {"client": "capture", "model": "from-file", "timeout_s": 9}
    config.write_text(yaml.safe_dump({"searcher": {"name": "lm-searcher", "options": {"trials": 4, "llm": llm}}}))
    result = _invoke(*RUN, "--config", str(config), "--llm-model", "from-flag", "--out", str(tmp_path / "run"))
    assert result.exit_code == 0, result.output
    assert (settings_seen[-1].model, settings_seen[-1].timeout_s) == ("from-flag", 9.0)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--llm-model", "m"], "--llm-model sets the LLM client of an LLM-driven searcher, but searcher 'evolution'"),
        (["--searcher", "random", "--llm-adapter", "a", "--llm-threads", "2"], "--llm-threads, --llm-adapter set"),
        ([*LM, "--llm-model", "m", "--searcher-opt", "llm.model=n"], "--llm-model and --searcher-opt llm.model"),
        ([*LM, "--llm-backend", "vulkan"], "'backend'"),
        ([*LM, "--llm-device", "tpu"], "'device': allowed: auto, cpu, cuda, cuda:N (flag --llm-device) (got 'tpu')"),
    ],
    ids=["default-searcher", "random", "twice", "bad-value", "bad-device"],
)
def test_bad_llm_flags_are_one_line_exit_2_and_write_nothing(tmp_path: Path, args: list[str], message: str) -> None:
    result = _invoke(*RUN, *args, "--out", str(tmp_path / "run"))
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], lines
    assert not (tmp_path / "run").exists()


def test_search_offers_hwnas_llms_flags_with_their_help() -> None:
    """One table: each search flag is `hwnas llm`'s own (same declaration and help), filling an LLMSettings key."""
    assert {"--llm-adapter", "--llm-base-url", "--llm-model", "--llm-client", "--llm-backend", "--llm-device"} <= {
        decl for _, decl, _ in LLM_OPTIONS.values()
    }
    for name, (kind, decl, help_text) in LLM_OPTIONS.items():
        key, *spec = LLM_FLAGS[name]
        assert spec == [kind, decl, help_text] and key in LLMSettings.model_fields
