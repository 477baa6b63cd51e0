"""Keeping a latency budget when the predictor is a little off: search under a safety margin, then measure the
chosen arch on the device and, if it is over budget after all, fall back to the next candidate among the search's
records (the :class:`~hwnas.search.RunOutcome` of the run: nothing is re-read from its journal).

A predictor with a few per cent error puts the arch it picks for a tight budget right at the edge, so about half
of the picks land just over it (the quickstart's tightest budget: predicted 2.08 ms, measured 2.26 ms for a
2.11 ms budget). The margin moves the search's limit inside the budget; the re-measure catches what the margin
does not, for a bounded number of measurements, and every step is recorded for the report.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hwnas.core.arch import Arch
from hwnas.core.objectives import Constraint
from hwnas.pipeline.config import DEFAULT_MARGIN, PipelineConfig

if TYPE_CHECKING:
    from hwnas.search.records import Record

MIN_AUTO_MARGIN, MAX_AUTO_MARGIN = 0.01, 0.25  # bounds on a margin derived from the predictor's MAPE

Measurer = Callable[[Arch], float]  # measured latency (ms) of one arch on the search device


@dataclass(frozen=True)
class Candidate:
    """An arch that may answer a budget, in order of preference, with its predicted latency."""

    arch: Arch
    predicted_ms: float
    info: dict[str, Any]  # carried into the choice, e.g. {"metrics": the search's metrics of the arch}


def resolve_margin(config: PipelineConfig, check: dict[str, Any] | None) -> float:
    """``search.latency_margin`` as a number: ``auto`` is the predictor's held-out MAPE (bounded), or the
    default when the predictor had no held-out check (a reused predictor)."""
    margin = config.search.latency_margin
    if margin != "auto":
        return float(margin)
    if not check or check.get("in_sample") or "mape" not in check:
        return DEFAULT_MARGIN
    return min(max(float(check["mape"]), MIN_AUTO_MARGIN), MAX_AUTO_MARGIN)


def search_limit(budget_ms: float, margin: float) -> float:
    """The predicted-latency limit the search works under for one budget."""
    return budget_ms * (1.0 - margin)


def choose_within_budget(
    candidates: Sequence[Candidate],
    *,
    budget_ms: float,
    measure: Measurer | None,
    max_measures: int,
) -> dict[str, Any] | None:
    """The first candidate whose measured latency is within ``budget_ms``, measuring at most ``max_measures``.

    Without a measurer (latency was not measured here) or with ``max_measures`` 0, the first candidate is
    taken on its prediction (``within_budget`` None: unknown). If every measured one is over budget, the
    fastest measured is taken and flagged (``within_budget`` False). None when there is no candidate.
    """
    if not candidates:
        return None
    if measure is None or max_measures == 0:
        return _choice(candidates[0], measured=None, within=None, tries=[], fallback=False)
    tries: list[dict[str, Any]] = []
    for candidate in candidates[:max_measures]:
        measured = float(measure(candidate.arch))
        within = measured <= budget_ms
        tries.append(
            {
                "arch_id": candidate.arch.arch_id,
                "predicted_ms": candidate.predicted_ms,
                "measured_ms": measured,
                "within_budget": within,
            }
        )
        if within:
            return _choice(candidate, measured=measured, within=True, tries=tries, fallback=len(tries) > 1)
    fastest = min(range(len(tries)), key=lambda i: tries[i]["measured_ms"])
    return _choice(
        candidates[fastest], measured=tries[fastest]["measured_ms"], within=False, tries=tries, fallback=fastest > 0
    )


def _choice(
    candidate: Candidate, *, measured: float | None, within: bool | None, tries: list[dict[str, Any]], fallback: bool
) -> dict[str, Any]:
    return {
        "arch_id": candidate.arch.arch_id,
        "arch": candidate.arch.to_dict(),
        "predicted_ms": candidate.predicted_ms,
        "measured_ms": measured,
        "within_budget": within,
        "fallback": fallback,  # True when the preferred candidate was over budget and another one was taken
        "tries": tries,
        **candidate.info,
    }


def search_candidates(records: Sequence[Record], best_id: str | None, constraint: Constraint) -> list[Candidate]:
    """The search's evaluated archs that meet ``constraint`` (predicted latency within the search's limit), best
    fitness first: the search's own best (``best_id``), then every other one by supernet validation loss (archs of
    equal loss in the order the search evaluated them)."""
    usable = [r for r in records if r.error is None and "valid_loss" in r.metrics and constraint.check(r.metrics)]
    ranked = [r for r in records if r.arch.arch_id == best_id] + sorted(usable, key=lambda r: r.metrics["valid_loss"])
    found: dict[str, Candidate] = {}
    for record in ranked:
        predicted = float(record.metrics[constraint.metric])
        found.setdefault(record.arch.arch_id, Candidate(record.arch, predicted, {"metrics": dict(record.metrics)}))
    return list(found.values())
