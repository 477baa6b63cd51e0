"""A fair baseline per latency budget: every uniform-shrink candidate measured on the device with the pipeline's own
measurement settings, then the best expected accuracy among those *measured* within the budget.

Choosing by predicted latency is unfair whenever the predictor is off: one that over-estimates big archs (a
predictor fitted while the CPU was busy had 28% MAPE) picks a baseline far smaller than the budget allows (budget
5.36 ms, baseline measured 2.27 ms), which flatters the searched model. Uniform-shrink families are small (16 archs
in ``tiny``, 36 in ``hat-wmt14ende``, 48 in ``hat-wmt14ende-wide``), so all of them are measured; a family larger
than ``MEASURE_ALL_UP_TO`` is measured only where its prediction is within ``PREDICTED_WINDOW`` times the loosest
budget, and the record says so.

"Best expected accuracy" has two rules (``RANKINGS``): the supernet's validation loss, the search's own fitness, so
both sides are ranked alike (used whenever the supernet is at hand), or else the most parameters.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hwnas.core.files import append_json_lines, read_json_lines

MEASURE_ALL_UP_TO = 64  # families up to this size are measured whole
PREDICTED_WINDOW = 1.5  # larger ones: only archs predicted <= this x the loosest budget

Row = dict[str, Any]  # one candidate: arch_id, arch, shrink, params, flops, predicted_ms, measured_ms, valid_loss


@dataclass(frozen=True)
class Ranking:
    """How candidates within a budget are ordered, best first, and how the record words it."""

    key: Callable[[Mapping[str, Any]], tuple[float, ...]]
    wording: str


RANKINGS: dict[str, Ranking] = {
    "valid_loss": Ranking(
        key=lambda r: (_or_inf(r.get("valid_loss")), -float(r["params"])),
        wording="lowest supernet valid loss",
    ),
    "params": Ranking(key=lambda r: (-float(r["params"]), -float(r["flops"])), wording="most params"),
}


def _or_inf(value: Any) -> float:
    return float("inf") if value is None else float(value)


def measure_plan(predicted: Sequence[float], budgets: Sequence[float]) -> tuple[list[bool], str]:
    """Which candidates to measure, and the sentence that says which."""
    if len(predicted) <= MEASURE_ALL_UP_TO:
        return [True] * len(predicted), f"all {len(predicted)} candidates measured"
    cap = PREDICTED_WINDOW * max(budgets)
    wanted = [p <= cap for p in predicted]
    return wanted, (
        f"{sum(wanted)} of {len(predicted)} candidates measured: those predicted <= {PREDICTED_WINDOW} x the loosest "
        f"budget ({cap:.2f} ms)"
    )


class JsonlCache:
    """key -> float, appended one fsync'd JSON line per value (:func:`hwnas.core.files.append_json_lines`): a killed
    stage keeps every value it got."""

    def __init__(self, path: Path) -> None:
        self.path = path
        records, _ = read_json_lines(path, what="cache", valid=_is_entry, expected='{"key": ..., "value": ...}')
        self.values: dict[str, float] = {str(r["key"]): float(r["value"]) for r in records}

    def get_or_compute(self, key: str, compute: Callable[[], float]) -> float:
        if key not in self.values:
            value = float(compute())
            append_json_lines(self.path, [{"key": key, "value": value}])
            self.values[key] = value
        return self.values[key]


def _is_entry(record: Any) -> bool:
    return isinstance(record, dict) and "key" in record and isinstance(record.get("value"), int | float)


def _fits(rows: Sequence[Row], budget_ms: float, limit_ms: float) -> tuple[str, list[Row]]:
    """The latency basis and the candidates within the budget on it: measured latency when candidates were
    measured (unmeasured ones, predicted far over every budget, never fit), else predicted latency under the
    search's own limit (budget less the safety margin)."""
    measured = [r for r in rows if r.get("measured_ms") is not None]
    if measured:
        return "measured", [r for r in measured if float(r["measured_ms"]) <= budget_ms]
    return "predicted", [r for r in rows if float(r["predicted_ms"]) <= limit_ms]


def choose_baseline(rows: Sequence[Row], *, budget_ms: float, limit_ms: float, rule: str) -> dict[str, Any] | None:
    """The candidate ranked best by ``rule`` among those within ``budget_ms``, with the reason. When candidates
    were measured and none is within the budget, the fastest measured one is taken and flagged
    (``within_budget`` False), as for the searched model; on predictions alone, None."""
    ranking = RANKINGS[rule]
    basis, fits = _fits(rows, budget_ms, limit_ms)
    if fits:
        chosen = min(fits, key=ranking.key)
        bound = f"{budget_ms:.2f} ms" if basis == "measured" else f"the search limit {limit_ms:.2f} ms"
        reason = f"{ranking.wording} of the {len(fits)} of {len(rows)} {basis} within {bound}"
        within: bool | None = True if basis == "measured" else None
    elif basis == "measured":
        chosen = min((r for r in rows if r.get("measured_ms") is not None), key=lambda r: float(r["measured_ms"]))
        reason = f"no candidate measured within {budget_ms:.2f} ms: the fastest measured one"
        within = False
    else:
        return None
    return {
        "arch_id": chosen["arch_id"],
        "arch": chosen["arch"],
        "predicted_ms": chosen["predicted_ms"],
        "measured_ms": chosen.get("measured_ms"),
        "within_budget": within,
        "metrics": {k: chosen.get(k) for k in ("params", "flops", "valid_loss")} | {"latency": chosen["predicted_ms"]},
        "selection": {
            "rule": rule,
            "latency_basis": basis,
            "reason": reason,
            "within": [r["arch_id"] for r in sorted(fits, key=ranking.key)],
        },
    }
