"""Evaluation of trained models: validation loss (HAT's search fitness), translation + sacreBLEU, and the supernet
evaluator that search uses. Importing this package imports torch."""

from __future__ import annotations

from hwnas.evaluate.supernet import SupernetEvaluator, supernet_factory
from hwnas.evaluate.translate import DEFAULT_BEAM, DEFAULT_LENPEN, bleu, bleu_score, translate
from hwnas.train.validation import make_eval_batches, nll_sums, valid_loss

__all__ = [
    "DEFAULT_BEAM",
    "DEFAULT_LENPEN",
    "SupernetEvaluator",
    "bleu",
    "bleu_score",
    "make_eval_batches",
    "nll_sums",
    "supernet_factory",
    "translate",
    "valid_loss",
]
