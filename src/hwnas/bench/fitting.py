"""The numerics behind :func:`hwnas.bench.surrogate.fit_surrogate`: ridge regression of RELATIVE errors with the
penalty chosen by k-fold cross-validation, an L1 refinement by iteratively reweighted least squares, and the
cross-fitted (out-of-fold) predictions that calibrate the intervals.

Relative errors because the benchmark's figure of merit is MAPE and the values span 5-10x within a scale: a row
``x_i`` with value ``y_i`` enters as ``x_i / y_i`` with target 1, so least squares weighs every arch by its relative
error. L1 (the relative-error MAPE itself) where measurements have outliers (a GPU repeat hit by a clock change, a
CPU run sharing its machine): IRLS with weights ``1 / max(|r_i|, delta)`` converges to it in a dozen solves.
Columns are scaled to unit RMS so that one penalty fits all; the penalty is searched on a log grid relative to the
mean diagonal of the Gram matrix over the PENALISED columns, each fold's solution for every penalty from one
eigendecomposition. Columns that are not penalised (the caller scales them up by ``1 / LIGHT``, i.e. a penalty
``LIGHT^2`` times smaller) carry the level: with more columns than rows (perplexity on scale l: ~250 archs, ~700
per-layer columns) a uniform penalty would shrink the prediction itself towards 0, where shrinking only the
per-layer refinements shrinks it towards the per-block-count model.
"""

from __future__ import annotations

import numpy as np

PENALTIES = (1e-9, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0, 3.0, 10.0, 100.0, 1e3)  # x reference
IRLS_STEPS = 12
IRLS_DELTA = 1e-4  # relative error below which a row's L1 weight stops growing
LIGHT = 1e-4  # column scale of unpenalised blocks: their penalty is LIGHT^2 = 1e-8 of the others'


def folds_of(n: int, k: int, seed: int) -> np.ndarray:
    """[n] fold number of each row: a seeded shuffle dealt round-robin (folds differ in size by at most one)."""
    fold = np.empty(n, dtype=np.int64)
    fold[np.random.default_rng(seed).permutation(n)] = np.arange(n) % k
    return fold


def _reference(gram: np.ndarray, penalised: np.ndarray) -> float:
    """The unit of the penalty: the mean diagonal of the Gram matrix over the penalised columns."""
    diagonal = np.diag(gram)[penalised] if penalised.any() else np.diag(gram)
    return max(float(diagonal.mean()) if diagonal.size else 1.0, 1e-12)


def _solve(gram: np.ndarray, rhs: np.ndarray, penalty: float, penalised: np.ndarray) -> np.ndarray:
    ridge = penalty * _reference(gram, penalised)
    return np.linalg.solve(gram + ridge * np.eye(gram.shape[0]), rhs)


def _path(gram: np.ndarray, rhs: np.ndarray, rows: np.ndarray, penalised: np.ndarray) -> np.ndarray:
    """[len(rows), len(PENALTIES)]: ``rows @ coef(penalty)`` for every penalty, from one eigendecomposition."""
    values, vectors = np.linalg.eigh(gram)
    ridge = np.asarray(PENALTIES) * _reference(gram, penalised)  # [k]
    projected = vectors.T @ rhs  # [p]
    return np.asarray((rows @ vectors) @ (projected[:, None] / (np.maximum(values, 0.0)[:, None] + ridge[None, :])))


def choose_penalty(relative: np.ndarray, fold: np.ndarray, penalised: np.ndarray) -> tuple[float, np.ndarray]:
    """(the penalty with the lowest cross-validated mean absolute relative error, [n] its out-of-fold predictions
    of y / y, i.e. 1 + relative error). ``relative`` [n, p] is the design divided by the target row-wise."""
    gram, rhs = relative.T @ relative, relative.sum(axis=0)  # target 1 on every row
    predicted = np.empty((relative.shape[0], len(PENALTIES)))  # [n, k]
    for k in np.unique(fold):
        held = fold == k
        part = relative[held]
        predicted[held] = _path(gram - part.T @ part, rhs - part.sum(axis=0), part, penalised)
    errors = np.abs(predicted - 1.0).mean(axis=0)  # [k]
    best = int(np.argmin(errors))
    return PENALTIES[best], predicted[:, best]


def fit_l2(relative: np.ndarray, penalty: float, penalised: np.ndarray) -> np.ndarray:
    return _solve(relative.T @ relative, relative.sum(axis=0), penalty, penalised)


def fit_l1(relative: np.ndarray, penalty: float, penalised: np.ndarray) -> np.ndarray:
    """Least absolute relative error (plus the ridge penalty), by IRLS started from the L2 solution."""
    coef = fit_l2(relative, penalty, penalised)
    for _ in range(IRLS_STEPS):
        weight = 1.0 / np.maximum(np.abs(relative @ coef - 1.0), IRLS_DELTA)  # [n]
        weighted = relative * weight[:, None]
        coef = _solve(weighted.T @ relative, weighted.sum(axis=0), penalty, penalised)
    return coef


def choose_l1_penalty(
    relative: np.ndarray, fold: np.ndarray, l2_penalty: float, penalised: np.ndarray
) -> tuple[float, np.ndarray]:
    """(penalty, [n] out-of-fold predictions) for the L1 fit: L1 wants less shrinkage than L2 (a heavily shrunk
    IRLS drifts), so the L2 choice and the two grid points below it are cross-validated under L1 itself."""
    at = PENALTIES.index(l2_penalty)
    best: tuple[float, float, np.ndarray] | None = None
    for penalty in PENALTIES[max(0, at - 2) : at + 1]:
        predicted = cross_fit(relative, fold, penalty, "l1", penalised)
        error = float(np.abs(predicted - 1.0).mean())
        if best is None or error < best[0]:
            best = (error, penalty, predicted)
    assert best is not None
    return best[1], best[2]


def cross_fit(relative: np.ndarray, fold: np.ndarray, penalty: float, loss: str, penalised: np.ndarray) -> np.ndarray:
    """[n] out-of-fold predictions of y / y under ``loss`` at ``penalty``."""
    fit = fit_l1 if loss == "l1" else fit_l2
    predicted = np.empty(relative.shape[0])
    for k in np.unique(fold):
        held = fold == k
        predicted[held] = relative[held] @ fit(relative[~held], penalty, penalised)
    return predicted


def column_scale(design: np.ndarray) -> np.ndarray:
    """[p] RMS of each column (1 for an all-zero column), so that one ridge penalty treats all columns alike."""
    rms = np.sqrt((design**2).mean(axis=0)) if design.shape[0] else np.ones(design.shape[1])
    return np.where(rms > 0, rms, 1.0)


def least_squares(design: np.ndarray, target: np.ndarray, penalty: float = 1e-6) -> np.ndarray:
    """Plain ridge regression (columns scaled inside, coefficients returned for the raw columns)."""
    scale = column_scale(design)
    scaled = design / scale
    everything = np.ones(design.shape[1], dtype=bool)
    return np.asarray(_solve(scaled.T @ scaled, scaled.T @ target, penalty, everything) / scale)
