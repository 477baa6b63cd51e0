"""Devices the user measured (``hwnas bench measure`` writes the CSV, ``hwnas bench add-device`` calls
:func:`add_device`), kept beside the surrogate cache as ``<cache>/devices/<scale>/<name>.csv`` + ``<name>.json``.

The stored CSV is the benchmark's own, self-contained form of the measurements: the table's arch columns
(``embed_dim``, ``n_layer``, ``n_head``, ``mlp_ratio`` ``-``-joined, ``bias`` 0/1) and ``lat_ms_mean`` /
``lat_ms_std``, the latency under the collected file's estimator as :func:`hwnas.hardware.load_latency_csv` reads it
(so what was added does not depend on the collected file, its sidecar or a later reader staying put). The JSON
records the provenance: the source file and its SHA-256, the collection sidecar's device and settings, when.
A device is then a latency device of its scale like the table's: its rows answer exactly, a surrogate fitted on
them answers every other arch.

Devices the project measured itself ship with the package in the same form, as ``bench/measured/<scale>_<name>.csv``
+ ``.json`` (made by ``hwnas bench add-device`` and copied there; :func:`shipped_devices`). Their names are taken
like the table's: adding a device of that name is refused.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from hwnas.bench.archs import ArchArrays, Grid, encode, from_table
from hwnas.bench.store import file_sha256
from hwnas.core.errors import ConfigError, DataError
from hwnas.core.files import write_json_atomic, write_text_atomic
from hwnas.core.space import SearchSpace
from hwnas.data.hwgpt_table import read_hwgptbench_csv

FORMAT = "hwnas.bench-device/1"
NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,63}$")
MIN_DEVICE_ROWS = 10  # the surrogate's 5-fold cross-validation needs a few rows per fold
METRIC = "latency"  # what a measured CSV holds (ms, one forward pass of the scale's batch)
SHIPPED = Path(__file__).resolve().parent / "measured"  # devices measured by the hwnas project (package data)


@dataclass(frozen=True)
class UserDevice:
    """A device added with :func:`add_device`; paths as text so that the record is plain JSON."""

    name: str
    scale: str
    rows: int
    csv: str
    meta: str
    source: str
    source_sha256: str
    added: str
    shipped: bool = False  # measured by the hwnas project and installed with it (not in the user's cache)


def device_folder(cache: Path, scale: str) -> Path:
    return cache / "devices" / scale


def list_devices(cache: Path, scale: str) -> list[UserDevice]:
    """The devices the user added to ``scale``, by name; a pair whose JSON is unreadable is skipped."""
    return _read_folder(device_folder(cache, scale), scale, shipped=False)


def shipped_devices(scale: str, folder: Path | None = None) -> list[UserDevice]:
    """The devices of ``scale`` the hwnas project measured and ships (:data:`SHIPPED`), by name."""
    return _read_folder(SHIPPED if folder is None else folder, scale, shipped=True)


def _read_folder(folder: Path, scale: str, *, shipped: bool) -> list[UserDevice]:
    """Every (csv, json) device pair of ``scale`` in ``folder``; the paths are where the files are now (a stored
    record's own paths are where they were made)."""
    found = []
    for meta in sorted(folder.glob("*.json")):
        try:
            data = json.loads(meta.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        stored = meta.with_suffix(".csv")
        if not (isinstance(data, dict) and data.get("format") == FORMAT and stored.is_file()):
            continue
        if data.get("scale") != scale:
            continue
        fields = {k: data[k] for k in UserDevice.__dataclass_fields__ if k not in ("csv", "meta", "shipped")}
        found.append(UserDevice(**fields, csv=str(stored), meta=str(meta), shipped=shipped))
    return sorted(found, key=lambda d: d.name)


def check_name(name: str, reserved: tuple[str, ...], shipped: tuple[str, ...] = ()) -> None:
    if not NAME.match(name):
        raise ConfigError(f"device name {name!r}: use letters, digits, '_', '.', '-' (starting with a letter)")
    if name in reserved:
        raise ConfigError(f"device name {name!r} is a device of HW-GPT-Bench's table; choose another name")
    if name in shipped:
        raise ConfigError(f"device name {name!r} is a device measured and shipped by hwnas; choose another name")


def add_device(
    cache: Path,
    space: SearchSpace,
    grid: Grid,
    name: str,
    csv_path: str | Path,
    *,
    reserved: tuple[str, ...],
    shipped: tuple[str, ...] = (),
) -> UserDevice:
    """Store the latencies of ``csv_path`` (a collected forward-pass CSV of ``space``) as device ``name``;
    adding a name again replaces it."""
    from hwnas.hardware import load_latency_csv
    from hwnas.hardware.dataset_files import read_sidecar

    check_name(name, reserved, shipped)
    source = Path(csv_path)
    dataset = load_latency_csv(source)
    where = f"device CSV {str(source)!r}"
    if dataset.archs is None:
        raise DataError(f"{where} has no 'arch' column; give a CSV written by `hwnas bench measure`")
    spaces = sorted({a.space for a in dataset.archs} - {space.name})
    if spaces:
        raise DataError(f"{where} holds archs of space {spaces[0]!r}, not {space.name!r}")
    if len(dataset) < MIN_DEVICE_ROWS:
        raise DataError(f"{where} has {len(dataset)} measured archs; a device needs at least {MIN_DEVICE_ROWS}")
    arrays = encode(dataset.archs, space, grid)
    folder = device_folder(cache, space.name)
    stored = folder / f"{name}.csv"
    write_text_atomic(stored, _csv_text(arrays, grid, dataset.latency, dataset.latency_std))
    record = UserDevice(
        name=name,
        scale=space.name,
        rows=len(dataset),
        csv=str(stored),
        meta=str(stored.with_suffix(".json")),
        source=str(source.resolve()),
        source_sha256=file_sha256(source),
        added=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    sidecar = read_sidecar(source) or {}
    provenance = {k: sidecar[k] for k in ("device", "settings", "notes") if k in sidecar}
    fields = {k: v for k, v in record.__dict__.items() if k != "shipped"}
    write_json_atomic(stored.with_suffix(".json"), {"format": FORMAT, **fields, "collected": provenance})
    return record


def _csv_text(arrays: ArchArrays, grid: Grid, latency: np.ndarray, std: np.ndarray | None) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["arch_id", "embed_dim", "n_layer", "n_head", "mlp_ratio", "bias", "lat_ms_mean", "lat_ms_std"])
    for i in range(len(arrays)):
        layers = int(arrays.n_layer[i])
        heads = "-".join(str(grid.heads[h]) for h in arrays.heads[i, :layers])
        ratios = "-".join(str(grid.ratios[r]) for r in arrays.ratios[i, :layers])
        spread = "" if std is None or not np.isfinite(std[i]) else repr(float(std[i]))
        row = [i, grid.embed[arrays.embed[i]], layers, heads, ratios, int(arrays.bias[i]), repr(float(latency[i]))]
        writer.writerow([*row, spread])
    return out.getvalue()


def read_device(device: UserDevice, grid: Grid) -> tuple[ArchArrays, np.ndarray, np.ndarray, str]:
    """(the measured archs, latency [n] ms, its std [n] (NaN: unknown), the stored CSV's SHA-256)."""
    table = read_hwgptbench_csv(device.csv, scale=device.scale)
    return from_table(table, grid), table.column("lat_ms_mean"), table.column("lat_ms_std"), file_sha256(device.csv)
