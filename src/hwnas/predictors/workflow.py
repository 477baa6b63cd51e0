"""The verbs behind ``hwnas latency fit|evaluate|predict`` and LLM-Distill-PP's fit, as library functions the CLI
only wraps. Fitting returns an arch-level predictor (:class:`~hwnas.predictors.encoded.EncodedPredictor`); scoring
feeds a dataset's rows to any predictor (its own feature columns when the predictor reads them, else its archs)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from hwnas.contracts.predictor import Capability, DeviceId, Predictor, require
from hwnas.core.arch import Arch
from hwnas.core.errors import ConfigError, DataError
from hwnas.core.space import SearchSpace
from hwnas.predictors.base import DEFAULT_ENCODING
from hwnas.predictors.dataset import LatencyDataset, encode_archs
from hwnas.predictors.encoded import EncodedPredictor
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
) -> EncodedPredictor:
    """Fit predictor ``model`` (default: :func:`default_predictor_name`) on every row of ``dataset``; ``knobs`` are
    its other options (validated by its options model)."""
    encoding = encoding or dataset.default_encoding
    name = model or default_predictor_name(encoding)
    given = {"encoding": encoding, "seed": seed}
    clash = sorted(set(given) & set(knobs or {}))
    if clash:
        raise ConfigError(f"predictor {name!r}: option {clash[0]!r} has its own argument (--{clash[0]}); set it there")
    regressor = make_predictor(name, **given, **(knobs or {})).fit(dataset.encode(encoding), dataset.latency)
    fitted_space = dataset.archs[0].space if dataset.archs else None
    return EncodedPredictor(regressor, fitted_space=fitted_space, device=dataset.device)


def fit_predictor(
    name: str,
    archs: Sequence[Arch],
    values: Sequence[float] | np.ndarray,
    *,
    space: SearchSpace,
    options: Mapping[str, Any] | None = None,
    device: DeviceId | None = None,
) -> EncodedPredictor:
    """Predictor ``name`` (with ``options``) fitted on ``archs`` of ``space`` and their ``values`` (> 0)."""
    regressor = make_predictor(name, **dict(options or {}))
    regressor.fit(encode_archs(archs, space, regressor.encoding), np.asarray(values, dtype=np.float64))
    return EncodedPredictor(regressor, space=space, device=device)


def predict_rows(predictor: Predictor, dataset: LatencyDataset, *, variance: bool = False) -> np.ndarray:
    """Mean (or, with ``variance``, the variance) of every row of ``dataset``: from the dataset's own columns in
    the predictor's encoding when it is an encoded one (HAT's CSVs have features but no archs), else from its
    archs."""
    if variance:
        require(predictor, Capability.VARIANCE)
    if isinstance(predictor, EncodedPredictor):
        X = dataset.encode(predictor.encoding)
        return predictor.predict_variance_encoded(X) if variance else predictor.predict_encoded(X)
    if dataset.archs is None:
        raise DataError(f"predictor {predictor.name!r} needs archs, but {dataset.source or 'the dataset'} has none")
    archs = list(dataset.archs)
    return predictor.predict_variance(archs) if variance else predictor.predict(archs)


def evaluate_on_dataset(predictor: Predictor, dataset: LatencyDataset) -> tuple[dict[str, float | int], np.ndarray]:
    """(scores, predictions) of a fitted predictor on every row of ``dataset``."""
    prediction = predict_rows(predictor, dataset)
    return score(dataset.latency, prediction), prediction
