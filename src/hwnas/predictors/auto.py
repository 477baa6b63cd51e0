"""``auto``: pick a predictor by k-fold cross-validated MAPE on the training rows, then refit it on all of them.

Only the training rows are used, so ``auto`` is a fair competitor in a benchmark (it never sees held-out rows).
Default candidates: the cost-feature linear models and boosted trees on HAT's raw features; trees and the MLP
ensemble on any other encoding. MAPE, a relative error, fits any positive target, but the cost models are latency
models (per-part work), so a caller with another target (LLM-Distill-PP's BLEU) names its ``candidates``.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from pydantic import Field, field_validator

from hwnas.core.errors import DataError
from hwnas.predictors.base import DEFAULT_ENCODING, BasePredictor, PredictorOptions

DEFAULT_CANDIDATES: dict[bool, tuple[str, ...]] = {
    True: ("cost-mape", "cost-l2", "gbdt"),  # on HAT's raw features
    False: ("gbdt", "mlp-ensemble"),  # on any other encoding
}


def cross_val_mape(make: Any, X: np.ndarray, y: np.ndarray, *, folds: int, rng: np.random.Generator) -> float:
    """Mean MAPE over ``folds`` folds of a model built by ``make()`` (rows shuffled by ``rng``)."""
    errors = np.empty(len(y))
    for held in np.array_split(rng.permutation(len(y)), folds):
        train = np.setdiff1d(np.arange(len(y)), held)
        errors[held] = np.abs(make().fit(X[train], y[train]).predict(X[held]) / y[held] - 1.0)
    return float(errors.mean())


class AutoOptions(PredictorOptions):
    candidates: tuple[str, ...] = Field((), description="predictors to choose from; empty: the encoding's defaults")
    folds: int = Field(5, ge=2, description="cross-validation folds (fewer when the rows are few)")

    @field_validator("candidates")
    @classmethod
    def _registered_others(cls, names: tuple[str, ...]) -> tuple[str, ...]:
        from hwnas.predictors.registry import predictor_names

        known = predictor_names()
        for name in names:
            if name == "auto" or name not in known:
                allowed = ", ".join(n for n in known if n != "auto")
                raise ValueError(f"candidate {name!r} cannot be chosen (auto cannot be its own); allowed: {allowed}")
        return names


class AutoPredictor(BasePredictor):
    """The candidate with the best cross-validated MAPE on the training rows, refitted on all of them."""

    name: ClassVar[str] = "auto"
    Options: ClassVar[type[PredictorOptions]] = AutoOptions
    options: AutoOptions

    def _candidate_names(self) -> tuple[str, ...]:
        return self.options.candidates or DEFAULT_CANDIDATES[self.encoding == DEFAULT_ENCODING]

    def _make(self, name: str) -> BasePredictor:
        from hwnas.predictors.registry import make_predictor

        return make_predictor(name, encoding=self.encoding, seed=self.seed)

    def fit_summary(self) -> dict[str, Any]:
        return {"chosen": self.chosen_, "cv_mape": self.cv_mape_}

    def _fit(self, X: np.ndarray, y: np.ndarray) -> None:
        folds = min(self.options.folds, len(y) // 2)
        if folds < 2:
            raise DataError(f"auto needs at least 4 training rows to cross-validate; got {len(y)}")
        self.cv_mape_ = {
            name: cross_val_mape(lambda n=name: self._make(n), X, y, folds=folds, rng=np.random.default_rng(self.seed))
            for name in self._candidate_names()
        }
        self.chosen_ = min(self.cv_mape_, key=lambda name: self.cv_mape_[name])
        self.inner_ = self._make(self.chosen_).fit(X, y)

    def _predict(self, X: np.ndarray) -> np.ndarray:
        return self.inner_.predict(X)

    def _arrays(self) -> dict[str, np.ndarray]:
        return {f"inner.{k}": v for k, v in self.inner_._arrays().items()}

    def _facts(self) -> dict[str, Any]:
        inner_facts = {**self.inner_._facts(), "n_features": self.inner_.n_features_}
        return {
            "chosen": self.chosen_,
            "cv_mape": self.cv_mape_,
            "inner_config": self.inner_.config(),
            "inner": inner_facts,
        }

    def _restore(self, facts: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        from hwnas.predictors.registry import get_predictor_class

        self.chosen_, self.cv_mape_ = str(facts["chosen"]), dict(facts["cv_mape"])
        inner_arrays = {k.removeprefix("inner."): v for k, v in arrays.items() if k.startswith("inner.")}
        cls = get_predictor_class(self.chosen_)
        self.inner_ = cls.from_state(facts["inner_config"], facts["inner"], inner_arrays)
