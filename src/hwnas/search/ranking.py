"""One ranking of records shared by every searcher and the result, so "better" means the same thing everywhere.

Feasible records come first, ordered by Pareto front (pymoo's non-dominated sort) and, within a front, by
crowding distance (most isolated first, which keeps a population spread along the front); with one objective
that is simply the objective value. Infeasible records follow by total constraint violation, then failed ones.
Ties keep the order in which records were given, so the ranking is deterministic.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from hwnas.core.pareto import crowding_distance, non_dominated_fronts, pareto_front_indices
from hwnas.search.records import Record


def rank_records(records: Sequence[Record]) -> list[Record]:
    """``records`` best first (see the module docstring)."""
    feasible = [i for i, r in enumerate(records) if r.status == "ok"]
    infeasible = sorted(
        (i for i, r in enumerate(records) if r.status == "infeasible"), key=lambda i: records[i].violation
    )
    failed = [i for i, r in enumerate(records) if r.status == "failed"]
    order = [feasible[j] for j in _rank_feasible([records[i] for i in feasible])]
    return [records[i] for i in order + infeasible + failed]


def _rank_feasible(records: Sequence[Record]) -> list[int]:
    if not records:
        return []
    points = np.array([r.objectives for r in records], dtype=float)
    if points.shape[1] == 1:
        return [int(i) for i in np.argsort(points[:, 0], kind="stable")]
    directions = ["min"] * points.shape[1]
    order: list[int] = []
    for front in non_dominated_fronts(points, directions):  # type: ignore[arg-type]
        crowding = crowding_distance(points[front], directions)  # type: ignore[arg-type]
        order.extend(int(front[j]) for j in np.argsort(-crowding, kind="stable"))
    return order


def best_record(records: Sequence[Record]) -> Record | None:
    """The feasible record with the best first objective (later objectives break ties); None if none is feasible.

    Objectives are listed in priority order, so with several objectives "best" is the lexicographic best; the
    trade-offs are in the Pareto front.
    """
    feasible = [r for r in records if r.status == "ok"]
    return min(feasible, key=lambda r: r.objectives, default=None)


def pareto_records(records: Sequence[Record]) -> list[Record]:
    """The non-dominated feasible records (one per arch), sorted by objectives for a stable order."""
    unique = {r.arch.arch_id: r for r in records if r.status == "ok"}
    feasible = list(unique.values())
    if not feasible:
        return []
    points = np.array([r.objectives for r in feasible], dtype=float)
    front = pareto_front_indices(points, ["min"] * points.shape[1])
    return sorted((feasible[int(i)] for i in front), key=lambda r: (r.objectives, r.arch.arch_id))
