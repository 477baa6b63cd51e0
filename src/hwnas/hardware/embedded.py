"""Embedded latency datasets: the measurements hwnas ships, so a user gets latency data (and a predictor fitted on
it) for a space and device without measuring anything.

Every ``<name>.csv`` in ``hwnas/hardware/datasets`` with a provenance sidecar ``<name>.json`` is one dataset; the
sidecar says its space, device kind and hardware. :func:`default_dataset` picks the one for a (space, device).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from hwnas.core.errors import UnknownNameError
from hwnas.hardware.dataset_files import CollectedDataset, estimator_of, read_latency_dataset, read_sidecar

_PACKAGE = "hwnas.hardware.datasets"


@dataclass(frozen=True)
class EmbeddedDataset:
    name: str  # file stem, e.g. hat-wmt14ende_cpu_amd-epyc
    space: str  # the search space its archs belong to
    device: str  # device kind: cpu or cuda
    hardware: str  # CPU model or GPU name
    csv_path: Path
    provenance: dict[str, Any]

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


def _from_csv(csv_path: Path) -> EmbeddedDataset | None:
    sidecar = read_sidecar(csv_path)
    if sidecar is None:
        return None
    identity = sidecar.get("device", {})
    kind = str(identity.get("device", "cpu"))
    hardware = identity.get("gpu_name") if kind == "cuda" else identity.get("cpu_model")
    return EmbeddedDataset(
        name=csv_path.stem,
        space=str(sidecar["space"]),
        device=kind,
        hardware=str(hardware),
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
