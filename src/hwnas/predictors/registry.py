"""Predictors by name (``hwnas latency fit --model NAME``, ``hwnas llm-pp distill --regressor NAME``) and the one
loader of saved models."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hwnas.core.errors import UnknownNameError
from hwnas.predictors.auto import AutoPredictor
from hwnas.predictors.base import BasePredictor, read_model_file
from hwnas.predictors.ensemble import MLPEnsemble
from hwnas.predictors.hat_mlp import HatMLP
from hwnas.predictors.linear import CostL2, CostMAPE
from hwnas.predictors.trees import GradientBoostedTrees

_PREDICTORS: dict[str, type[BasePredictor]] = {
    cls.name: cls for cls in (HatMLP, CostL2, CostMAPE, GradientBoostedTrees, MLPEnsemble, AutoPredictor)
}


def predictor_names() -> list[str]:
    return sorted(_PREDICTORS)


def get_predictor_class(name: str) -> type[BasePredictor]:
    try:
        return _PREDICTORS[name]
    except KeyError:
        raise UnknownNameError("predictor", name, predictor_names()) from None


def register_predictor(cls: type[BasePredictor], *, replace: bool = False) -> None:
    """Add a predictor class under ``cls.name`` (refusing to shadow one unless ``replace``)."""
    if not cls.name:
        raise ValueError(f"{cls.__name__} has no registry name (set the class attribute `name`)")
    if cls.name in _PREDICTORS and not replace:
        raise ValueError(f"predictor {cls.name!r} is already registered; pass replace=True to override it")
    _PREDICTORS[cls.name] = cls


def make_predictor(name: str, **config: Any) -> BasePredictor:
    """An unfitted predictor; unknown knobs raise a ConfigError listing the known ones."""
    return get_predictor_class(name).from_config(config)


def load_predictor(path: str | Path) -> BasePredictor:
    """A fitted predictor from a file written by ``save`` (plain arrays + JSON: no code is unpickled)."""
    header, arrays = read_model_file(path)
    cls = get_predictor_class(str(header.get("name")))
    return cls.from_state(header["config"], header["facts"], arrays)
