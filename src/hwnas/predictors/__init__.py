"""Predictors of a positive per-arch target (latency in ms, or BLEU for LLM-Distill-PP).

Call sites use the arch-level contract, :class:`~hwnas.contracts.predictor.Predictor` (``predict(archs)``, with
declared capabilities): :func:`load_predictor` reads a model file as one, :func:`fit_on_dataset` and
:func:`fit_predictor` fit one. Underneath, matrix-level regressors (``fit(X, y)`` / ``predict(X)`` on encoded
features, :class:`BasePredictor`) are bound to a space and an encoding by :class:`EncodedPredictor`.

Built-in predictors (``hwnas latency fit --model NAME --set KEY=VALUE``, ``hwnas llm-pp distill --regressor
NAME``), each with its options model in the registry :data:`PREDICTORS`:

- ``hat-mlp``: HAT's MLP on its 10 averaged features, the baseline;
- ``cost-l2`` / ``cost-mape``: non-negative linear models on per-part cost features derived from those features;
- ``gbdt``: gradient-boosted trees (scikit-learn) on the log target, any encoding;
- ``mlp-ensemble``: a deep ensemble of small MLPs with predictive variance, any encoding;
- ``auto``: the candidate with the best cross-validated MAPE on the training rows.

Heavy libraries (torch, scikit-learn, scipy, matplotlib) are imported only when a model or metric needs them.
"""

from __future__ import annotations

from hwnas.contracts.predictor import Capability, DeviceId, Predictor, require
from hwnas.predictors.base import BasePredictor, PredictorOptions, read_model_file
from hwnas.predictors.dataset import LatencyDataset, drop_encoder_artefacts, encode_archs, hat_dataset
from hwnas.predictors.encoded import EncodedPredictor
from hwnas.predictors.metrics import kendall, mape, parity_plot, rmse, score, spearman
from hwnas.predictors.registry import (
    PREDICTORS,
    get_predictor_class,
    load_predictor,
    load_regressor,
    make_predictor,
    predictor_names,
    register_predictor,
)
from hwnas.predictors.workflow import (
    DEFAULT_PREDICTOR,
    default_predictor_name,
    evaluate_on_dataset,
    fit_on_dataset,
    fit_predictor,
    predict_rows,
)

__all__ = [
    "DEFAULT_PREDICTOR",
    "PREDICTORS",
    "BasePredictor",
    "Capability",
    "DeviceId",
    "EncodedPredictor",
    "LatencyDataset",
    "Predictor",
    "PredictorOptions",
    "default_predictor_name",
    "drop_encoder_artefacts",
    "encode_archs",
    "evaluate_on_dataset",
    "fit_on_dataset",
    "fit_predictor",
    "get_predictor_class",
    "hat_dataset",
    "kendall",
    "load_predictor",
    "load_regressor",
    "make_predictor",
    "mape",
    "parity_plot",
    "predict_rows",
    "predictor_names",
    "read_model_file",
    "register_predictor",
    "require",
    "rmse",
    "score",
    "spearman",
]
