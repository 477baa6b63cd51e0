"""Pareto sorting and hypervolume (pymoo underneath) against brute force on small sets, min and max mixed."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from hwnas.core.pareto import crowding_distance, hypervolume, non_dominated_fronts, pareto_front_indices


def _dominates(a: np.ndarray, b: np.ndarray, directions: list[str]) -> bool:
    better = [(x <= y) if d == "min" else (x >= y) for x, y, d in zip(a, b, directions, strict=True)]
    strictly = [(x < y) if d == "min" else (x > y) for x, y, d in zip(a, b, directions, strict=True)]
    return all(better) and any(strictly)


def _brute_fronts(points: np.ndarray, directions: list[str]) -> list[list[int]]:
    left, fronts = set(range(len(points))), []
    while left:
        front = sorted(i for i in left if not any(_dominates(points[j], points[i], directions) for j in left))
        fronts.append(front)
        left -= set(front)
    return fronts


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("directions", [["min", "min"], ["max", "min"], ["max", "max", "min"]])
def test_fronts_match_brute_force(seed: int, directions: list[str]) -> None:
    points = np.random.default_rng(seed).integers(0, 6, size=(25, len(directions))).astype(float)  # many ties
    fronts = [list(f) for f in non_dominated_fronts(points, directions)]  # type: ignore[arg-type]
    assert fronts == _brute_fronts(points, directions)
    assert list(pareto_front_indices(points, directions)) == fronts[0]  # type: ignore[arg-type]


def test_known_front_with_a_maximised_objective() -> None:
    # (params:max, latency:min): b dominates c (more params, same latency); a and b trade off; d is worst.
    points = [[10, 5], [20, 8], [15, 8], [5, 9]]
    assert [list(f) for f in non_dominated_fronts(points, ["max", "min"])] == [[0, 1], [2], [3]]
    assert non_dominated_fronts(np.zeros((0, 2)), ["min", "min"]) == []


def _brute_hypervolume(points: np.ndarray, directions: list[str], reference: list[int]) -> int:
    """Count unit cells of the box between the ideal corner and the reference that some point dominates."""
    signs = np.array([1 if d == "min" else -1 for d in directions])
    pts, ref = points * signs, np.array(reference) * signs
    low = pts.min(axis=0)
    cells = itertools.product(*(range(int(lo), int(r)) for lo, r in zip(low, ref, strict=True)))
    return sum(any(np.all(p <= np.array(c)) for p in pts) for c in cells)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("directions", [["min", "min"], ["min", "max", "min"]])
def test_hypervolume_matches_cell_counting(seed: int, directions: list[str]) -> None:
    rng = np.random.default_rng(seed)
    points = rng.integers(0, 5, size=(6, len(directions))).astype(float)
    points[:, [i for i, d in enumerate(directions) if d == "max"]] *= -1  # max columns hold values <= 0
    reference = [6 if d == "min" else -6 for d in directions]
    assert hypervolume(points, directions, reference) == pytest.approx(
        _brute_hypervolume(points, directions, reference)
    )  # type: ignore[arg-type]


def test_hypervolume_known_values_and_points_outside() -> None:
    assert hypervolume([[1, 1, 1]], ["min", "min", "min"], [2, 3, 4]) == pytest.approx(6.0)
    assert hypervolume([[10, 2]], ["max", "min"], [4, 5]) == pytest.approx(18.0)
    assert hypervolume([[7, 7]], ["min", "min"], [5, 5]) == 0.0


def test_crowding_distance_prefers_boundaries() -> None:
    distance = crowding_distance([[1, 4], [2, 3], [3, 2], [4, 1]], ["min", "min"])
    assert np.isinf(distance[0]) and np.isinf(distance[3]) and np.isfinite(distance[1])
    with pytest.raises(ValueError, match="'min' or 'max'"):
        crowding_distance([[1, 2]], ["min", "up"])  # type: ignore[list-item]
