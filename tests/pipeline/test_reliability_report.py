"""An unreliable latency verdict reaches every place a user reads: summary.json, report.md (a warning), the console
summary (one plain line) and the goal lines ("not assessable" instead of yes / no); the busy-machine flags of
`hwnas pipeline` / `hwnas quickstart`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hwnas.pipeline.goals import pipeline_goals
from hwnas.pipeline.summary_table import goal_lines, reliability_line
from hwnas.report import build_report

NOISY = {
    "reliable": False,
    "reasons": ["the predictor's held-out MAPE is 71% (limit 20%)", "the largest arch was measured faster (3.00 ms) "
                "than the median arch (9.00 ms)"],
    "figures": {"heldout_mape": 0.71},
}  # fmt: skip


def _run_dir(root: Path, reliability: dict[str, Any]) -> Path:
    rows = [{"budget_ms": 5.0, "arch_id": "aaaa1111", "measured_ms": 4.0, "predicted_ms": 4.5, "bleu": 20.0,
             "baselines": {"uniform-shrink": {"arch_id": "bbbb2222", "bleu": 18.0, "measured_ms": 4.5}}}]  # fmt: skip
    reference = {"arch_id": "cccc3333", "bleu": 21.0, "measured_ms": 3.0, "predicted_ms": 12.0}
    goals = pipeline_goals(rows, reference, ["uniform-shrink"], reliability)
    files = {
        "predictor/stage.done": {"stage": "predictor", "budgets_ms": [5.0], "latency_reliability": reliability,
                                 "check": {"in_sample": False, "mape": 0.71, "n": 10, "kendall": 0.27}},
        "evaluate/results.json": rows,
        "evaluate/comparison.json": {"reference": reference, "goals": goals},
    }  # fmt: skip
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(json.dumps(data), encoding="utf-8")
    build_report(root)
    return root


def test_unreliable_latency_data_is_said_plainly_everywhere(tmp_path: Path) -> None:
    run = _run_dir(tmp_path, NOISY)
    summary = json.loads((run / "report" / "summary.json").read_text(encoding="utf-8"))
    assert summary["latency_reliability"]["reliable"] is False
    report = (run / "report" / "report.md").read_text(encoding="utf-8")
    assert (
        "> **Warning:** latency data UNRELIABLE: the predictor's held-out MAPE is 71% (limit 20%); the largest"
        in report
    )
    line = reliability_line(run)
    assert line is not None and line.startswith("latency data UNRELIABLE") and "\n" not in line
    lines = goal_lines(run)
    assert len(lines) == 2 and all("not assessable (latency data unreliable)" in g for g in lines)
    assert "not assessable" in report.split("## Goals")[1]


def test_reliable_latency_data_keeps_yes_and_no(tmp_path: Path) -> None:
    run = _run_dir(tmp_path, {"reliable": True, "reasons": [], "figures": {}})
    assert "Warning" not in (run / "report" / "report.md").read_text(encoding="utf-8")
    assert reliability_line(run) == (
        "latency data: no sign of noise (held-out error, order vs FLOPs and machine load all within limits)"
    )
    assert not any("not assessable" in g for g in goal_lines(run))


def test_pipeline_and_quickstart_take_the_busy_flags(pipeline_app: Any, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    for command in (["pipeline", "quickstart-smoke"], ["quickstart", "--smoke"]):
        shown = CliRunner().invoke(pipeline_app, [*command, "--help"])
        assert all(flag in shown.output for flag in ("--max-load", "--on-busy", "--max-wait"))
        bad = CliRunner().invoke(pipeline_app, [*command, "--on-busy", "sometimes", "--quiet"])
        assert bad.exit_code == 2 and "on_busy 'sometimes' is unknown; allowed: wait, refuse, ignore" in bad.output
