"""The pipeline's own sections of the run report: the latency-budget check on the device, the baselines with the
BLEU gaps, the reference (largest) model and the two goal checks.

:func:`hwnas.report.build_report` writes the generic report (table, figures); this adds the pipeline's facts to
``summary.json`` (keys ``latency_margin``, ``reference``, ``goals``) and their sections to ``report.md``. Like the
builder, it reads only files, so ``hwnas report RUN_DIR`` can redo it at any time.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hwnas.pipeline.evaluate_stage import COMPARISON_FILE


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def _ms(value: Any) -> str:
    return "-" if value is None else f"{float(value):.2f}"


def _yes_no(value: bool | None) -> str:
    return {True: "yes", False: "no", None: "unknown"}[value]


def budget_section(models: list[Mapping[str, Any]], margin: float | None) -> list[str]:
    """Per budget: the search limit, predicted and measured latency, whether the budget held, and fallbacks."""
    head = "## Latency budgets on the device"
    note = f"The search kept predicted latency <= budget x (1 - {margin:.3f})." if margin is not None else ""
    lines = ["", head, "", note, "", "| budget (ms) | search limit (ms) | arch_id | predicted (ms) | measured (ms) |"
             " within budget | measured archs |", "|---:|---:|---|---:|---:|---|---:|"]  # fmt: skip
    for row in models:
        check = row.get("latency_check") or {}
        tries = len(check.get("tries") or [])
        fallback = " (fallback)" if check.get("fallback") else ""
        lines.append(
            f"| {_ms(row['budget_ms'])} | {_ms(row.get('limit_ms'))} | `{row['arch_id']}` | "
            f"{_ms(row.get('predicted_ms'))} | {_ms(row.get('measured_ms'))} | "
            f"{_yes_no(row.get('within_budget'))} | {tries}{fallback} |"
        )
    return lines


def baseline_section(name: str, models: list[Mapping[str, Any]]) -> list[str]:
    lines = ["", f"## Baseline: {name} (retrained with the same recipe)", "",
             "| budget (ms) | searched BLEU | baseline arch_id | params | measured (ms) | baseline BLEU | gap |",
             "|---:|---:|---|---:|---:|---:|---:|"]  # fmt: skip
    for row in models:
        base = (row.get("baselines") or {}).get(name)
        if not base:
            lines.append(f"| {_ms(row['budget_ms'])} | {_ms(row.get('bleu'))} | (none fits) | - | - | - | - |")
            continue
        gap = base.get("bleu_gap")
        params = "-" if base.get("params") is None else f"{float(base['params']) / 1e6:.2f}M"
        lines.append(
            f"| {_ms(row['budget_ms'])} | {_ms(row.get('bleu'))} | `{base['arch_id']}` | {params} | "
            f"{_ms(base.get('measured_ms'))} | {_ms(base.get('bleu'))} | {'-' if gap is None else f'{gap:+.2f}'} |"
        )
    return lines


def goals_section(reference: Mapping[str, Any] | None, goals: Mapping[str, Any]) -> list[str]:
    lines = ["", "## Goals", ""]
    if reference:
        lines.append(
            f"Reference: the largest arch `{reference['arch_id']}`, predicted {_ms(reference.get('predicted_ms'))} ms, "
            f"measured {_ms(reference.get('measured_ms'))} ms, BLEU {_ms(reference.get('bleu'))}."
        )
        lines.append("")
    for name, goal in (goals.get("beats_baseline") or {}).items():
        gaps = ", ".join("-" if b["gap"] is None else f"{b['gap']:+.2f}" for b in goal["per_budget"])
        lines.append(
            f"- Searched model beats {name} by >= {goal['margin_bleu']} BLEU at every budget: "
            f"**{_yes_no(goal['met'])}** (gaps per budget: {gaps or '-'})."
        )
    speed = goals.get("fastest_vs_largest") or {}
    if speed:
        detail = "not computable (a BLEU or latency is missing)"
        if "speedup" in speed:
            detail = (
                f"{speed['speedup']:.2f}x faster ({speed['latency_kind']} {speed['fastest_ms']:.2f} vs "
                f"{speed['largest_ms']:.2f} ms), BLEU loss {speed['bleu_loss']:+.2f}"
            )
        lines.append(
            f"- Fastest searched model >= {speed['min_speedup']}x faster than the largest with <= "
            f"{speed['max_bleu_loss']} BLEU loss: **{_yes_no(speed['met'])}** ({detail})."
        )
    return lines


def write_pipeline_report(run_dir: str | Path) -> Path:
    """The generic report plus the pipeline's sections; returns the path of ``report.md``."""
    from hwnas.report import build_report

    run_dir = Path(run_dir)
    report = build_report(run_dir)
    summary_path = report.parent / "summary.json"
    summary = json.loads(summary_path.read_text(encoding="utf-8"))
    comparison = _json(run_dir / "evaluate" / COMPARISON_FILE) or {}
    margin = (_json(run_dir / "predictor" / "stage.done") or {}).get("latency_margin")
    summary.update(latency_margin=margin, reference=comparison.get("reference"), goals=comparison.get("goals") or {})
    summary_path.write_text(json.dumps(summary, indent=2), encoding="utf-8")
    models = summary["models"]
    extra: list[str] = budget_section(models, margin) if models else []
    names = sorted({name for row in models for name in (row.get("baselines") or {})})
    for name in names:
        extra += baseline_section(name, models)
    if summary["goals"] or summary["reference"]:
        extra += goals_section(summary["reference"], summary["goals"])
    if extra:
        text = report.read_text(encoding="utf-8")
        cut = text.find("\n## ")
        cut = cut if cut >= 0 else text.find("\nWall time per stage")
        cut = cut if cut >= 0 else len(text)
        report.write_text(text[:cut] + "\n".join(extra) + "\n" + text[cut:], encoding="utf-8")
    return report
