"""Supernet and from-scratch training: config, the one loop, checkpoints with exact resume, DDP via torchrun.

Names are imported lazily, so reading a training config does not import torch. ``train`` never imports
``hwnas.evaluate`` (the layer above it): the validation loss the loop logs lives here, in :mod:`hwnas.train.validation`.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "TrainConfig": "hwnas.train.config",
    "load_config": "hwnas.train.config",
    "parse_config": "hwnas.train.config",
    "TrainResult": "hwnas.train.loop",
    "train": "hwnas.train.loop",
    "load_trained": "hwnas.train.session",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'hwnas.train' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
