"""The verbs behind ``hwnas latency fit|evaluate|predict``, as library functions the CLI only wraps."""

from __future__ import annotations

from typing import Any

import numpy as np

from hwnas.core.errors import ConfigError
from hwnas.predictors.base import DEFAULT_ENCODING, BasePredictor
from hwnas.predictors.dataset import LatencyDataset
from hwnas.predictors.metrics import score
from hwnas.predictors.registry import make_predictor

DEFAULT_PREDICTOR = "cost-mape"
"""Default on HAT's 10 features, chosen by benchmarks/latency_predictors.py (see its results JSON)."""
DEFAULT_PREDICTOR_OTHER_ENCODINGS = "auto"
"""Default on full-arch encodings (cost features need HAT's layout): cross-validated choice of trees / ensemble."""


def default_predictor_name(encoding: str) -> str:
    return DEFAULT_PREDICTOR if encoding == DEFAULT_ENCODING else DEFAULT_PREDICTOR_OTHER_ENCODINGS


def fit_on_dataset(
    dataset: LatencyDataset,
    *,
    model: str | None = None,
    encoding: str | None = None,
    seed: int = 0,
    knobs: dict[str, Any] | None = None,
) -> BasePredictor:
    """Fit predictor ``model`` (default: :func:`default_predictor_name`) on every row of ``dataset``; ``knobs`` are
    its other options (validated by its options model)."""
    encoding = encoding or dataset.default_encoding
    name = model or default_predictor_name(encoding)
    given = {"encoding": encoding, "seed": seed}
    clash = sorted(set(given) & set(knobs or {}))
    if clash:
        raise ConfigError(f"predictor {name!r}: option {clash[0]!r} has its own argument (--{clash[0]}); set it there")
    predictor = make_predictor(name, **given, **(knobs or {}))
    return predictor.fit(dataset.encode(encoding), dataset.latency)


def evaluate_on_dataset(predictor: BasePredictor, dataset: LatencyDataset) -> tuple[dict[str, float | int], np.ndarray]:
    """(scores, predictions) of a fitted predictor on every row of ``dataset``."""
    prediction = predictor.predict(dataset.encode(predictor.encoding))
    return score(dataset.latency, prediction), prediction
