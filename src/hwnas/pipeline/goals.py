"""The pipeline's two yes/no questions, computed from the evaluated rows (numbers included, so a "no" says by how
much):

1. at every budget, does the searched model beat the baseline chosen for the same budget by at least
   ``BASELINE_BLEU_MARGIN`` BLEU?
2. is the fastest searched model at least ``MIN_SPEEDUP`` times faster than the largest model of the space, with
   a BLEU loss of at most ``MAX_BLEU_LOSS``?

A question that cannot be answered (no baseline, no reference, a missing BLEU) gets ``met: None``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

BASELINE_BLEU_MARGIN = 0.5
MIN_SPEEDUP = 2.0
MAX_BLEU_LOSS = 1.0


def _all_met(flags: Sequence[bool | None]) -> bool | None:
    if not flags or any(f is None for f in flags):
        return None
    return all(flags)


def baseline_goal(rows: Sequence[Mapping[str, Any]], name: str) -> dict[str, Any]:
    """Question 1 for the baseline ``name``: one entry per budget, and whether all of them are met."""
    per_budget = []
    for row in rows:
        base = (row.get("baselines") or {}).get(name) or {}
        searched, baseline = row.get("bleu"), base.get("bleu")
        gap = None if searched is None or baseline is None else float(searched) - float(baseline)
        per_budget.append(
            {
                "budget_ms": row["budget_ms"],
                "searched_bleu": searched,
                "baseline_bleu": baseline,
                "gap": gap,
                "met": None if gap is None else gap >= BASELINE_BLEU_MARGIN,
            }
        )
    return {"baseline": name, "margin_bleu": BASELINE_BLEU_MARGIN, "met": _all_met([b["met"] for b in per_budget]),
            "per_budget": per_budget}  # fmt: skip


def _latency(entry: Mapping[str, Any], kind: str) -> float | None:
    value = entry.get(f"{kind}_ms")
    return None if value is None else float(value)


def speedup_goal(rows: Sequence[Mapping[str, Any]], reference: Mapping[str, Any] | None) -> dict[str, Any]:
    """Question 2. Latencies are measured ones when the reference and every model were measured, else predicted
    ones (never a mix)."""
    models = [r for r in rows if r.get("arch_id") and r.get("bleu") is not None]
    answer: dict[str, Any] = {"min_speedup": MIN_SPEEDUP, "max_bleu_loss": MAX_BLEU_LOSS, "met": None}
    if not models or not reference or reference.get("bleu") is None:
        return answer
    entries = [reference, *models]
    measured = all(_latency(e, "measured") is not None for e in entries)
    kind = "measured" if measured else "predicted"
    if any(_latency(e, kind) is None for e in entries):
        return answer
    fastest = min(models, key=lambda r: float(r[f"{kind}_ms"]))
    speedup = float(reference[f"{kind}_ms"]) / float(fastest[f"{kind}_ms"])
    loss = float(reference["bleu"]) - float(fastest["bleu"])
    answer.update(
        latency_kind=kind,
        fastest_arch_id=fastest["arch_id"],
        fastest_ms=float(fastest[f"{kind}_ms"]),
        fastest_bleu=float(fastest["bleu"]),
        largest_arch_id=reference["arch_id"],
        largest_ms=float(reference[f"{kind}_ms"]),
        largest_bleu=float(reference["bleu"]),
        speedup=speedup,
        bleu_loss=loss,
        met=speedup >= MIN_SPEEDUP and loss <= MAX_BLEU_LOSS,
    )
    return answer


def pipeline_goals(
    rows: Sequence[Mapping[str, Any]], reference: Mapping[str, Any] | None, baselines: Sequence[str]
) -> dict[str, Any]:
    """Both questions; empty when the run had no baselines (nothing to compare with)."""
    if not baselines:
        return {}
    return {
        "beats_baseline": {name: baseline_goal(rows, name) for name in baselines},
        "fastest_vs_largest": speedup_goal(rows, reference),
    }
