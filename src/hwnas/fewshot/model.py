"""The few-shot latency model behind the arch-level predictor contract: pretrained on source devices, turned to a
new device by :meth:`FewShotPredictor.adapt` from a few measured archs, then used like any latency model
(``hwnas search --latency-model MODEL``).

A pretrained model holds the source devices' measurements (:class:`~hwnas.fewshot.features.SourceBank`) and,
optionally, the device-conditioned GNN pretrained on them. ``adapt`` adds the target: its measured archs and
values, and the GNN fine-tuned on them. Predictions come from the chosen method of :mod:`hwnas.fewshot.methods`
(default ``stack``), fitted on the target's samples; the method's small fits (lines and ridges on at most a few
dozen rows) are redone when a model file is loaded, so the file holds data and weights only, never code.

Model file: the predictors' npz + JSON format (:func:`hwnas.predictors.base.write_model_file`) with
``kind: "fewshot"``; :func:`hwnas.predictors.load_predictor` reads it like any other model file.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import Field

from hwnas.contracts.options import Options
from hwnas.contracts.predictor import Capability, DeviceId
from hwnas.core.arch import Arch
from hwnas.core.errors import ConfigError, DataError
from hwnas.core.space import SearchSpace
from hwnas.fewshot.features import ArchFeatures, SourceBank, arch_features, bank_encoding, bank_keys, index_matrix
from hwnas.fewshot.gnn import GnnOptions
from hwnas.fewshot.methods import METHODS, combine, get_method, stack_weights
from hwnas.predictors.base import MODEL_FORMAT, read_model_file, write_model_file

KIND = "fewshot"
POOL_SIZE = 2000
Method = Literal[
    "stack",
    "flops",
    "params",
    "best-source",
    "ridge-transfer",
    "opcount-ridge",
    "op-sum",
    "ridge-all",
    "gbdt-all",
    "gnn",
]


class FewShotOptions(Options):
    method: Method = Field("stack", description="how the target's samples turn into predictions")
    gnn: bool = Field(False, description="pretrain the device-conditioned GNN (always with method 'gnn')")
    gnn_options: GnnOptions = Field(default_factory=GnnOptions, description="the GNN's knobs (hwnas.fewshot.gnn)")
    seed: int = Field(0, ge=0, description="seed of the GNN's pretraining and fine-tuning")


class FewShotPredictor:
    """A source bank (+ GNN), and after :meth:`adapt` a target device with its samples (module docstring)."""

    name = "fewshot"

    def __init__(
        self,
        bank: SourceBank,
        options: FewShotOptions,
        gnn: Any = None,
        *,
        target: DeviceId | None = None,
        samples: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> None:
        if options.method not in METHODS:  # pragma: no cover - the options model already refuses it
            get_method(options.method)
        self.bank, self.options, self.gnn = bank, options, gnn
        self.target = target
        self.samples = samples  # (index matrix [n, positions], values [n] ms) of the target's measured archs
        self._fitted: tuple[ArchFeatures, np.ndarray] | None = None
        self._weights: dict[str, float] | None = None  # the stack's, once computed

    @property
    def space(self) -> SearchSpace:
        return self.bank.space

    @property
    def capabilities(self) -> frozenset[Capability]:
        caps = {Capability.DEVICE_CONDITIONED}
        if self.gnn is not None:
            caps.add(Capability.GRAPH_INPUTS)
        return frozenset(caps)

    @property
    def device(self) -> DeviceId | None:
        return self.target

    @classmethod
    def pretrain(
        cls,
        space: SearchSpace,
        archs: Sequence[Arch],
        latency: np.ndarray,
        sources: Sequence[str],
        options: FewShotOptions | None = None,
    ) -> FewShotPredictor:
        """Pretrain on ``latency`` [archs, sources] ms (NaN: that source did not measure that arch)."""
        options = options or FewShotOptions()
        if not sources or len(set(sources)) != len(sources):
            raise ConfigError(f"source devices: give one or more distinct names; got {list(sources)}")
        bank = SourceBank(space, sources, bank_keys(archs, space), latency)
        wants_gnn = options.gnn or options.method == "gnn"
        if wants_gnn and not _has_graph(space):
            raise ConfigError(f"the GNN needs a space whose family has graphs; {space.name!r} has none")
        network = None
        if wants_gnn:
            from hwnas.fewshot.gnn import DeviceGnn

            network = DeviceGnn.pretrain(
                space, archs, latency, sources=sources, seed=options.seed, options=options.gnn_options
            )
        return cls(bank, options, network)

    def pool(self, seed: int = 0) -> list[Arch]:
        """The candidates :func:`hwnas.fewshot.user.suggest` draws from: the archs the source devices measured, or
        (a bank keyed by HAT's features, which do not name archs) :data:`POOL_SIZE` distinct archs of the space
        sampled with ``seed``."""
        if bank_encoding(self.space) == "index":
            return [_arch(row, self.space) for row in self.bank.keys]
        rng = np.random.default_rng(seed)
        drawn: dict[Arch, None] = {}
        for _ in range(20 * POOL_SIZE):
            drawn[self.space.sample(rng)] = None
            if len(drawn) == POOL_SIZE:
                break
        return list(drawn)

    def static_features(self, archs: Sequence[Arch]) -> ArchFeatures:
        """What the methods read of ``archs`` that no target changes: compute it once per pretrained model and
        pass it to :meth:`predict_features` of each adapted one (the protocol does)."""
        for arch in archs:
            self.space.validate(arch)
        return arch_features(archs, self.bank)

    @classmethod
    def from_bank(cls, bank: SourceBank, options: FewShotOptions | None = None) -> FewShotPredictor:
        """A model over sources measured on different archs (e.g. HAT's CSVs, keyed by HAT's features): no GNN,
        which needs the archs themselves."""
        options = options or FewShotOptions()
        if options.method == "gnn":
            raise ConfigError("method 'gnn' needs sources measured on archs (a GNN reads graphs, not features)")
        return cls(bank, options.model_copy(update={"gnn": False}))

    def features(self, archs: Sequence[Arch]) -> ArchFeatures:
        return self.complete(self.static_features(archs))

    def with_method(self, method: str) -> FewShotPredictor:
        """This model predicting by another method of :mod:`hwnas.fewshot.methods` (same bank, GNN, samples)."""
        get_method(method)  # an unknown name is refused here, naming the methods
        options = self.options.model_copy(update={"method": method})
        return FewShotPredictor(self.bank, options, self.gnn, target=self.target, samples=self.samples)

    def complete(self, features: ArchFeatures) -> ArchFeatures:
        """``features`` with the adapted GNN's score for the target, when there is one (and not there yet)."""
        if self.gnn is None or self.target is None or features.gnn is not None:
            return features
        return _with_gnn(features, self.gnn.predict(list(features.archs)))

    def adapt(self, device: DeviceId, archs: Sequence[Arch], values: Sequence[float] | np.ndarray) -> FewShotPredictor:
        values = np.asarray(values, dtype=np.float64).reshape(-1)
        if len(archs) == 0 or len(archs) != len(values):
            raise DataError(f"adapt needs one or more measured archs, one value each; got {len(archs)} archs, "
                            f"{len(values)} values")  # fmt: skip
        bad = np.flatnonzero(~np.isfinite(values) | (values <= 0))
        if bad.size:
            raise DataError(
                f"measured latency #{bad[0] + 1} is {float(values[bad[0]])!r}; need a finite number > 0 (ms)"
            )
        for arch in archs:
            self.space.validate(arch)
        network = None
        if self.gnn is not None:
            network = self.gnn.adapt(list(archs), values, seed=self.options.seed)
        return FewShotPredictor(
            self.bank, self.options, network, target=device, samples=(index_matrix(archs, self.space), values)
        )

    def _train(self) -> tuple[ArchFeatures, np.ndarray]:
        if self.samples is None:
            raise ConfigError(
                "this few-shot model is pretrained only: adapt it to a device first "
                "(hwnas fewshot adapt --model MODEL --data MEASURED.csv --out MODEL2)"
            )
        if self._fitted is None:
            keys, values = self.samples
            archs = [_arch(row, self.space) for row in keys]
            self._fitted = (self.features(archs), np.log(values))
        return self._fitted

    def predict_features(self, features: ArchFeatures) -> np.ndarray:
        """Latency in ms of the archs whose :meth:`static_features` these are."""
        train, logy = self._train()
        if self.options.method == "stack":  # the leave-one-out weighing once per model, not once per batch
            if self._weights is None:
                self._weights = stack_weights(train, logy)
            latency: np.ndarray = np.exp(combine(self._weights, train, logy, self.complete(features)))
            return latency
        return np.exp(get_method(self.options.method)(train, logy, self.complete(features)))

    def predict(self, archs: Sequence[Arch]) -> np.ndarray:
        if not archs:
            return np.empty(0)
        self._train()
        return self.predict_features(self.static_features(archs))

    def predict_variance(self, archs: Sequence[Arch]) -> np.ndarray:
        from hwnas.contracts.predictor import unsupported

        raise unsupported(self.name, self.capabilities, Capability.VARIANCE)

    def describe(self) -> dict[str, Any]:
        facts: dict[str, Any] = {
            "model": self.name,
            "space": self.space.name,
            "method": self.options.method,
            "sources": list(self.bank.sources),
            "gnn": self.gnn is not None,
            "device": None if self.target is None else str(self.target),
            "samples": 0 if self.samples is None else len(self.samples[1]),
            "capabilities": sorted(self.capabilities),
        }
        if self.samples is not None and self.options.method == "stack":
            if self._weights is None:
                self._weights = stack_weights(*self._train())
            facts["stack_weights"] = self._weights
        return facts

    def save(self, path: str | Path) -> None:
        header: dict[str, Any] = {
            "format": MODEL_FORMAT,
            "kind": KIND,
            "name": self.name,
            "space": self.space.name,
            "options": self.options.model_dump(),
            "sources": list(self.bank.sources),
            "device": None if self.target is None else self.target.to_dict(),
        }
        arrays = {"bank_keys": self.bank.keys, "bank_latency": self.bank.latency}
        if self.samples is not None:
            arrays["sample_keys"], arrays["sample_values"] = self.samples
        if self.gnn is not None:
            gnn_header, gnn_arrays = self.gnn.state()
            header["gnn"] = gnn_header
            arrays.update({f"gnn.{k}": v for k, v in gnn_arrays.items()})
        write_model_file(path, header, arrays)


def load_fewshot(
    header: dict[str, Any], arrays: dict[str, np.ndarray], space: SearchSpace | None = None
) -> FewShotPredictor:
    """The model of a ``kind: fewshot`` file (its header and arrays, as :func:`read_model_file` returns them)."""
    from hwnas.spaces import get_space

    fitted = str(header.get("space"))
    if space is not None and space.name != fitted:
        raise ConfigError(f"the few-shot model was pretrained on space {fitted!r}, not {space.name!r}")
    try:
        space = space or get_space(fitted)
        bank = SourceBank(space, tuple(header["sources"]), arrays["bank_keys"], arrays["bank_latency"])
        options = FewShotOptions.model_validate(header["options"])
        network = None
        if "gnn" in header:
            from hwnas.fewshot.gnn import DeviceGnn

            prefix = "gnn."
            network = DeviceGnn.from_state(
                header["gnn"], {k[len(prefix) :]: v for k, v in arrays.items() if k.startswith(prefix)}
            )
        device = header.get("device")
        samples = (arrays["sample_keys"], arrays["sample_values"]) if "sample_keys" in arrays else None
    except (KeyError, ValueError, TypeError) as exc:
        raise DataError(f"few-shot model file is incomplete or malformed ({exc!r})") from None
    return FewShotPredictor(
        bank, options, network, target=None if device is None else DeviceId.from_dict(device), samples=samples
    )


def read_fewshot(path: str | Path) -> FewShotPredictor:
    header, arrays = read_model_file(path)
    if header.get("kind") != KIND:
        raise DataError(
            f"{str(path)!r} is a {header.get('name')!r} model, not a few-shot model (hwnas fewshot pretrain)"
        )
    return load_fewshot(header, arrays)


def _arch(row: np.ndarray, space: SearchSpace) -> Arch:
    from hwnas.encodings._slots import arch_from_indices

    return arch_from_indices([None if i < 0 else int(i) for i in row], space)


def _has_graph(space: SearchSpace) -> bool:
    from hwnas.contracts.family import FAMILIES

    return space.family in FAMILIES.names() and FAMILIES.get(space.family).graph is not None


def _with_gnn(features: ArchFeatures, scores: np.ndarray) -> ArchFeatures:
    from dataclasses import replace

    return replace(features, gnn=np.asarray(scores, dtype=np.float64))
