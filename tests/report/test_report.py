"""The report builder on a synthetic run directory: summary values, Markdown table, PNGs, partial runs, the CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from hwnas.cli import pipeline_cmd
from hwnas.core.errors import DataError
from hwnas.report import build_report, summarize
from hwnas.report.builder import training_logs
from hwnas.report.plots import pareto_front

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
BUDGETS = [2.0, 4.0]
MODELS = [
    {"budget_ms": 2.0, "arch_id": "aaaa1111", "predicted_ms": 1.9, "measured_ms": 2.1, "valid_loss": 3.5, "bleu": 10.0},
    {"budget_ms": 4.0, "arch_id": "bbbb2222", "predicted_ms": 3.8, "measured_ms": 3.6, "valid_loss": 3.1, "bleu": 14.5},
]


def _write(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")


def _log(steps: list[int], start: float) -> str:
    records = [{"event": "train", "step": s, "loss": start - 0.01 * s} for s in steps]
    records.append({"event": "valid", "step": steps[-1], "valid_loss": {"largest": start - 0.5, "smallest": 9.0}})
    return "".join(json.dumps(r) + "\n" for r in records)


def _history(losses: list[float]) -> list[dict[str, Any]]:
    return [{"iteration": i, "evaluations": 10 * (i + 1), "best": {"valid_loss": v}} for i, v in enumerate(losses)]


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    """Every file the report reads, as a finished pipeline leaves them (values made up, known)."""
    _write(tmp_path / "supernet" / "stage.done", {"stage": "supernet", "wall_s": 100.0})
    _write(tmp_path / "supernet" / "train_log.jsonl", _log([10, 20, 30], 6.0))
    _write(tmp_path / "latency" / "stage.done", {"stage": "latency", "wall_s": 20.0, "source": "measure"})
    check = {"in_sample": False, "mape": 0.04, "kendall": 0.8, "n": 3}
    _write(tmp_path / "predictor" / "stage.done", {"wall_s": 1.0, "check": check, "budgets_ms": BUDGETS})
    _write(tmp_path / "predictor" / "parity.csv", "measured_ms,predicted_ms\n1.0,1.1\n2.0,1.9\n3.0,3.2\n")
    for index, losses in enumerate(([4.0, 3.7, 3.5], [3.6, 3.1])):
        _write(tmp_path / "search" / f"budget-{index}" / "result.json", {"history": _history(losses)})
    _write(tmp_path / "search" / "stage.done", {"wall_s": 30.0})
    for model in MODELS:
        _write(tmp_path / "retrain" / str(model["arch_id"]) / "train_log.jsonl", _log([5, 10], 5.0))
    _write(tmp_path / "retrain" / "stage.done", {"wall_s": 50.0})
    _write(tmp_path / "evaluate" / "results.json", [*MODELS, {"budget_ms": 0.5, "arch_id": None}])
    _write(tmp_path / "evaluate" / "stage.done", {"wall_s": 5.0})
    return tmp_path


def test_pareto_front_keeps_only_non_dominated_points() -> None:
    points = [(3.0, 12.0), (1.0, 8.0), (2.0, 7.0), (4.0, 12.0), (5.0, 15.0)]
    assert pareto_front(points) == [(1.0, 8.0), (3.0, 12.0), (5.0, 15.0)]


def test_summary_holds_the_run_facts(run_dir: Path) -> None:
    summary = summarize(run_dir)
    assert summary["stages_done"] == ["supernet", "latency", "predictor", "search", "retrain", "evaluate"]
    assert summary["budgets_ms"] == BUDGETS and summary["models"] == MODELS
    assert summary["budgets_without_model"] == [0.5]
    assert summary["predictor"]["mape"] == 0.04 and summary["wall_s"]["supernet"] == 100.0
    curves = training_logs(run_dir)
    assert set(curves) == {"supernet", "retrain aaaa1111", "retrain bbbb2222"}
    assert curves["supernet"]["train"] == [(10, 5.9), (20, 5.8), (30, 5.7)]
    assert curves["supernet"]["valid"] == [(30, 5.5)]  # the largest subnet's loss


def test_build_report_writes_markdown_json_and_pngs(run_dir: Path) -> None:
    report = build_report(run_dir)
    out = run_dir / "report"
    assert report == out / "report.md"
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    expected = ["bleu_vs_latency", "search_progress", "latency_parity", "training_curves"]
    assert list(summary["figures"]) == expected
    for name in summary["figures"].values():
        data = (out / name).read_bytes()
        assert data.startswith(PNG_SIGNATURE) and len(data) > 10_000
    text = report.read_text(encoding="utf-8")
    assert "| 2.00 | `aaaa1111` | 1.90 | 2.10 | 3.500 | 10.00 |" in text
    assert "| 0.50 | (no arch met the budget)" in text
    assert "held-out, n=3): MAPE 4.00%" in text
    assert all(f"]({name})" in text for name in summary["figures"].values())


def test_partial_run_gets_the_figures_it_can(tmp_path: Path) -> None:
    _write(tmp_path / "supernet" / "stage.done", {"wall_s": 3.0})
    _write(tmp_path / "supernet" / "train_log.jsonl", _log([1, 2], 7.0))
    report = build_report(tmp_path)
    summary = json.loads((tmp_path / "report" / "summary.json").read_text(encoding="utf-8"))
    assert list(summary["figures"]) == ["training_curves"] and summary["models"] == []
    assert "Stages done: supernet" in report.read_text(encoding="utf-8")


def test_missing_run_dir_is_a_domain_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="does not exist"):
        build_report(tmp_path / "nope")


def test_report_command_prints_table_or_just_the_path(run_dir: Path) -> None:
    app = typer.Typer()
    pipeline_cmd.register(app)
    runner = CliRunner()
    quiet = runner.invoke(app, ["report", str(run_dir), "--quiet"])
    assert quiet.exit_code == 0 and quiet.output.strip() == str(run_dir / "report" / "report.md")
    loud = runner.invoke(app, ["report", str(run_dir)])
    assert loud.exit_code == 0 and "aaaa1111" in loud.output and "14.50" in loud.output
    missing = runner.invoke(app, ["report", str(run_dir / "nope")])
    assert missing.exit_code == 2
