"""`SearchResult`: what a run found, as written to ``result.json``. It holds no timings or host details, so a
resumed run and an uninterrupted one with the same seed produce byte-identical files."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from hwnas.core.objectives import Objective
from hwnas.core.pareto import hypervolume
from hwnas.search.ranking import best_record, pareto_records
from hwnas.search.records import Record


@dataclass
class SearchResult:
    space: str
    algorithm: str
    seed: int
    objectives: list[str]
    constraints: list[str]
    best: dict[str, Any] | None  # {"arch_id", "arch", "metrics"} of the best feasible arch; None if none is feasible
    pareto_front: list[dict[str, Any]] | None = None  # with several objectives: the non-dominated feasible archs
    hypervolume: float | None = None
    hypervolume_reference: list[float] | None = None
    history: list[dict[str, Any]] = field(default_factory=list)  # best-so-far after each iteration
    counts: dict[str, int] = field(default_factory=dict)  # with a fitness schedule: summed over the phases
    stopped: str = "iterations"  # iterations | max_evaluations | exhausted
    # Hybrid search: each phase's evaluator, iterations, objective, counts and best arch. ``objectives`` and
    # ``best`` are then those of the phase the run ended in (the last one unless the budget ran out first).
    fitness_schedule: list[dict[str, Any]] | None = None
    init_archs: dict[str, int] | None = None  # --init-archs: given, used, duplicates, infeasible (cheap constraints)
    # what the searcher reports of itself (its ``report()``, e.g. lm-searcher's paths); left out when it has none
    searcher: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        if data["searcher"] is None:
            del data["searcher"]  # results of searchers without a report keep their bytes
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SearchResult:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


def arch_summary(record: Record) -> dict[str, Any]:
    return {"arch_id": record.arch.arch_id, "arch": record.arch.to_dict(), "metrics": dict(record.metrics)}


def history_entry(
    iteration: int,
    evaluations: int,
    records: Sequence[Record],
    objectives: Sequence[Objective],
    phase: int | None = None,
) -> dict[str, Any]:
    """Best-so-far after ``iteration`` (``records``: every record of the run so far; with a fitness schedule, of
    the current ``phase``, since records of different phases rank by different metrics)."""
    best = best_record(records)
    entry: dict[str, Any] = {
        "iteration": iteration,
        **({} if phase is None else {"phase": phase}),
        "evaluations": evaluations,
        "best_arch_id": best.arch.arch_id if best else None,
        "best": {o.metric: best.metrics[o.metric] for o in objectives} if best else None,
    }
    if len(objectives) > 1:
        entry["pareto_size"] = len(pareto_records(records))
    return entry


def pareto_summary(
    records: Sequence[Record], objectives: Sequence[Objective]
) -> tuple[list[dict[str, Any]], float, list[float]]:
    """The front, its hypervolume, and the reference point used: the feasible nadir pushed out by 10% of the range
    (so the extreme points of the front count), in the metrics' own units and directions."""
    front = pareto_records(records)
    if not front:
        return [], 0.0, []
    feasible = np.array([r.objectives for r in records if r.status == "ok"], dtype=float)  # minimisation form
    nadir, ideal = feasible.max(axis=0), feasible.min(axis=0)
    span = np.where(nadir > ideal, nadir - ideal, np.maximum(np.abs(nadir), 1.0))
    reference_min = nadir + 0.1 * span
    reference = [o.sign * float(v) for o, v in zip(objectives, reference_min, strict=True)]
    directions = [o.direction for o in objectives]
    points = [[r.metrics[o.metric] for o in objectives] for r in front]
    return [arch_summary(r) for r in front], hypervolume(points, directions, reference), reference
