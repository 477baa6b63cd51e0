"""`EncodedPredictor`: a fitted matrix-level regressor bound to a space and an encoding, which makes it an
arch-level :class:`~hwnas.contracts.predictor.Predictor` (archs -> encoding -> regressor -> one value per arch).

Every built-in predictor reaches call sites this way, so they pass archs and never encode, and the regressor's
declared capabilities (``variance`` for the MLP ensemble) become the predictor's. The space is the one the caller
binds (the evaluator's); without one, each arch's own space is looked up by name. The model file keeps what the
wrapper knows beside the regressor's state: the space it was fitted on and the device whose latency it predicts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from hwnas.contracts.predictor import Capability, DeviceId, require, unsupported
from hwnas.core.arch import Arch
from hwnas.core.space import SearchSpace
from hwnas.predictors.base import BasePredictor
from hwnas.predictors.dataset import encode_archs


class EncodedPredictor:
    """The arch-level predictor of a built-in regressor (see the module docstring)."""

    def __init__(
        self,
        regressor: BasePredictor,
        *,
        space: SearchSpace | None = None,
        fitted_space: str | None = None,
        device: DeviceId | None = None,
    ) -> None:
        self.regressor = regressor
        self.space = space  # archs are encoded in it (and validated against it); None: each arch's own space
        self.fitted_space = fitted_space or (space.name if space is not None else None)
        self._device = device

    @property
    def name(self) -> str:
        return self.regressor.name

    @property
    def encoding(self) -> str:
        return self.regressor.encoding

    @property
    def capabilities(self) -> frozenset[Capability]:
        return self.regressor.capabilities

    @property
    def device(self) -> DeviceId | None:
        return self._device

    def predict(self, archs: Sequence[Arch]) -> np.ndarray:
        if not archs:
            return np.empty(0)
        return self.predict_encoded(self.encode(archs))

    def predict_variance(self, archs: Sequence[Arch]) -> np.ndarray:
        require(self, Capability.VARIANCE)
        if not archs:
            return np.empty(0)
        return self.predict_variance_encoded(self.encode(archs))

    def adapt(self, device: DeviceId, archs: Sequence[Arch], values: Sequence[float] | np.ndarray) -> EncodedPredictor:
        raise unsupported(self.name, self.capabilities, Capability.DEVICE_CONDITIONED)

    def encode(self, archs: Sequence[Arch]) -> np.ndarray:
        """The regressor's input rows for ``archs``, each validated against the space it is encoded in."""
        from hwnas.spaces.registry import get_space

        space = self.space or get_space(archs[0].space)
        for arch in archs:
            space.validate(arch)
        return encode_archs(archs, space, self.encoding)

    def predict_encoded(self, X: np.ndarray) -> np.ndarray:
        """Means of rows already in this predictor's encoding (e.g. HAT's CSV columns, which have no archs)."""
        return np.asarray(self.regressor.predict(X), dtype=np.float64).reshape(-1)

    def predict_variance_encoded(self, X: np.ndarray) -> np.ndarray:
        return np.asarray(self.regressor.predict_var(X), dtype=np.float64).reshape(-1)

    def save(self, path: str | Path) -> None:
        device = None if self._device is None else self._device.to_dict()
        self.regressor.save(path, binding={"space": self.fitted_space, "device": device})

    def fit_summary(self) -> dict[str, Any]:
        """What the fit chose, worth printing (``auto``: the candidate and the cross-validated MAPEs)."""
        return self.regressor.fit_summary()

    def describe(self) -> dict[str, Any]:
        return {
            "model": self.name,
            "encoding": self.encoding,
            "space": self.fitted_space,
            "device": None if self._device is None else str(self._device),
            "capabilities": sorted(self.capabilities),
            **self.fit_summary(),
        }

    @classmethod
    def from_header(
        cls, regressor: BasePredictor, header: Mapping[str, Any], *, space: SearchSpace | None
    ) -> EncodedPredictor:
        """The wrapper of a loaded regressor: bound to ``space`` when given, with the header's fitted space and
        device (absent from files written before the arch-level contract)."""
        device = header.get("device")
        fitted = header.get("space")
        return cls(
            regressor,
            space=space,
            fitted_space=None if fitted is None else str(fitted),
            device=None if device is None else DeviceId.from_dict(device),
        )
