"""Shared machinery of every predictor: input checks, options and the model file.

The target is any finite positive number per arch: latency in ms for ``hwnas latency fit``, BLEU for
LLM-Distill-PP; nothing here assumes which. A predictor's knobs are its options model (a pydantic
:class:`PredictorOptions` subclass, JSON-able, so a saved model says how it was trained), validated by the
predictor registry with one-line errors. Fitted state lives apart from the options and is written by
:meth:`BasePredictor._arrays` / :meth:`BasePredictor._facts` and restored by :meth:`BasePredictor._restore`.

Model file (trust boundary): one ``.npz`` archive of plain numeric arrays plus a JSON header, read with
``allow_pickle=False``. Loading a model file therefore never runs code from it; torch weights travel as arrays
(a state_dict, not a pickled module) and scikit-learn models as the training rows they are refitted from. The
header names its format (:data:`MODEL_FORMAT`); files written by 0.1 (``hwnas.latency-predictor/1``) still load.
"""

from __future__ import annotations

import io
import json
import zipfile
from abc import ABC, abstractmethod
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np
from pydantic import Field, field_validator

from hwnas.contracts.options import Options, validate_options
from hwnas.contracts.predictor import Capability, unsupported
from hwnas.core.errors import ConfigError, DataError
from hwnas.core.files import atomic_path

MODEL_FORMAT = "hwnas.predictor/1"
"""Format string of newly written model files."""
READABLE_FORMATS: tuple[str, ...] = (MODEL_FORMAT, "hwnas.latency-predictor/1")
"""Formats :func:`read_model_file` accepts: the current one and 0.1's (same layout, written when every model was
a latency model)."""
HEADER_KEY = "__header__"
DEFAULT_ENCODING = "hat10-raw"


def as_features(X: Any, *, n_features: int | None = None) -> np.ndarray:
    """``X`` as a finite float64 matrix [n, d]; a wrong shape or a NaN is a :class:`DataError` naming the cell."""
    array = np.asarray(X, dtype=np.float64)
    if array.ndim != 2:
        raise DataError(f"features must be a 2-D array [n, d]; got shape {array.shape}")
    if n_features is not None and array.shape[1] != n_features:
        raise DataError(f"features have {array.shape[1]} columns; this predictor was fitted on {n_features}")
    bad = np.argwhere(~np.isfinite(array))
    if bad.size:
        row, col = bad[0]
        raise DataError(f"features row {row} column {col} is {array[row, col]!r}; need a finite number")
    return array


def as_targets(y: Any, n: int) -> np.ndarray:
    """Targets as float64 [n]; each must be finite and > 0 (latency in ms, BLEU...): the models fit relative
    errors or log targets, which need it."""
    array = np.asarray(y, dtype=np.float64).reshape(-1)
    if array.shape[0] != n:
        raise DataError(f"got {array.shape[0]} targets for {n} feature rows")
    bad = np.flatnonzero(~(np.isfinite(array) & (array > 0)))
    if bad.size:
        raise DataError(f"target row {bad[0]} is {array[bad[0]]!r}; need a finite number > 0")
    return array


class PredictorOptions(Options):
    """Knobs every predictor has; each predictor's options model adds its own (the one list of its knobs)."""

    encoding: str = Field(DEFAULT_ENCODING, description="hwnas.encodings name of the input columns")
    seed: int = Field(0, description="all randomness of fit derives from it (same seed, same model)")


class HatFeatureOptions(PredictorOptions):
    """Options of a predictor built on HAT's 10 raw averaged features (its encoding can only be hat10-raw)."""

    @field_validator("encoding")
    @classmethod
    def _hat_features_only(cls, value: str) -> str:
        if value != DEFAULT_ENCODING:
            raise ValueError(f"this predictor works on HAT's 10 raw features; allowed: {DEFAULT_ENCODING!r}")
        return value


class BasePredictor(ABC):
    """Base of the built-in predictors. Subclasses set ``name`` and ``Options`` (their options model) and implement
    the ``_`` hooks; knobs are read from ``self.options``."""

    name: ClassVar[str] = ""
    Options: ClassVar[type[PredictorOptions]] = PredictorOptions
    capabilities: ClassVar[frozenset[Capability]] = frozenset()  # VARIANCE: implements _predict_var
    options: PredictorOptions

    def __init__(self, options: PredictorOptions | None = None) -> None:
        options = self.Options() if options is None else options
        if type(options) is not self.Options:
            raise TypeError(f"predictor {self.name!r} takes {self.Options.__name__}, not {type(options).__name__}")
        self.options = options
        self.n_features_: int | None = None

    # public API ------------------------------------------------------------------------------------------
    @property
    def encoding(self) -> str:
        return self.options.encoding

    @property
    def seed(self) -> int:
        return self.options.seed

    def config(self) -> dict[str, Any]:
        """The knobs, JSON-able (tuples become lists)."""
        return self.options.model_dump(mode="json")

    def fit(self, X: Any, y: Any) -> Self:
        features = as_features(X)
        if isinstance(self.options, HatFeatureOptions) and features.shape[1] != 10:
            raise DataError(f"predictor {self.name!r} needs HAT's 10 features; got {features.shape[1]} columns")
        self._fit(features, as_targets(y, features.shape[0]))
        self.n_features_ = features.shape[1]
        return self

    def predict(self, X: Any) -> np.ndarray:
        return self._predict(self._checked(X))

    def predict_var(self, X: Any) -> np.ndarray:
        """Predictive variance [n] around :meth:`predict` in squared target units (e.g. ms^2); only for a model
        that declares :attr:`Capability.VARIANCE`."""
        if Capability.VARIANCE not in self.capabilities:
            raise unsupported(self.name, self.capabilities, Capability.VARIANCE)
        return self._predict_var(self._checked(X))

    def fit_summary(self) -> dict[str, Any]:
        """JSON-able facts of the fit worth printing (``auto``: what it chose and why); none by default."""
        return {}

    def save(self, path: str | Path, *, binding: Mapping[str, Any] | None = None) -> None:
        """Write the model file; ``binding`` adds what the arch-level wrapper knows (space, device) to its header."""
        self._require_fitted()
        facts = {**self._facts(), "n_features": self.n_features_}
        header = {"format": MODEL_FORMAT, "name": self.name, "config": self.config(), "facts": facts}
        header.update(binding or {})
        arrays = {key: np.ascontiguousarray(value) for key, value in self._arrays().items()}
        write_model_file(path, header, arrays)

    @classmethod
    def from_state(cls, config: Mapping[str, Any], facts: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> Self:
        """Rebuild a fitted model from what :meth:`save` wrote."""
        model = cls.from_config(config)
        model._restore(dict(facts), dict(arrays))
        model.n_features_ = int(facts["n_features"])
        return model

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Self:
        """An unfitted model; the options are validated by ``cls.Options`` (one-line errors naming the key)."""
        return cls(validate_options(cls.Options, dict(config), where=f"predictor {cls.name!r}"))  # type: ignore[arg-type]

    # helpers for subclasses ---------------------------------------------------------------------------------
    def _checked(self, X: Any) -> np.ndarray:
        self._require_fitted()
        return as_features(X, n_features=self.n_features_)

    def _require_fitted(self) -> None:
        if self.n_features_ is None:
            raise ConfigError(f"predictor {self.name!r} is not fitted: call fit(X, y) first")

    # hooks ------------------------------------------------------------------------------------------------
    @abstractmethod
    def _fit(self, X: np.ndarray, y: np.ndarray) -> None: ...

    @abstractmethod
    def _predict(self, X: np.ndarray) -> np.ndarray: ...

    def _predict_var(self, X: np.ndarray) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} declares 'variance' but has no _predict_var")

    @abstractmethod
    def _arrays(self) -> dict[str, np.ndarray]:
        """Fitted numeric state to save."""

    def _facts(self) -> dict[str, Any]:
        """Fitted JSON-able state to save (besides arrays), e.g. resolved defaults or library versions."""
        return {}

    @abstractmethod
    def _restore(self, facts: dict[str, Any], arrays: dict[str, np.ndarray]) -> None: ...


def write_model_file(path: str | Path, header: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> None:
    """Write ``header`` (JSON) and ``arrays`` as one npz file at exactly ``path`` (no suffix is added), atomically:
    a kill mid-write leaves the old file or the new one, never a truncated model a later search would choke on."""
    if HEADER_KEY in arrays:
        raise ValueError(f"array name {HEADER_KEY!r} is reserved")
    buffer = io.BytesIO()
    contents: dict[str, Any] = {HEADER_KEY: np.array(json.dumps(header)), **arrays}
    np.savez(buffer, **contents)
    with atomic_path(path) as tmp:
        tmp.write_bytes(buffer.getvalue())


def read_model_file(path: str | Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """(header, arrays) of a model file; anything else is a :class:`DataError` saying what the file is not."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"predictor model file {str(path)!r} does not exist")
    try:
        with np.load(path, allow_pickle=False) as archive:
            contents = {key: archive[key] for key in archive.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError):  # numpy's text would suggest allow_pickle: no
        what = "not an npz archive written by hwnas: truncated, corrupted or another format"
        raise DataError(f"{str(path)!r} is not a predictor model file ({what})") from None
    if HEADER_KEY not in contents:
        raise DataError(f"{str(path)!r} is an npz archive but not a predictor model file (no {HEADER_KEY!r})")
    try:
        header = json.loads(str(contents.pop(HEADER_KEY)))
    except ValueError as exc:
        raise DataError(f"{str(path)!r}: the predictor model header is not JSON ({exc})") from None
    found = header.get("format") if isinstance(header, dict) else None
    if found not in READABLE_FORMATS:
        raise DataError(
            f"{str(path)!r}: model format {found!r}; this hwnas reads {' or '.join(map(repr, READABLE_FORMATS))}"
        )
    return header, contents
