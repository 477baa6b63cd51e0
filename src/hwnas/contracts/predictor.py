"""The arch-level predictor contract: archs in, one predicted value per arch out (latency in ms, BLEU...).

Call sites (the ``latency-model`` and ``llm-distill`` evaluators, the pipeline's predictor stage, ``hwnas latency
predict|evaluate``, ``hwnas llm-pp distill``) ask a :class:`Predictor` for means and nothing else is assumed: what
more a predictor can do it *declares* in ``capabilities``, and asking for an undeclared one is a one-line
:class:`~hwnas.core.errors.ConfigError` (:func:`require`), never an ``AttributeError`` or a guess by ``hasattr``.

- :attr:`Capability.VARIANCE`: ``predict_variance(archs)``, the predictive variance around ``predict``;
- :attr:`Capability.DEVICE_CONDITIONED`: the predictor is conditioned on a device (e.g. a learned hardware
  embedding) and ``adapt(device, archs, values)`` turns it to a new device from a few measured archs (few-shot
  transfer, NASFLAT / HELP style);
- :attr:`Capability.GRAPH_INPUTS`: it reads archs as graphs (adjacency + operations), so it needs a space whose
  family has a graph encoding.

Matrix-level regressors (``fit(X, y)`` / ``predict(X)`` on encoded features) are building blocks behind this
contract (:mod:`hwnas.predictors`), not a second contract.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from hwnas.core.arch import Arch
from hwnas.core.errors import ConfigError


class Capability(StrEnum):
    VARIANCE = "variance"
    DEVICE_CONDITIONED = "device_conditioned"
    GRAPH_INPUTS = "graph_inputs"


def _normalised(name: str) -> str:
    """'AMD EPYC' and 'amd-epyc' are one hardware name: lower case, runs of other characters as one '-'."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


@dataclass(frozen=True)
class DeviceId:
    """Which device a latency is of: a ``kind`` (cpu, cuda, or a benchmark's device class) and, when known, the
    ``hardware`` (CPU model or GPU name, e.g. 'AMD EPYC', 'NVIDIA H200'). Without hardware it stands for any
    device of the kind. Written ``kind`` or ``kind/hardware``."""

    kind: str
    hardware: str | None = None

    def __post_init__(self) -> None:
        if not self.kind or "/" in self.kind or any(c.isspace() for c in self.kind):
            raise ConfigError(f"device kind {self.kind!r} must be one word, e.g. 'cpu' or 'cuda'")

    def __str__(self) -> str:
        return self.kind if self.hardware is None else f"{self.kind}/{self.hardware}"

    @classmethod
    def parse(cls, text: str) -> DeviceId:
        """``cpu``, ``cuda``, ``cuda:1`` (the index does not name hardware) or ``kind/hardware``."""
        kind, _, hardware = text.strip().partition("/")
        return cls(kind.split(":", 1)[0], hardware.strip() or None)

    def covers(self, other: DeviceId) -> bool:
        """Whether ``other`` is this device: same kind and, when this one names hardware, the same hardware."""
        if self.kind != other.kind:
            return False
        return self.hardware is None or (
            other.hardware is not None and _normalised(self.hardware) == _normalised(other.hardware)
        )

    def to_dict(self) -> dict[str, str | None]:
        return {"kind": self.kind, "hardware": self.hardware}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DeviceId:
        return cls(str(data["kind"]), None if data.get("hardware") is None else str(data["hardware"]))


class Predictor(Protocol):
    """Predicts a positive per-arch target from archs of one space."""

    @property
    def name(self) -> str:
        """Registry name of the model, e.g. 'cost-mape'."""
        ...

    @property
    def capabilities(self) -> frozenset[Capability]:
        """What it can do besides ``predict`` (see the module docstring)."""
        ...

    @property
    def device(self) -> DeviceId | None:
        """The device whose values it predicts, when known (a latency model fitted on a collected dataset)."""
        ...

    def predict(self, archs: Sequence[Arch]) -> np.ndarray:
        """Mean prediction, float64 [len(archs)], in the units of the training targets."""
        ...

    def predict_variance(self, archs: Sequence[Arch]) -> np.ndarray:
        """Predictive variance [len(archs)] in squared target units; only with :attr:`Capability.VARIANCE`."""
        ...

    def adapt(self, device: DeviceId, archs: Sequence[Arch], values: Sequence[float] | np.ndarray) -> Predictor:
        """A predictor for ``device`` from a few of its measured ``archs`` and ``values``; only with
        :attr:`Capability.DEVICE_CONDITIONED`."""
        ...

    def save(self, path: str | Path) -> None:
        """One model file that :func:`hwnas.predictors.load_predictor` reads back (no pickles)."""
        ...

    def describe(self) -> dict[str, Any]:
        """JSON-able facts: name, capabilities, device, and what the implementation adds (its encoding...)."""
        ...


def unsupported(name: str, declared: Collection[Capability], capability: Capability) -> ConfigError:
    """The one-line error of asking predictor ``name`` (which declares ``declared``) for ``capability``."""
    listed = ", ".join(sorted(declared)) or "none"
    return ConfigError(f"predictor {name!r} does not declare capability {capability.value!r} (it declares: {listed})")


def require(predictor: Predictor, capability: Capability) -> None:
    """Refuse, in one line, to use a capability ``predictor`` does not declare."""
    if capability not in predictor.capabilities:
        raise unsupported(predictor.name, predictor.capabilities, capability)
