"""Linear models on per-part cost features (:mod:`hwnas.predictors.features`) with non-negative coefficients.

Latency is close to a sum of per-part costs times per-device unit prices, and no part has a negative price, so
the coefficients are constrained to be >= 0: with 50-100 rows this is what keeps the fit from trading one part
against another. Errors are fitted *relative* to the latency, since the metric that matters is MAPE:

- ``cost-l2``: least squares of relative errors (NNLS on rows divided by their latency);
- ``cost-mape``: least absolute relative error, i.e. the training MAPE itself, solved exactly as a linear program
  (HiGHS); robust to the odd corrupted measurement.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from hwnas.core.errors import DataError
from hwnas.predictors.base import BasePredictor, HatFeatureOptions, PredictorOptions
from hwnas.predictors.features import cost_features


class _CostLinear(BasePredictor):
    """Shared fit / predict of the cost models; they have no knobs beyond the encoding (HAT's) and the seed."""

    Options: ClassVar[type[PredictorOptions]] = HatFeatureOptions

    def _fit(self, X: np.ndarray, y: np.ndarray) -> None:
        design = cost_features(X)
        scale = np.abs(design).max(axis=0)
        self.scale_ = np.where(scale > 0, scale, 1.0)
        relative = design / self.scale_ / y[:, None]  # row i predicts y_i / y_i = 1 when exact
        self.coef_ = self._solve(relative)

    def _solve(self, relative: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _predict(self, X: np.ndarray) -> np.ndarray:
        prediction: np.ndarray = (cost_features(X) / self.scale_) @ self.coef_
        return prediction

    def _arrays(self) -> dict[str, np.ndarray]:
        return {"scale": self.scale_, "coef": self.coef_}

    def _restore(self, facts: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        self.scale_, self.coef_ = arrays["scale"], arrays["coef"]


class CostL2(_CostLinear):
    """Non-negative least squares of relative errors on cost features."""

    name: ClassVar[str] = "cost-l2"

    def _solve(self, relative: np.ndarray) -> np.ndarray:
        from scipy.optimize import nnls

        coef, _ = nnls(relative, np.ones(relative.shape[0]))
        return np.asarray(coef, dtype=np.float64)


class CostMAPE(_CostLinear):
    """Non-negative coefficients minimising the training MAPE exactly (a linear program)."""

    name: ClassVar[str] = "cost-mape"

    def _solve(self, relative: np.ndarray) -> np.ndarray:
        from scipy import sparse
        from scipy.optimize import linprog

        n, p = relative.shape
        # variables [coef (p), over (n), under (n)] >= 0 with relative @ coef + over - under = 1
        equalities = sparse.hstack([sparse.csr_matrix(relative), sparse.identity(n), -sparse.identity(n)]).tocsr()
        cost = np.concatenate([np.zeros(p), np.full(2 * n, 1.0 / n)])
        result = linprog(cost, A_eq=equalities, b_eq=np.ones(n), bounds=(0, None), method="highs")
        if result.status != 0:
            raise DataError(f"cost-mape: the linear program failed ({result.message}); try cost-l2")
        return np.asarray(result.x[:p], dtype=np.float64)
