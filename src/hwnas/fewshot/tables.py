"""A space's device latency tables, aligned by arch: every row of :class:`SpaceTable` is one arch of the space,
every column one device (HELP's measurements of NAS-Bench-201 and FBNet on 27 devices each, read through the
dataset registry with the restricted unpickler of :mod:`hwnas.data.help_pt`).

HELP indexes archs its own way (NB201: a dict arch string -> index; FBNet: a list of 22 op indices per arch); the
table keeps that index order, so row ``i`` is HELP's arch ``i`` and HELP's fingerprint indices address rows
directly. A device is (space, name, latencies).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np

from hwnas.core.arch import Arch
from hwnas.core.errors import DataError, UnknownNameError
from hwnas.data.help_pt import help_devices, load_help_archs, load_help_latency
from hwnas.families.nb201 import from_string
from hwnas.predictors.dataset import LatencyDataset
from hwnas.spaces import get_space

HELP_NAMES = {"nb201": "nasbench201", "fbnet": "fbnet"}  # hwnas space -> HELP's folder


@dataclass(frozen=True)
class DeviceTable:
    space: str
    name: str
    latency: np.ndarray  # [archs] ms, row order of the space's table


@dataclass(frozen=True)
class SpaceTable:
    space: str
    archs: tuple[Arch, ...]
    devices: tuple[str, ...]
    latency: np.ndarray  # [archs, devices] ms

    def device(self, name: str) -> DeviceTable:
        if name not in self.devices:
            raise UnknownNameError(f"{self.space} device", name, list(self.devices))
        return DeviceTable(self.space, name, self.latency[:, self.devices.index(name)])

    def columns(self, names: Sequence[str]) -> np.ndarray:
        """[archs, len(names)] the named devices' latencies (each name checked)."""
        return np.stack([self.device(n).latency for n in names], axis=1)


def help_spaces() -> list[str]:
    return sorted(HELP_NAMES)


@cache
def help_archs(space: str) -> tuple[Arch, ...]:
    """The archs of a HELP space in HELP's index order."""
    folder = _folder(space)
    raw = load_help_archs(folder)
    target = get_space(space)
    if folder == "nasbench201":
        if not isinstance(raw, dict) or sorted(raw.values()) != list(range(len(raw))):
            raise DataError("HELP nasbench201/str_arch2idx.pt: expected a dict arch string -> indices 0..n-1")
        by_index = sorted(raw.items(), key=lambda item: item[1])
        return tuple(from_string(text, target) for text, _ in by_index)
    blocks = target.gene("block").choices
    if not isinstance(raw, list) or not all(isinstance(r, list) and len(r) == 22 for r in raw):
        raise DataError("HELP fbnet/arch.pt: expected a list of 22-op index lists")
    return tuple(target.make({"num_layers": 22, "block": tuple(blocks[int(i)] for i in ops)}) for ops in raw)


@cache
def help_table(space: str) -> SpaceTable:
    """Every HELP device of ``space`` (``nb201`` or ``fbnet``), aligned by arch."""
    folder = _folder(space)
    archs = help_archs(space)
    devices = tuple(help_devices(folder))
    columns = []
    for device in devices:
        values = np.asarray(load_help_latency(folder, device), dtype=np.float64)
        if len(values) != len(archs):
            raise DataError(f"HELP {folder}/{device}: {len(values)} latencies for {len(archs)} archs")
        columns.append(values)
    return SpaceTable(space, archs, devices, np.stack(columns, axis=1))


def _folder(space: str) -> str:
    if space not in HELP_NAMES:
        raise UnknownNameError("space with HELP latency tables", space, help_spaces())
    return HELP_NAMES[space]


HAT_SPACE = "hat-wmt14ende"
HAT_DEVICES = ("raspberrypi", "xeon", "titanxp")  # HAT's published WMT'14 En-De latency CSVs


def hat_devices() -> dict[str, LatencyDataset]:
    """The HAT space's devices: HAT's three CSVs (10 averaged features per row, no archs; rows whose encoder
    latency is over 3x the median dropped, HAT's Raspberry Pi file has ~100 such artefacts) and every dataset the
    project ships for the space (with archs), named by their hardware (e.g. ``amd-epyc``)."""
    from hwnas.hardware import load_latency_csv
    from hwnas.hardware.embedded import embedded_datasets
    from hwnas.predictors.dataset import drop_encoder_artefacts, hat_dataset

    devices = {name: drop_encoder_artefacts(hat_dataset(name)) for name in HAT_DEVICES}
    for dataset in embedded_datasets():
        if dataset.space == HAT_SPACE:
            devices[_slug(dataset.hardware)] = load_latency_csv(dataset.csv_path)
    return devices


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
