"""Latency dataset files: a CSV in HAT's columns (plus the full arch and extra stats) and a JSON sidecar.

For ``hat``-family spaces the first 14 columns are exactly HAT's (10 averaged features, then
``latency_mean_encoder``, ``latency_mean_decoder``, ``latency_std_encoder``, ``latency_std_decoder``, in ms), so
:func:`hwnas.data.tables.load_hat_latency_csv` and HAT's own tools read the file unchanged; the extra columns carry
medians and minima, peak memory, energy, the machine's load average (``load_1m``) and the share of the CPU other
processes used while the row was timed (``contention``), ``arch_id`` and the arch as JSON (``Arch.to_dict()``),
which lets a predictor use every per-layer gene. ``gpt``-family files have their own, forward-pass columns.

Columns keep one meaning whatever the settings: ``latency_mean*`` is always HAT's trimmed mean, ``latency_median*``
the median, ``latency_min*`` the minimum. Which of them is the arch's latency (a predictor's target) is the
sidecar's ``settings.estimator``; a sidecar without one predates estimators and means the trimmed mean, computed
then without HAT's always-dropped slowest run (``trim_rule`` absent; ``hat`` since).

The sidecar ``<name>.json`` holds the provenance: space, protocol, sampler, seed, settings, the trim rule, the
device identity and one entry per collection session. Rows are appended one at a time with flush + fsync, so a
killed collection loses at most the row being written (a torn last line is cut off on resume).
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from hwnas.core.arch import Arch
from hwnas.core.errors import DataError
from hwnas.core.files import write_text_atomic
from hwnas.core.space import SearchSpace
from hwnas.data.tables import HAT_TARGETS, float_column
from hwnas.encodings.hat import HAT_FEATURE_NAMES, hat_features
from hwnas.hardware.stats import LEGACY_ESTIMATOR, check_estimator

if TYPE_CHECKING:
    from hwnas.hardware.timing import Measurement

DATASET_FORMAT = "hwnas.latency-dataset/1"
HAT_COLUMNS = HAT_FEATURE_NAMES + HAT_TARGETS  # HAT's 14 columns, in HAT's order
EXTRA_COLUMNS = ("peak_memory_mb", "energy_mj", "load_1m", "contention", "arch_id", "arch")
STAT_STEMS = {"min": "min", "median": "median", "trimmed-mean": "mean"}  # estimator -> column stem
HAT_EXTRA = ("latency_median_encoder", "latency_median_decoder", "latency_min_encoder", "latency_min_decoder")
GPT_COLUMNS = ("params", "flops", "latency_mean", "latency_median", "latency_std", "latency_min")


def columns_for(space: SearchSpace) -> tuple[str, ...]:
    if space.family == "hat":
        return HAT_COLUMNS + HAT_EXTRA + EXTRA_COLUMNS
    return GPT_COLUMNS + EXTRA_COLUMNS


def _cell(value: float | None) -> str:
    return "" if value is None else repr(float(value))


def row_for(arch: Arch, space: SearchSpace, measurement: Measurement) -> dict[str, str]:
    """One CSV row (strings) of a measured arch."""
    extras = {
        "peak_memory_mb": _cell(measurement.peak_memory_mb),
        "energy_mj": _cell(measurement.energy_mj),
        "load_1m": _cell(measurement.load_1m),
        "contention": _cell(measurement.contention),
        "arch_id": arch.arch_id,
        "arch": json.dumps(arch.to_dict(), separators=(",", ":")),
    }
    if space.family == "hat":
        enc, dec = measurement.phases["encoder"], measurement.phases["decoder"]
        values = dict(zip(HAT_FEATURE_NAMES, (_cell(v) for v in hat_features(arch)), strict=True))
        values.update(latency_mean_encoder=_cell(enc.mean), latency_mean_decoder=_cell(dec.mean))
        values.update(latency_std_encoder=_cell(enc.std), latency_std_decoder=_cell(dec.std))
        values.update(latency_median_encoder=_cell(enc.median), latency_median_decoder=_cell(dec.median))
        values.update(latency_min_encoder=_cell(enc.min), latency_min_decoder=_cell(dec.min))
        return {**values, **extras}
    from hwnas.metrics import analytic_metrics

    size = analytic_metrics(arch, space)
    forward = measurement.phases["forward"]
    values = {"params": _cell(size["params"]), "flops": _cell(size["flops"])}
    values.update(latency_mean=_cell(forward.mean), latency_median=_cell(forward.median))
    values.update(latency_std=_cell(forward.std), latency_min=_cell(forward.min))
    return {**values, **extras}


def sidecar_path(csv_path: str | Path) -> Path:
    return Path(csv_path).with_suffix(".json")


def read_sidecar(csv_path: str | Path) -> dict[str, Any] | None:
    path = sidecar_path(csv_path)
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise DataError(f"latency dataset sidecar {str(path)!r} is unreadable: {exc}") from None
    if not isinstance(data, dict) or data.get("format") != DATASET_FORMAT:
        raise DataError(f"{str(path)!r} is not a latency dataset sidecar (expected format {DATASET_FORMAT!r})")
    return data


def write_sidecar(csv_path: str | Path, data: Mapping[str, Any]) -> None:
    """Atomic write: a kill never leaves a half-written sidecar."""
    write_text_atomic(sidecar_path(csv_path), json.dumps(data, indent=2) + "\n")


def repair_and_read_ids(csv_path: Path, columns: tuple[str, ...]) -> list[str]:
    """arch_ids already in the CSV (after cutting a torn last line); the header must equal ``columns``."""
    if not csv_path.is_file() or csv_path.stat().st_size == 0:
        return []
    raw = csv_path.read_bytes()
    if not raw.endswith(b"\n"):
        keep = raw.rfind(b"\n") + 1
        with csv_path.open("r+b") as f:
            f.truncate(keep)
        raw = raw[:keep]
    rows = list(csv.reader(raw.decode("utf-8").splitlines()))
    if not rows:
        return []
    if tuple(rows[0]) != columns:
        raise DataError(f"{str(csv_path)!r} has columns {rows[0]}; a collection for this space writes {list(columns)}")
    at = columns.index("arch_id")
    return [row[at] for row in rows[1:] if len(row) == len(columns)]


class RowWriter:
    """Appends rows to the CSV, each one flushed and fsync'd before ``write`` returns."""

    def __init__(self, csv_path: Path, columns: tuple[str, ...]) -> None:
        new = not csv_path.is_file() or csv_path.stat().st_size == 0
        csv_path.parent.mkdir(parents=True, exist_ok=True)
        self._file = csv_path.open("a", encoding="utf-8", newline="")
        self._writer = csv.DictWriter(self._file, fieldnames=list(columns), lineterminator="\n")
        if new:
            self._writer.writeheader()
            self._sync()

    def write(self, row: Mapping[str, str]) -> None:
        self._writer.writerow(row)
        self._sync()

    def _sync(self) -> None:
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self) -> None:
        self._file.close()


def estimator_of(provenance: dict[str, Any] | None) -> str | None:
    """The estimator a collected dataset's latency is (None without a sidecar: e.g. HAT's own CSVs)."""
    if provenance is None:
        return None
    return check_estimator(str((provenance.get("settings") or {}).get("estimator", LEGACY_ESTIMATOR)))


def estimator_columns(estimator: str, header: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """The per-phase columns (encoder + decoder, or the forward pass) holding ``estimator``'s figure."""
    stem = STAT_STEMS[check_estimator(estimator)]
    if f"latency_{stem}_encoder" in header:
        return f"latency_{stem}_encoder", f"latency_{stem}_decoder"
    return (f"latency_{stem}",)


def collected_target(path: Path, header: list[str], rows: list[list[str]]) -> list[np.ndarray] | None:
    """Per-phase latency columns [n] of a collected CSV's estimator, when its sidecar names one other than HAT's
    trimmed mean (which readers of HAT's layout take from ``latency_mean_*`` already); None otherwise."""
    try:
        estimator = estimator_of(read_sidecar(path))
    except DataError:  # a .json beside a plain CSV that is no sidecar: the columns keep HAT's meaning
        return None
    if estimator is None or estimator == "trimmed-mean":
        return None
    columns = estimator_columns(estimator, header)
    missing = [c for c in columns if c not in header]
    if missing:
        raise DataError(f"{str(path)!r}: its sidecar's estimator {estimator!r} needs column {missing[0]!r}")
    return [float_column(path, header, rows, c, rule="positive") for c in columns]


@dataclass(frozen=True)
class CollectedDataset:
    """A collected CSV read back as written: the archs, their total latency (ms) under the dataset's estimator,
    every column as text and the sidecar's provenance. (Predictors read the same files as features + targets:
    :class:`hwnas.predictors.LatencyDataset`.)"""

    path: Path
    archs: list[Arch]
    latency_ms: np.ndarray  # [n]: encoder + decoder (hat) or the forward pass (gpt), under ``estimator``
    rows: list[dict[str, str]]
    provenance: dict[str, Any] | None
    estimator: str  # min, median or trimmed-mean (the sidecar's; trimmed-mean without one, HAT's figure)

    def __len__(self) -> int:
        return len(self.archs)

    def column(self, name: str) -> np.ndarray:
        """A numeric column [n] (NaN where empty or absent: e.g. ``contention`` in older files)."""
        return np.asarray([float(r[name]) if r.get(name) else np.nan for r in self.rows], dtype=np.float64)


def read_latency_dataset(path: str | Path) -> CollectedDataset:
    """Read a collected CSV (and its sidecar when present); rows without a parsable arch or latency are refused."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"latency dataset {str(path)!r} does not exist")
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    provenance = read_sidecar(path)
    estimator = estimator_of(provenance) or LEGACY_ESTIMATOR
    columns = estimator_columns(estimator, list(rows[0]) if rows else [])
    archs, latency = [], []
    for number, row in enumerate(rows, start=2):
        try:
            archs.append(Arch.from_dict(json.loads(row["arch"])))
            total = sum(float(row[c]) for c in columns)
        except (KeyError, TypeError, ValueError) as exc:
            raise DataError(f"{str(path)!r} line {number}: cannot read arch / latency ({exc})") from None
        if not total > 0:
            raise DataError(f"{str(path)!r} line {number}: latency {total!r} is not > 0")
        latency.append(total)
    return CollectedDataset(path, archs, np.asarray(latency, dtype=np.float64), rows, provenance, estimator)
