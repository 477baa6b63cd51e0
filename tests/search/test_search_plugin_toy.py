"""Adding a searcher is one module: a plugin's toy searcher with three knobs of its own runs through ``hwnas search``
(``--searcher-opt``), is described by ``--describe`` and the help, and runs from a pipeline config's search block."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from hwnas.cli import search_cmd
from hwnas.search.journal import read_journal
from hwnas.spaces import get_space

HERE = Path(__file__).parent
SPACE = get_space("hat-wmt14ende")


@pytest.fixture(autouse=True)
def toy_plugin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(HERE))
    monkeypatch.setenv("HWNAS_PLUGINS", "hwnas_test_toy_plugin")


def _invoke(*args: str) -> Any:
    app = typer.Typer()
    search_cmd.register(app)

    @app.callback()
    def root() -> None:
        """Keep `search` a named subcommand."""

    return CliRunner().invoke(app, ["search", *args], terminal_width=200)


def _asked(run: Path) -> list[list[str]]:
    return [e["asked"] for e in read_journal(run / "journal.jsonl")[0] if e["kind"] == "iteration"]


def test_the_toy_searcher_runs_through_hwnas_search_with_its_options(tmp_path: Path) -> None:
    args = ["--space", SPACE.name, "--objective", "params:max", "--constraint", "flops<=9e9", "--searcher", "toy"]
    args += ["--searcher-opt", "start=largest", "--searcher-opt", "stride=4", "--searcher-opt", "jitter=0.5"]
    result = _invoke(*args, "--iterations", "3", "--population", "20", "--out", str(tmp_path / "run"))
    assert result.exit_code == 0, result.output
    asked = _asked(tmp_path / "run")
    assert asked[0][0] == SPACE.largest().arch_id  # start=largest
    assert [len(a) for a in asked] == [5, 5, 5]  # population 20 // stride 4
    stored = (tmp_path / "run" / "config.yaml").read_text()
    assert "name: toy" in stored and "stride: 4" in stored
    assert json.loads((tmp_path / "run" / "result.json").read_text())["algorithm"] == "toy"


def test_the_toy_searchers_options_are_checked_and_described(tmp_path: Path) -> None:
    bad = _invoke("--space", "tiny", "--objective", "params:max", "--searcher", "toy", "--searcher-opt", "stride=0")
    assert bad.exit_code == 2 and "searcher 'toy': option 'stride' is 0" in bad.output
    unknown = _invoke("--space", "tiny", "--objective", "params:max", "--searcher", "toy", "--searcher-opt", "step=2")
    assert unknown.exit_code == 2 and "unknown option 'step'; known: start, stride, jitter" in unknown.output
    described = _invoke("--describe", "toy")
    assert described.exit_code == 0 and "stride: int = 1  asks population // stride" in described.output
    assert "searcher toy: start='smallest', stride=1, jitter=0.3" in _invoke("--help").output


class _FakeLoss:
    """The supernet's place in the pipeline's search: a loss that falls with the width (no checkpoint needed)."""

    metrics = ("valid_loss",)
    cheap = False

    def evaluate(self, archs: Any) -> list[dict[str, float]]:
        return [{"valid_loss": 1e3 / (1 + sum(a["encoder_ffn_embed_dim"]))} for a in archs]


class _FakeLatency:
    metrics = ("latency",)
    cheap = True

    def evaluate(self, archs: Any) -> list[dict[str, float]]:
        return [{"latency": float(a["decoder_layer_num"])} for a in archs]


def test_the_toy_searcher_runs_from_a_pipeline_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from hwnas.pipeline import model_stages, parse_pipeline_config
    from hwnas.pipeline.outputs import Budget
    from hwnas.pipeline.runner import StageContext

    from .conftest import register_for_test

    register_for_test(monkeypatch, "supernet", _FakeLoss())
    register_for_test(monkeypatch, "latency-model", _FakeLatency())
    search = {"searcher": {"name": "toy", "options": {"start": "largest", "stride": 2}}, "iterations": 2}
    config = parse_pipeline_config({"run_dir": str(tmp_path / "run"), "space": "tiny", "search": search})
    ctx = StageContext(config, tmp_path / "run", quiet=True, log=lambda line: None)
    out = tmp_path / "run" / "search" / "budget-0"
    outcome = model_stages._search_one(ctx, "unused.pt", "unused.npz", Budget.under(10.0, 9.0), out)
    largest = get_space("tiny").largest().arch_id
    asked = _asked(out)
    assert asked[0][0] == largest and [len(a) for a in asked] == [20, 20]  # the pipeline's population 40 // 2
    assert outcome.result.algorithm == "toy" and outcome.result.best is not None
    assert outcome.result.best["arch_id"] == largest  # the widest arch has the lowest fake loss
