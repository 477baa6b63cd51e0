"""How low a predictor's MAPE can go on a dataset: two estimates of the measurement-noise floor.

- ``run_std``: each row's run-to-run std over its latency. A perfect predictor scored against single runs with
  Gaussian noise of relative std s would have MAPE ~ s sqrt(2/pi); the CSV's means average many runs, so this
  over-states the noise of the mean, but it bounds what the *measuring* of one arch can explain.
- ``near_pairs``: the ``pairs`` closest pairs of archs in HAT-normalised feature space (Chebyshev distance).
  Both rows of a pair look alike to a predictor on these features, so the spread between them is noise a
  predictor cannot remove (measurement noise plus what the averaged features hide). With independent errors of
  relative size e, |d| / sqrt(2) estimates E|e|, where d is the pair's difference over its mean. Optionally the
  difference a reference model predicts between the two rows is subtracted first, removing what the (small)
  feature distance does explain (``mape_floor_corrected``; ``mape_floor`` is the uncorrected figure, which
  over-states the floor where the nearest pairs are not that near). The sqrt(2) step assumes errors of similar
  size: where a few percent of rows carry large errors (artefacts), a pair's difference is mostly one of them
  alone, and the estimate runs up to sqrt(2) above the MAPE those errors cause.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from hwnas.core.errors import DataError


def run_std_floor(latency: np.ndarray, latency_std: np.ndarray) -> dict[str, float]:
    relative = np.asarray(latency_std, dtype=np.float64) / np.asarray(latency, dtype=np.float64)
    return {
        "relative_std_median": float(np.median(relative)),
        "relative_std_mean": float(np.mean(relative)),
        "mape_floor_single_run": float(np.mean(relative) * math.sqrt(2.0 / math.pi)),
    }


def closest_pairs(features: np.ndarray, pairs: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row indices (i, j) of the ``pairs`` closest distinct pairs and their Chebyshev distances, nearest first."""
    n = features.shape[0]
    if n < 2:
        raise DataError("need at least 2 rows to form pairs")
    distance = np.zeros((n, n))
    for column in features.T:  # column by column: [n, n] memory instead of [n, n, d]
        np.maximum(distance, np.abs(column[:, None] - column[None, :]), out=distance)
    upper_i, upper_j = np.triu_indices(n, k=1)
    flat = distance[upper_i, upper_j]
    take = min(pairs, flat.size)
    order = np.argpartition(flat, take - 1)[:take]
    order = order[np.argsort(flat[order], kind="stable")]
    return upper_i[order], upper_j[order], flat[order]


def near_pair_floor(
    features: np.ndarray, latency: np.ndarray, *, pairs: int = 50, reference: np.ndarray | None = None
) -> dict[str, Any]:
    """Floor estimate from the closest pairs (see the module docstring); ``features`` should be normalised so
    that a distance of 0.1 means the same on every column (e.g. divided by HAT's feature norm)."""
    i, j, distance = closest_pairs(np.asarray(features, dtype=np.float64), pairs)
    y = np.asarray(latency, dtype=np.float64)
    mean = (y[i] + y[j]) / 2.0
    difference = y[i] - y[j]
    out: dict[str, Any] = {
        "pairs": int(i.size),
        "max_distance": float(distance.max()),
        "mape_floor": float(np.mean(np.abs(difference) / mean) / math.sqrt(2.0)),
    }
    if reference is not None:
        explained = np.asarray(reference, dtype=np.float64)[i] - np.asarray(reference, dtype=np.float64)[j]
        out["mape_floor_corrected"] = float(np.mean(np.abs(difference - explained) / mean) / math.sqrt(2.0))
    return out
