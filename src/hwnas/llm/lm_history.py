"""The trial history the LM searcher shows the LLM: the best ``cap`` trials, scores min-max normalised.

A score is "higher is better" whatever the run optimises: the negated first objective of a feasible record
(records hold objectives in minimisation form, listed in priority order, as the run's best arch is chosen).
Normalisation maps the worst shown trial to 0 and the best to 1; when every shown score is equal (one trial, or
ties) they all read 1.0, never a division by zero. Infeasible and failed trials, and non-finite values, are not
shown (they are still never proposed again).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from hwnas.contracts.record import Record

SCORE_DIGITS = 4


@dataclass(frozen=True)
class Trial:
    code: str
    value: float  # higher is better
    order: int  # when it was told (shown in this order)


def trial_value(record: Record) -> float | None:
    """The record's score (higher is better), or None when it cannot be shown."""
    if record.status != "ok" or not record.objectives:
        return None
    value = -float(record.objectives[0])
    return value if math.isfinite(value) else None


def shown_history(trials: Sequence[Trial], cap: int) -> list[dict[str, str]]:
    """The best ``cap`` trials (ties: the earlier one), in the order they were told, as ``{code, score}``."""
    if cap < 1:
        raise ValueError(f"the history cap must be >= 1, got {cap}")
    best = sorted(trials, key=lambda t: (-t.value, t.order))[:cap]
    kept = sorted(best, key=lambda t: t.order)
    if not kept:
        return []
    low, high = min(t.value for t in kept), max(t.value for t in kept)
    span = high - low
    return [{"code": t.code, "score": f"{(t.value - low) / span if span > 0 else 1.0:.{SCORE_DIGITS}f}"} for t in kept]
