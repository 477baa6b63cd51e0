"""A benchmark surrogate: one (scale, metric, device)'s value of any arch from its per-layer features, with a
deterministic mean and a calibrated, heteroscedastic predictive distribution for intervals and draws.

The model, and why:

- **Mean**: linear in the features (:mod:`hwnas.bench.features`), fitted on relative errors (:mod:`.fitting`),
  L1 for measured hardware metrics (outlier repeats), L2 for the supernet's perplexity / accuracy (deterministic).
  Hardware costs add up over blocks, so a linear model on per-block counts is the right shape, not an
  approximation a tree ensemble has to learn: fitted on 3/4 of each table and scored on the rest, it has a lower
  MAPE than LightGBM (same rows, every feature block) on 109 of the 117 (scale, metric, device) (2026-12-03); of
  the other 8, 3 are within 0.5% of it and 5 are board power / energy of the P100 and V100 on scales m and l, whose
  residuals follow the measurement order (drift) more than any cost of the arch. Prediction is one matrix-vector
  product (10^5 archs in milliseconds) and the model is five small arrays (no pickle).
- **Spread**: the error of the mean on an unseen arch, in log space (relative, keeps values positive), is
  ``s(x) * r``: ``s(x) = exp(gamma . [1, log m(x), log^2 m(x), log v(x)])`` where ``m(x)`` is the mean and ``v(x)``
  the relative std of the repeats predicted by a linear noise model fitted on the table's ``*_std`` column (when
  the column exists): the repeats' heteroscedastic noise enters the spread, and so does the model error, which the
  out-of-fold residuals ``log(y / m_cv(x))`` measure; gamma is fitted to ``log |residual|``.
- **Calibration**: split-conformal on the normalised out-of-fold residuals ``r = log(y / m_cv) / s``: their sorted
  values are stored, and the central ``level`` interval is ``m * exp(s * [q_lo, q_hi])`` with the conformal
  (n + 1) rank correction, so on unseen archs of the same table it holds the table's value at the nominal rate,
  for any level, without assuming a distribution. A ``sample`` draws ``u ~ U(0, 1)`` and returns
  ``m * exp(s * Q(u))``: draws and intervals describe the same distribution. The interval always contains the mean.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from hwnas.bench import fitting
from hwnas.core.errors import DataError

SURROGATE_VERSION = 2  # part of every cache key: bump it when the fitting (fitting.py, this module) changes
MIN_ROWS = 10  # fewer measured archs than this cannot be cross-validated into an honest interval
FOLDS = 5
# With few rows a fold's model sees markedly fewer rows than the final one, so out-of-fold residuals overstate the
# final model's error and intervals over-cover; more folds close the gap. Scale l's 253 training perplexities: the
# 80% interval held 87% of held-out values with 5 folds, 82% with 20 (mean of 6 splits).
SMALL_DATA, SMALL_DATA_FOLDS = 1000, 20


@dataclass(frozen=True)
class FitSettings:
    """How a surrogate is fitted (part of the cache key: change a field and the cache refits)."""

    blocks: tuple[str, ...]
    loss: str  # "l1" or "l2" (of relative errors)
    shrunk: tuple[str, ...] = ()  # blocks refining the others under the full penalty (all blocks when empty)
    folds: int = FOLDS
    seed: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "blocks": list(self.blocks), "shrunk": list(self.shrunk)}


@dataclass(frozen=True)
class FitReport:
    """Out-of-fold quality on the rows fitted (honest: each row predicted by a model that never saw it)."""

    rows: int
    penalty: float
    cv_mape: float  # percent
    cv_kendall: float
    noise_model: bool  # the spread uses the table's repeat std

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Surrogate:
    """Mean ``max(F @ coef, floor)``; spread and calibrated residual quantiles as in the module doc."""

    ARRAYS = ("coef", "floor", "noise_coef", "scale_coef", "residuals")

    def __init__(self, **arrays: np.ndarray) -> None:
        missing = [k for k in self.ARRAYS if k not in arrays]
        if missing:
            raise DataError(f"a surrogate's arrays lack {', '.join(missing)}")
        self.coef = np.asarray(arrays["coef"], dtype=np.float64)  # [p]
        self.floor = float(arrays["floor"])
        self.noise_coef = np.asarray(arrays["noise_coef"], dtype=np.float64)  # [p] or [0]: no noise model
        self.scale_coef = np.asarray(arrays["scale_coef"], dtype=np.float64)  # [3] or [4]
        self.residuals = np.sort(np.asarray(arrays["residuals"], dtype=np.float64))  # [m] normalised, sorted

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {k: np.asarray(getattr(self, k)) for k in self.ARRAYS}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> Surrogate:
        return cls(**arrays)

    def mean(self, design: np.ndarray) -> np.ndarray:
        """[n] the deterministic prediction (never below ``floor``, half the smallest value fitted)."""
        return np.maximum(design @ self.coef, self.floor)

    def spread(self, design: np.ndarray, mean: np.ndarray) -> np.ndarray:
        """[n] s(x): the scale of the log-space error of the mean."""
        return np.asarray(np.exp(_spread_inputs(design, mean, self.noise_coef) @ self.scale_coef))

    def quantile(self, p: np.ndarray | float) -> np.ndarray:
        """Normalised residual quantiles, linearly interpolated (for draws)."""
        grid = (np.arange(self.residuals.size) + 0.5) / self.residuals.size
        return np.asarray(np.interp(p, grid, self.residuals))

    def interval(self, design: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(low, mean, high), each [n]: the central ``level`` interval, split-conformal ranks."""
        mean = self.mean(design)
        scale = self.spread(design, mean)
        n = self.residuals.size
        upper = self.residuals[min(n - 1, int(np.ceil((n + 1) * (1 + level) / 2)) - 1)]
        lower = self.residuals[max(0, int(np.floor((n + 1) * (1 - level) / 2)) - 1)]
        return np.minimum(mean * np.exp(scale * lower), mean), mean, np.maximum(mean * np.exp(scale * upper), mean)

    def draw(self, design: np.ndarray, uniform: np.ndarray) -> np.ndarray:
        """[n] one value per arch from the predictive distribution, given one U(0, 1) number per arch."""
        mean = self.mean(design)
        return np.asarray(mean * np.exp(self.spread(design, mean) * self.quantile(uniform)))


def _spread_inputs(design: np.ndarray, mean: np.ndarray, noise_coef: np.ndarray) -> np.ndarray:
    """[n, 3 or 4]: 1, log mean, log^2 mean (centred on 0 at 1 unit), and the log relative repeat std if modelled."""
    log_mean = np.log(mean)
    columns = [np.ones_like(log_mean), log_mean, log_mean**2]
    if noise_coef.size:
        columns.append(design @ noise_coef[:-1] + noise_coef[-1])
    return np.column_stack(columns)


def _noise_coef(design: np.ndarray, y: np.ndarray, std: np.ndarray | None) -> np.ndarray:
    """[p + 1] linear model of log(std / y) (the repeats' relative spread), or [0] without enough spreads."""
    if std is None:
        return np.zeros(0)
    usable = np.isfinite(std) & (std > 0)
    if usable.sum() < MIN_ROWS:
        return np.zeros(0)
    rows = np.column_stack([design[usable], np.ones(int(usable.sum()))])
    return fitting.least_squares(rows, np.log(std[usable] / y[usable]))


def fit_surrogate(
    design: np.ndarray,
    y: np.ndarray,
    std: np.ndarray | None,
    settings: FitSettings,
    *,
    penalised: np.ndarray | None = None,
) -> tuple[Surrogate, FitReport]:
    """Fit on rows ``design`` [n, p] with values ``y`` [n] (> 0) and their repeats' std [n] (NaN: unknown);
    ``penalised`` [p] marks the columns of ``settings.shrunk`` (default: every column)."""
    if y.shape[0] < MIN_ROWS or not np.all(np.isfinite(y) & (y > 0)):
        raise DataError(f"a surrogate needs at least {MIN_ROWS} finite positive values, got {int(y.shape[0])}")
    penalised = np.ones(design.shape[1], dtype=bool) if penalised is None else penalised
    scale = fitting.column_scale(design / y[:, None]) * np.where(penalised, 1.0, fitting.LIGHT)
    relative = design / scale / y[:, None]  # [n, p]: row i predicts y_i / y_i
    folds = settings.folds if y.shape[0] >= SMALL_DATA else max(settings.folds, SMALL_DATA_FOLDS)
    fold = fitting.folds_of(y.shape[0], min(folds, y.shape[0]), settings.seed)
    penalty, out_of_fold = fitting.choose_penalty(relative, fold, penalised)
    if settings.loss == "l1":
        penalty, out_of_fold = fitting.choose_l1_penalty(relative, fold, penalty, penalised)
        coef = fitting.fit_l1(relative, penalty, penalised)
    else:
        coef = fitting.fit_l2(relative, penalty, penalised)
    floor = 0.5 * float(y.min())
    cv_mean = np.maximum(out_of_fold * y, floor)  # [n] out-of-fold predictions of y
    noise = _noise_coef(design, y, std)
    error = np.log(y / cv_mean)  # [n] out-of-fold log errors
    inputs = _spread_inputs(design, cv_mean, noise)
    size = np.maximum(np.abs(error), max(float(np.quantile(np.abs(error), 0.02)), 1e-9))
    scale_coef = fitting.least_squares(inputs, np.log(size), penalty=1e-8)
    residuals = error / np.exp(inputs @ scale_coef)
    model = Surrogate(coef=coef / scale, floor=np.asarray(floor), noise_coef=noise, scale_coef=scale_coef,
                      residuals=residuals)  # fmt: skip
    report = FitReport(
        rows=int(y.shape[0]),
        penalty=penalty,
        cv_mape=float(np.mean(np.abs(cv_mean / y - 1)) * 100),
        cv_kendall=_kendall(y, cv_mean),
        noise_model=bool(noise.size),
    )
    return model, report


def _kendall(y: np.ndarray, predicted: np.ndarray) -> float:
    from scipy.stats import kendalltau

    tau = kendalltau(y, predicted).statistic
    return float(tau) if np.isfinite(tau) else 0.0
