"""The predictor contract, apart from any implementation (see :mod:`hwnas.predictors.base`).

A predictor maps a 2-D feature matrix (one row per arch, in the columns of its ``encoding``) to a positive
target, e.g. latency in ms (``hwnas latency fit``) or BLEU (LLM-Distill-PP). Searches and the CLI ask only for
what they need: ``predict`` for a constraint or an objective, ``predict_var`` where a model can say how unsure it
is (e.g. to measure the archs it is least sure about).
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class Predictor(Protocol):
    name: str  # registry name, e.g. "hat-mlp"
    encoding: str  # hwnas.encodings name of the feature columns it was fitted on, e.g. "hat10-raw"

    def fit(self, X: np.ndarray, y: np.ndarray) -> Predictor:
        """Fit on features ``X`` [n, d] and targets ``y`` [n] (finite, > 0); returns self."""
        ...

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Mean predicted target [n], in the units of the training targets."""
        ...

    def save(self, path: str | Path) -> None:
        """Write the fitted model as one file that :func:`hwnas.predictors.load_predictor` reads back."""
        ...


@runtime_checkable
class VariancePredictor(Predictor, Protocol):
    def predict_var(self, X: np.ndarray) -> np.ndarray:
        """Predictive variance [n] around :meth:`predict`, in squared target units (e.g. ms^2)."""
        ...


LatencyPredictor = Predictor  # kept for code written against 0.1
