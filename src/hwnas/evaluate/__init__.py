"""Evaluation of trained models: validation loss (HAT's search fitness), translation + sacreBLEU, and the supernet
evaluator that search uses.

The names below load on first use, so importing this package (e.g. to register its evaluator,
:mod:`hwnas.evaluate.components`) does not import torch. ``translate`` is both a function and the submodule that
defines it: the package keeps the function under that name even when the submodule is imported directly.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hwnas.evaluate.supernet import SupernetEvaluator, supernet_factory
    from hwnas.evaluate.translate import DEFAULT_BEAM, DEFAULT_LENPEN, bleu, bleu_score, translate
    from hwnas.train.validation import make_eval_batches, nll_sums, valid_loss

_EXPORTS = {
    "DEFAULT_BEAM": "hwnas.evaluate.translate",
    "DEFAULT_LENPEN": "hwnas.evaluate.translate",
    "SupernetEvaluator": "hwnas.evaluate.supernet",
    "bleu": "hwnas.evaluate.translate",
    "bleu_score": "hwnas.evaluate.translate",
    "make_eval_batches": "hwnas.train.validation",
    "nll_sums": "hwnas.train.validation",
    "supernet_factory": "hwnas.evaluate.supernet",
    "translate": "hwnas.evaluate.translate",
    "valid_loss": "hwnas.train.validation",
}

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


class _LazyPackage(types.ModuleType):
    def __getattr__(self, name: str) -> Any:
        if name not in _EXPORTS:
            raise AttributeError(f"module 'hwnas.evaluate' has no attribute {name!r}")
        return getattr(importlib.import_module(_EXPORTS[name]), name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _EXPORTS and isinstance(value, types.ModuleType):
            return  # the import system binding submodule 'translate': the function keeps the name
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _LazyPackage
