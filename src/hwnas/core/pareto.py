"""Pareto utilities over a points matrix (rows = archs, columns = objectives), delegated to pymoo.

Directions are handled by a sign flip into pymoo's minimisation convention, so callers pass raw metric values and
the objectives' directions. pymoo is imported lazily: ``hwnas.core`` stays importable with numpy alone.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from hwnas.core.objectives import Direction


def to_minimization(points: Sequence[Sequence[float]] | np.ndarray, directions: Sequence[Direction]) -> np.ndarray:
    """A float copy of ``points`` with every ``max`` column negated."""
    matrix = np.asarray(points, dtype=float)
    if matrix.ndim != 2 or matrix.shape[1] != len(directions):
        raise ValueError(f"points must be an (n, {len(directions)}) matrix, got shape {matrix.shape}")
    if any(d not in ("min", "max") for d in directions):
        raise ValueError(f"directions must be 'min' or 'max', got {list(directions)}")
    signs = np.array([1.0 if d == "min" else -1.0 for d in directions])
    minimized: np.ndarray = matrix * signs
    return minimized


def non_dominated_fronts(
    points: Sequence[Sequence[float]] | np.ndarray, directions: Sequence[Direction]
) -> list[np.ndarray]:
    """Row indices grouped by front (front 0 = non-dominated), via pymoo's fast non-dominated sort.

    Equal points share a front (neither dominates the other).
    """
    minimized = to_minimization(points, directions)
    if len(minimized) == 0:
        return []
    from pymoo.util.nds.non_dominated_sorting import NonDominatedSorting  # type: ignore[import-untyped]

    fronts = NonDominatedSorting().do(minimized)
    return [np.sort(np.asarray(f, dtype=int)) for f in fronts]


def pareto_front_indices(points: Sequence[Sequence[float]] | np.ndarray, directions: Sequence[Direction]) -> np.ndarray:
    """Sorted row indices of the non-dominated points."""
    fronts = non_dominated_fronts(points, directions)
    return fronts[0] if fronts else np.zeros(0, dtype=int)


def crowding_distance(points: Sequence[Sequence[float]] | np.ndarray, directions: Sequence[Direction]) -> np.ndarray:
    """NSGA-II crowding distance of each point within the given set (boundary points get inf)."""
    minimized = to_minimization(points, directions)
    if len(minimized) <= 2:
        return np.full(len(minimized), np.inf)
    from pymoo.operators.survival.rank_and_crowding.metrics import calc_crowding_distance  # type: ignore[import-untyped]

    return np.asarray(calc_crowding_distance(minimized), dtype=float)


def hypervolume(
    points: Sequence[Sequence[float]] | np.ndarray,
    directions: Sequence[Direction],
    reference: Sequence[float],
) -> float:
    """Hypervolume dominated by ``points`` and bounded by ``reference`` (raw metric values, like the points)."""
    minimized = to_minimization(points, directions)
    ref = to_minimization([list(reference)], directions)[0]
    inside = minimized[np.all(minimized < ref, axis=1)] if len(minimized) else minimized
    if len(inside) == 0:
        return 0.0
    from pymoo.indicators.hv import HV  # type: ignore[import-untyped]

    return float(HV(ref_point=ref)(inside))
