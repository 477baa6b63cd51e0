"""`hwnas quickstart --smoke` on the real Multi30k data (skips without HWNAS_DATA_DIR): the CI run of the README's
main command, through the CLI, checking the printed table and the report path (about 20 s on 2 idle cores)."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from hwnas.cli import pipeline_cmd


def test_quickstart_smoke_prints_table_and_report(data_dir: Path, tmp_path: Path) -> None:
    app = typer.Typer()
    pipeline_cmd.register(app)
    out = tmp_path / "qs"
    result = CliRunner().invoke(app, ["quickstart", "--smoke", "--out", str(out)])
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "report" / "summary.json").read_text(encoding="utf-8"))
    assert len(summary["models"]) + len(summary["budgets_without_model"]) == 2
    for model in summary["models"]:
        assert model["arch_id"] in result.output and model["measured_ms"] > 0
        assert model["split"] == "multi30k/test2016"
        assert model["within_budget"] == (model["measured_ms"] <= model["budget_ms"])
    assert summary["reference"]["bleu"] is not None and "baseline uniform-shrink" in result.output
    assert "goal: Searched model beats the best same-latency uniform-shrink baseline by >= 0.5 BLEU" in result.output
    assert "latency data" in result.output and summary["latency_reliability"]["reliable"] in (True, False)
    assert f"report: {out / 'report' / 'report.md'}" in result.output
    again = CliRunner().invoke(app, ["quickstart", "--smoke", "--out", str(out), "--quiet"])
    assert again.exit_code == 0 and again.output.strip() == str(out / "report" / "report.md")
