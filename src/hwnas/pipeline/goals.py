"""The pipeline's two yes/no questions, computed from the evaluated rows (numbers included, so a "no" says by how
much):

1. at every budget, does the searched model beat the best same-latency baseline by at least
   ``BASELINE_BLEU_MARGIN`` BLEU? The baseline chosen for the budget is the best *expected* one (by supernet loss);
   when another model of the same family retrained in this run (one chosen for another budget, or the largest arch)
   was measured within the budget too and scored a higher BLEU, the question is asked against that one
   (:func:`add_best_in_budget`).
2. is the fastest searched model at least ``MIN_SPEEDUP`` times faster than the largest model of the space, with
   a BLEU loss of at most ``MAX_BLEU_LOSS``?

A question that cannot be answered (no baseline, no reference, a missing BLEU) gets ``met: None``. Both questions
rest on measured latency (budgets, which baseline fits, the speed-up), so when the latency data was judged
unreliable (:mod:`hwnas.hardware.reliability`) each keeps its numbers but says ``assessable: False`` and
``met: None`` instead of a yes or no.
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


def _pool(rows: Sequence[Mapping[str, Any]], reference: Mapping[str, Any] | None, name: str, ids: set[str]) -> Any:
    """Every retrained model of baseline family ``name`` with a BLEU and a measured latency, with its role."""
    pool: dict[str, dict[str, Any]] = {}
    for row in rows:
        base = (row.get("baselines") or {}).get(name)
        if base:
            pool.setdefault(base["arch_id"], {**base, "role": f"the {name} baseline of {row['budget_ms']:.2f} ms"})
    if reference and reference["arch_id"] in ids:
        pool.setdefault(reference["arch_id"], {**reference, "role": "the largest arch (reference)"})
    return [e for e in pool.values() if e.get("bleu") is not None and e.get("measured_ms") is not None]


def add_best_in_budget(
    rows: Sequence[dict[str, Any]], reference: Mapping[str, Any] | None, families: Mapping[str, set[str]]
) -> None:
    """Mark, per budget and baseline family (``families``: name -> the arch_ids of its candidates), a retrained
    model of the family measured within the budget that scored a higher BLEU than the chosen baseline
    (``best_in_budget``): the largest arch fitting a loose budget, say, when the supernet ranked a smaller one a
    hair better."""
    for name, ids in families.items():
        pool = _pool(rows, reference, name, ids)
        for row in rows:
            base = (row.get("baselines") or {}).get(name)
            if not base or base.get("bleu") is None:
                continue
            within = [e for e in pool if float(e["measured_ms"]) <= float(row["budget_ms"])]
            best = max(within, key=lambda e: float(e["bleu"]), default=None)
            if best is not None and float(best["bleu"]) > float(base["bleu"]):
                base["best_in_budget"] = {k: best[k] for k in ("arch_id", "bleu", "measured_ms", "role")}


def baseline_goal(rows: Sequence[Mapping[str, Any]], name: str) -> dict[str, Any]:
    """Question 1 for the baseline ``name``: one entry per budget, and whether all of them are met."""
    per_budget = []
    for row in rows:
        chosen = (row.get("baselines") or {}).get(name) or {}
        base = chosen.get("best_in_budget") or chosen
        searched, baseline = row.get("bleu"), base.get("bleu")
        gap = None if searched is None or baseline is None else float(searched) - float(baseline)
        per_budget.append(
            {
                "budget_ms": row["budget_ms"],
                "searched_bleu": searched,
                "baseline_bleu": baseline,
                "baseline_arch_id": base.get("arch_id"),
                "chosen_arch_id": chosen.get("arch_id"),
                "baseline_role": base.get("role", "the chosen baseline") if base else None,
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


def not_assessable(goal: dict[str, Any], reliability: Mapping[str, Any] | None) -> dict[str, Any]:
    """``goal`` unanswered when the latency data it rests on was judged unreliable (else unchanged)."""
    if not reliability or reliability.get("reliable") is not False:
        return {**goal, "assessable": True}
    reasons = "; ".join(reliability.get("reasons") or [])
    return {**goal, "met": None, "assessable": False, "not_assessable_because": f"latency data unreliable: {reasons}"}


def pipeline_goals(
    rows: Sequence[Mapping[str, Any]],
    reference: Mapping[str, Any] | None,
    baselines: Sequence[str],
    reliability: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Both questions; empty when the run had no baselines (nothing to compare with). ``reliability``: the
    predictor stage's verdict on the latency data (``Reliability.to_dict()``)."""
    if not baselines:
        return {}
    return {
        "beats_baseline": {name: not_assessable(baseline_goal(rows, name), reliability) for name in baselines},
        "fastest_vs_largest": not_assessable(speedup_goal(rows, reference), reliability),
    }
