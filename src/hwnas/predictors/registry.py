"""Predictors by name (``hwnas latency fit --model NAME --set KEY=VALUE``, ``hwnas llm-pp distill --regressor
NAME``), each with its options model, in one :class:`~hwnas.contracts.registry.Registry`, and the one loader of
saved models.

Built-ins are registered as ``"module:attribute"`` references, imported on first use; a plugin module (named in
``HWNAS_PLUGINS``) adds its own with :func:`register_predictor`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hwnas.contracts.predictor import Predictor
from hwnas.contracts.registry import Registry
from hwnas.core.errors import ConfigError
from hwnas.core.space import SearchSpace
from hwnas.predictors.base import BasePredictor, read_model_file

PREDICTORS: Registry[type[BasePredictor]] = Registry("predictor")

_BUILTINS = (  # name, class, options model, summary
    ("hat-mlp", "hat_mlp:HatMLP", "hat_mlp:HatMLPOptions", "HAT's latency MLP on its 10 averaged features"),
    ("cost-l2", "linear:CostL2", "base:HatFeatureOptions", "non-negative least squares on HAT's cost features"),
    ("cost-mape", "linear:CostMAPE", "base:HatFeatureOptions", "least-MAPE non-negative model on HAT's cost features"),
    ("gbdt", "trees:GradientBoostedTrees", "trees:GbdtOptions", "gradient-boosted trees, any encoding"),
    ("mlp-ensemble", "ensemble:MLPEnsemble", "ensemble:MLPEnsembleOptions", "deep MLP ensemble with variance"),
    ("auto", "auto:AutoPredictor", "auto:AutoOptions", "the candidate of least cross-validated MAPE"),
)
for _name, _target, _options, _summary in _BUILTINS:
    PREDICTORS.register(_name, f"hwnas.predictors.{_target}", options=f"hwnas.predictors.{_options}", summary=_summary)


def predictor_names() -> list[str]:
    return PREDICTORS.names()


def get_predictor_class(name: str) -> type[BasePredictor]:
    return PREDICTORS.get(name)


def register_predictor(cls: type[BasePredictor]) -> None:
    """Add (or replace) a predictor class under ``cls.name``, with its options model ``cls.Options``."""
    if not cls.name:
        raise ValueError(f"{cls.__name__} has no registry name (set the class attribute `name`)")
    summary = (cls.__doc__ or "").strip().split("\n", 1)[0]
    PREDICTORS.register(cls.name, cls, options=cls.Options, summary=summary)


def make_predictor(name: str, **options: Any) -> BasePredictor:
    """An unfitted predictor; its options are validated by its options model (one-line errors naming the key)."""
    cls = get_predictor_class(name)
    return cls(PREDICTORS.options(name, options))  # type: ignore[arg-type]  # the entry's model is cls.Options


MODEL_KINDS: Registry[Any] = Registry("model-file kind")
"""Loaders of model files that are not a fitted regressor (their header's ``kind``): ``(header, arrays, space) ->
Predictor``. Built-ins are named by reference (imported on first use), so this layer does not import theirs."""
MODEL_KINDS.register("fewshot", "hwnas.fewshot.model:load_fewshot", summary="few-shot latency model (hwnas fewshot)")


def _read(path: str | Path) -> tuple[BasePredictor, dict[str, Any]]:
    header, arrays = read_model_file(path)
    if "kind" in header:
        raise ConfigError(f"{str(path)!r} is a {header['kind']!r} model, not a regressor")
    cls = get_predictor_class(str(header.get("name")))
    return cls.from_state(header["config"], header["facts"], arrays), header


def load_regressor(path: str | Path) -> BasePredictor:
    """The fitted matrix-level regressor of a model file (plain arrays + JSON: no code is unpickled)."""
    return _read(path)[0]


def load_predictor(path: str | Path, *, space: SearchSpace | None = None) -> Predictor:
    """The arch-level predictor of a model file, bound to ``space`` (the caller's) when given. Reads files of
    format ``hwnas.predictor/1`` and 0.1's ``hwnas.latency-predictor/1``."""
    from hwnas.predictors.encoded import EncodedPredictor

    header, arrays = read_model_file(path)
    if "kind" in header:
        loader = MODEL_KINDS.get(str(header["kind"]))
        predictor: Predictor = loader(header, arrays, space)
        return predictor
    regressor, header = _read(path)
    return EncodedPredictor.from_header(regressor, header, space=space)
