"""What ``hwnas pipeline`` / ``quickstart`` / ``report`` print after a run, read from ``report/summary.json``: one
row per budget (searched model, latency, whether the budget held on the device, BLEU), one row per budget and
baseline (its BLEU and goal 1's gap) and one line per goal check, the gaps and the goal wording being the report's
own (:mod:`hwnas.report.sections`), so the console and ``report.md`` say the same."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hwnas.report.sections import gap_text, goal_gap, goal_sentences

SUMMARY_COLUMNS = ("budget (ms)", "arch_id", "predicted (ms)", "measured (ms)", "in budget", "BLEU")
BASELINE_COLUMNS = ("budget (ms)", "arch_id", "measured (ms)", "BLEU", "searched BLEU", "gap (goal)")


def read_summary(run_dir: str | Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((Path(run_dir) / "report" / "summary.json").read_text(encoding="utf-8"))
    return data


def _cell(value: Any, pattern: str) -> str:
    return "-" if value is None else format(value, pattern)


def _yes_no(value: bool | None) -> str:
    return {True: "yes", False: "NO", None: "-"}[value]


def summary_rows(run_dir: str | Path) -> list[tuple[str, ...]]:
    """The rows of the summary table (one per budget), tightest budget first."""
    summary = read_summary(run_dir)
    rows = [
        (
            _cell(m["budget_ms"], ".2f"),
            str(m["arch_id"]),
            _cell(m.get("predicted_ms"), ".2f"),
            _cell(m.get("measured_ms"), ".2f"),
            _yes_no(m.get("within_budget")),
            _cell(m.get("bleu"), ".2f"),
        )
        for m in summary["models"]
    ]
    rows += [(_cell(b, ".2f"), "(none met the budget)", "-", "-", "-", "-") for b in summary["budgets_without_model"]]
    return sorted(rows, key=lambda r: float(r[0]))


def baseline_rows(run_dir: str | Path) -> dict[str, list[tuple[str, ...]]]:
    """Per baseline, one row per budget: its arch, latency and BLEU next to the searched BLEU and goal 1's gap."""
    summary = read_summary(run_dir)
    goals = summary.get("goals") or {}
    tables: dict[str, list[tuple[str, ...]]] = {}
    for model in sorted(summary["models"], key=lambda m: float(m["budget_ms"])):
        for name, base in sorted((model.get("baselines") or {}).items()):
            budget, searched = _cell(model["budget_ms"], ".2f"), _cell(model.get("bleu"), ".2f")
            if base is None:
                tables.setdefault(name, []).append((budget, "(none fits)", "-", "-", searched, "-"))
                continue
            row = (
                budget,
                str(base["arch_id"]),
                _cell(base.get("measured_ms"), ".2f"),
                _cell(base.get("bleu"), ".2f"),
                searched,
                gap_text(goal_gap(goals, name, model["budget_ms"]), short=True),
            )
            tables.setdefault(name, []).append(row)
    return tables


def goal_lines(run_dir: str | Path) -> list[str]:
    """The goal checks as sentences (empty without baselines)."""
    return goal_sentences(read_summary(run_dir).get("goals") or {}, _yes_no)


def reliability_line(run_dir: str | Path) -> str | None:
    """The verdict on the run's latency data in one plain sentence (None when the run has none)."""
    data = read_summary(run_dir).get("latency_reliability")
    if not data:
        return None
    from hwnas.hardware.reliability import Reliability

    return Reliability.from_dict(data).sentence()
