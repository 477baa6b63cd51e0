"""What a finished (or stopped) run reports: the deterministic :class:`SearchResult` (``result.json``) and the
wall-clock timings (``timings.json``), kept apart so that a resumed run's result stays byte-identical to an
uninterrupted one while timings, which differ on every run, are still recorded per iteration and per phase."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hwnas.search.phases import Phase, PhasedEvaluation
from hwnas.search.ranking import best_record
from hwnas.search.result import SearchResult, arch_summary, pareto_summary


def build_result(
    *,
    algorithm: str,
    space: str,
    seed: int,
    phases: Sequence[Phase],
    phased: PhasedEvaluation,
    history: list[dict[str, Any]],
    stopped: str,
    init_counts: dict[str, int] | None,
    searcher_report: dict[str, Any] | None = None,
) -> SearchResult:
    """Best arch, front and objectives are those of the phase the run ended in: a record is only comparable with
    records ranked by the same fitness."""
    records = phased.current.evaluated_records()
    objectives = phased.phase.objectives
    best = best_record(records)
    result = SearchResult(
        space=space,
        algorithm=algorithm,
        seed=seed,
        objectives=[str(o) for o in objectives],
        constraints=[str(c) for c in phased.constraints],
        best=arch_summary(best) if best is not None else None,
        history=history,
        counts={"iterations": len(history), **phased.counts()},
        stopped=stopped,
        init_archs=init_counts,
        searcher=searcher_report,
    )
    if phased.scheduled:
        result.fitness_schedule = [_phase_summary(phase, phased) for phase in phases]
    if len(objectives) > 1:
        front, volume, reference = pareto_summary(records, objectives)
        result.pareto_front, result.hypervolume, result.hypervolume_reference = front, volume, reference
    return result


def _phase_summary(phase: Phase, phased: PhasedEvaluation) -> dict[str, Any]:
    summary = phase.describe()
    if phase.index >= len(phased.services):  # never reached: the budget ran out before it
        return {**summary, "reached": False, "counts": None, "best": None}
    best = best_record(phased.services[phase.index].evaluated_records())
    top = {"arch_id": best.arch.arch_id, "metrics": dict(best.metrics)} if best is not None else None
    return {**summary, "reached": True, "counts": phased.services[phase.index].counts(), "best": top}


def build_timings(phases: Sequence[Phase], seconds: Sequence[float]) -> dict[str, Any]:
    """Wall-clock seconds per iteration (``seconds[i]``, the carry-over into a new phase included) and per phase.
    Iterations replayed from the journal keep the time their first run took; the part of an iteration cut short
    by a kill is not counted."""
    per_phase = [
        {**phase.describe(), "seconds": round(sum(seconds[phase.start : phase.end + 1]), 6)}
        for phase in phases
        if phase.start < len(seconds)
    ]
    return {
        "total_s": round(sum(seconds), 6),
        "phases": per_phase,
        "iterations_s": [round(s, 6) for s in seconds],
    }
