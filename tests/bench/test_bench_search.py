"""Searching on the benchmark (skips without HWNAS_DATA_DIR): `hwnas search --evaluator bench` runs any searcher on
HW-GPT-Bench's metrics, fast, with per-device metric names; a killed run resumes to the same result, in mode mean and
in mode sample (each arch's draw depends on the arch, not on the batch or the session)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from hwnas.cli.main import app
from hwnas.search.journal import read_journal


@pytest.fixture(autouse=True)
def cache(data_dir: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path_factory.getbasetemp() / "bench-cache"  # one fit per surrogate for the whole session
    monkeypatch.setenv("HWNAS_CACHE_DIR", str(folder))
    return folder


def _search(out: Path, *extra: str) -> Any:
    args = ["search", "--space", "gpt-s", "--evaluator", "bench", "--out", str(out), *extra]
    return CliRunner().invoke(app, args)


RANDOM = ("--evaluator-opt", "bench.devices=h100,cpu_xeon_silver", "--searcher", "random", "--population", "50")
TWO_OBJECTIVES = ("--objective", "perplexity:min", "--objective", "latency_h100:min", "--max-evaluations", "200")


def test_random_search_on_the_benchmark_reports_per_device_metrics(tmp_path: Path) -> None:
    CliRunner().invoke(app, ["bench", "fit", "--space", "gpt-s", "--metric", "latency", "--device", "h100"])
    result = _search(tmp_path / "run", *RANDOM, *TWO_OBJECTIVES, "--iterations", "10")
    assert result.exit_code == 0, result.output
    done = json.loads((tmp_path / "run" / "result.json").read_text())
    assert done["counts"]["evaluations"] == 200 and done["counts"]["failed"] == 0
    assert set(done["best"]["metrics"]) == {"perplexity", "latency_h100", "latency_cpu_xeon_silver"}
    assert len(done["pareto_front"]) >= 2  # two objectives that pull apart


def test_a_killed_benchmark_search_resumes_to_the_same_result(tmp_path: Path) -> None:
    for mode in ("mean", "sample"):
        full, cut = tmp_path / f"full-{mode}", tmp_path / f"cut-{mode}"
        args = (*RANDOM, *TWO_OBJECTIVES, "--iterations", "4", "--evaluator-opt", f"bench.mode={mode}")
        assert _search(full, *args).exit_code == 0
        lines = (full / "journal.jsonl").read_text().splitlines(keepends=True)
        cut.mkdir()
        (cut / "config.yaml").write_text((full / "config.yaml").read_text())
        (cut / "journal.jsonl").write_text("".join(lines[:90]) + lines[90][:40])  # killed mid-line, 2nd iteration
        resumed = CliRunner().invoke(app, ["search", "--out", str(cut), "--resume"])
        assert resumed.exit_code == 0, resumed.output
        assert (cut / "result.json").read_bytes() == (full / "result.json").read_bytes(), mode
        evals = [e for e in read_journal(cut / "journal.jsonl")[0] if e["kind"] == "eval"]
        assert len(evals) == len({e["arch_id"] for e in evals}) == 200  # nothing evaluated twice
    mean = json.loads((tmp_path / "full-mean" / "result.json").read_text())["best"]["metrics"]
    sample = json.loads((tmp_path / "full-sample" / "result.json").read_text())["best"]["metrics"]
    assert mean != sample


def test_evolution_with_a_latency_constraint_keeps_every_arch_within_it(tmp_path: Path) -> None:
    args = ["--evaluator-opt", "bench.devices=h100", "--objective", "perplexity:min", "--constraint", "latency_h100<=8"]
    result = _search(tmp_path / "run", *args, "--population", "40", "--iterations", "3")
    assert result.exit_code == 0, result.output
    evals = [e for e in read_journal(tmp_path / "run" / "journal.jsonl")[0] if e["kind"] == "eval"]
    assert evals and all(e["metrics"]["latency_h100"] <= 8 for e in evals)  # screened before evaluation
    best = json.loads((tmp_path / "run" / "result.json").read_text())["best"]
    assert best["metrics"]["latency_h100"] <= 8 and best["arch"]["space"] == "gpt-s"
