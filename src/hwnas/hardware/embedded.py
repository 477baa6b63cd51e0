"""Embedded latency datasets: the measurements hwnas ships, so a user gets latency data (and a predictor fitted on
it) for a space and device without measuring anything.

Every ``<name>.csv`` in ``hwnas/hardware/datasets`` with a provenance sidecar ``<name>.json`` is one dataset; the
sidecar says its space, device kind and hardware; ``<name>.predictor.npz`` beside it, when present, is the
predictor fitted on it. :func:`default_dataset` picks the dataset for a (space, device kind),
:func:`shipped_predictor` the predictor for a (space, device id).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from hwnas.contracts.predictor import DeviceId
from hwnas.core.errors import UnknownNameError
from hwnas.hardware.dataset_files import CollectedDataset, estimator_of, read_latency_dataset, read_sidecar

_PACKAGE = "hwnas.hardware.datasets"
PREDICTOR_SUFFIX = ".predictor.npz"  # <dataset>.predictor.npz beside an embedded dataset's CSV


@dataclass(frozen=True)
class EmbeddedDataset:
    name: str  # file stem, e.g. hat-wmt14ende_cpu_amd-epyc
    space: str  # the search space its archs belong to
    device: str  # device kind: cpu or cuda
    hardware: str  # CPU model or GPU name
    csv_path: Path
    provenance: dict[str, Any]

    @property
    def device_id(self) -> DeviceId:
        return DeviceId(self.device, self.hardware)

    @property
    def predictor_path(self) -> Path | None:
        """The predictor shipped with this dataset, if one is."""
        path = self.csv_path.with_name(self.name + PREDICTOR_SUFFIX)
        return path if path.is_file() else None

    @property
    def rows(self) -> int:
        with self.csv_path.open(encoding="utf-8") as f:
            return max(0, sum(1 for _ in f) - 1)

    def load(self) -> CollectedDataset:
        return read_latency_dataset(self.csv_path)

    def summary(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "space": self.space,
            "device": self.device,
            "hardware": self.hardware,
            "rows": self.rows,
            "protocol": self.provenance.get("protocol"),
            "threads": self.provenance.get("settings", {}).get("threads"),
            "estimator": estimator_of(self.provenance),  # which statistic the latency (and its predictor) is
            "csv": str(self.csv_path),
        }


def identity_device_id(identity: dict[str, Any]) -> DeviceId:
    """The device id of a sidecar's device identity (:func:`hwnas.hardware.device.device_identity`): its kind and
    the GPU name on cuda, the CPU model otherwise."""
    kind = str(identity.get("device") or "cpu")
    hardware = identity.get("gpu_name") if kind == "cuda" else identity.get("cpu_model")
    return DeviceId(kind, None if hardware is None else str(hardware))


def _from_csv(csv_path: Path) -> EmbeddedDataset | None:
    sidecar = read_sidecar(csv_path)
    if sidecar is None:
        return None
    device = identity_device_id(sidecar.get("device", {}))
    return EmbeddedDataset(
        name=csv_path.stem,
        space=str(sidecar["space"]),
        device=device.kind,
        hardware=str(device.hardware),
        csv_path=csv_path,
        provenance=sidecar,
    )


@cache
def embedded_datasets() -> tuple[EmbeddedDataset, ...]:
    """Every shipped dataset, sorted by name."""
    folder = Path(str(resources.files(_PACKAGE)))
    found = (_from_csv(path) for path in sorted(folder.glob("*.csv")))
    return tuple(d for d in found if d is not None)


def default_dataset(space: str, device: str = "cpu") -> EmbeddedDataset:
    """The shipped dataset of ``space`` on a ``device`` kind (cpu / cuda); the first by name if several."""
    kind = device.split(":", 1)[0]
    for dataset in embedded_datasets():
        if dataset.space == space and dataset.device == kind:
            return dataset
    known = [f"{d.space} on {d.device}" for d in embedded_datasets()]
    raise UnknownNameError("embedded latency dataset", f"{space} on {kind}", known)


def shipped_predictor(space: str, devices: Sequence[DeviceId]) -> Path:
    """The predictor shipped for ``space`` on the first of ``devices`` (in order of preference) that has one; a
    device id naming no hardware takes any of its kind. None: an :class:`UnknownNameError` listing the
    (space, device) pairs that have one."""
    devices = list(dict.fromkeys(devices))
    shipped = [d for d in embedded_datasets() if d.predictor_path is not None]
    for device in devices:
        for dataset in shipped:
            if dataset.predictor_path is not None and dataset.space == space and device.covers(dataset.device_id):
                return dataset.predictor_path
    wanted = f"{space} on {' or '.join(map(str, devices))}"
    raise UnknownNameError("shipped latency predictor", wanted, [f"{d.space} on {d.device_id}" for d in shipped])
