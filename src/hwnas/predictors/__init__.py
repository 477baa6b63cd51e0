"""Predictors of a positive per-arch target (latency in ms, or BLEU for LLM-Distill-PP): ``fit(X, y)`` /
``predict(X)`` (+ ``predict_var``), one safe model file, metrics.

Built-in predictors (``hwnas latency fit --model NAME``, ``hwnas llm-pp distill --regressor NAME``):

- ``hat-mlp``: HAT's MLP on its 10 averaged features, the baseline;
- ``cost-l2`` / ``cost-mape``: non-negative linear models on per-part cost features derived from those features;
- ``gbdt``: gradient-boosted trees (scikit-learn) on the log target, any encoding;
- ``mlp-ensemble``: a deep ensemble of small MLPs with predictive variance, any encoding;
- ``auto``: the candidate with the best cross-validated MAPE on the training rows.

Heavy libraries (torch, scikit-learn, scipy, matplotlib) are imported only when a model or metric needs them.
"""

from __future__ import annotations

from hwnas.predictors.base import BasePredictor, read_model_file
from hwnas.predictors.dataset import (
    LatencyDataset,
    drop_encoder_artefacts,
    encode_archs,
    hat_dataset,
)
from hwnas.predictors.metrics import kendall, mape, parity_plot, rmse, score, spearman
from hwnas.predictors.protocol import LatencyPredictor, Predictor, VariancePredictor
from hwnas.predictors.registry import (
    get_predictor_class,
    load_predictor,
    make_predictor,
    predictor_names,
    register_predictor,
)
from hwnas.predictors.workflow import (
    DEFAULT_PREDICTOR,
    default_predictor_name,
    evaluate_on_dataset,
    fit_on_dataset,
)

__all__ = [
    "DEFAULT_PREDICTOR",
    "BasePredictor",
    "LatencyDataset",
    "LatencyPredictor",
    "Predictor",
    "VariancePredictor",
    "default_predictor_name",
    "drop_encoder_artefacts",
    "encode_archs",
    "evaluate_on_dataset",
    "fit_on_dataset",
    "get_predictor_class",
    "hat_dataset",
    "kendall",
    "load_predictor",
    "make_predictor",
    "mape",
    "parity_plot",
    "predictor_names",
    "read_model_file",
    "register_predictor",
    "rmse",
    "score",
    "spearman",
]
