"""Latency dataset files: a CSV in the space family's columns (HAT's for hat spaces) plus the full arch and extra
stats, and a JSON sidecar.

The space's family says its own columns (:class:`hwnas.contracts.family.DatasetLayout`): for ``hat`` spaces the
first 14 are exactly HAT's (10 averaged features, then ``latency_mean_encoder``, ``latency_mean_decoder``,
``latency_std_encoder``, ``latency_std_decoder``, in ms), so :func:`hwnas.data.tables.load_hat_latency_csv` and HAT's
own tools read the file unchanged; ``gpt`` files have params, FLOPs and the forward pass's statistics. Each phase of
the protocol has a column per statistic, ``latency_<stat>_<phase>`` (``latency_<stat>`` when the protocol times one
phase). Every file then has the same extra columns: peak memory, energy, the machine's load average (``load_1m``)
and the share of the CPU other processes used while the row was timed (``contention``), ``arch_id`` and the arch
as JSON (``Arch.to_dict()``), which lets a predictor use every per-layer gene.

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

from hwnas.contracts.family import DatasetLayout, capability
from hwnas.core.arch import Arch
from hwnas.core.errors import DataError
from hwnas.core.files import write_text_atomic
from hwnas.core.space import SearchSpace
from hwnas.data.tables import float_column
from hwnas.hardware.stats import LEGACY_ESTIMATOR, check_estimator

if TYPE_CHECKING:
    from hwnas.hardware.timing import Measurement

DATASET_FORMAT = "hwnas.latency-dataset/1"
EXTRA_COLUMNS = ("peak_memory_mb", "energy_mj", "load_1m", "contention", "arch_id", "arch")
STAT_STEMS = {"min": "min", "median": "median", "trimmed-mean": "mean"}  # estimator -> column stem
PHASE_STATS = ("mean", "std", "median", "min")  # the TimingStats fields every phase has a column for


def _layout(space: SearchSpace) -> DatasetLayout:
    layout: DatasetLayout = capability(space, "dataset", "collected-dataset columns")
    return layout


def columns_for(space: SearchSpace) -> tuple[str, ...]:
    return _layout(space).columns + EXTRA_COLUMNS


def stat_column(stat: str, phase: str, phases: int) -> str:
    """The column of one statistic of one phase: ``latency_<stat>_<phase>``, or ``latency_<stat>`` when the
    protocol times ``phases == 1``."""
    return f"latency_{stat}" if phases == 1 else f"latency_{stat}_{phase}"


def _cell(value: float | None) -> str:
    return "" if value is None else repr(float(value))


def row_for(arch: Arch, space: SearchSpace, measurement: Measurement) -> dict[str, str]:
    """One CSV row (strings) of a measured arch."""
    layout = _layout(space)
    values: dict[str, float | None] = dict(layout.arch_values(arch, space))
    for phase, stats in measurement.phases.items():
        values.update({stat_column(s, phase, len(measurement.phases)): getattr(stats, s) for s in PHASE_STATS})
    missing = [c for c in layout.columns if c not in values]
    assert not missing, f"family {space.family!r}: no value for dataset columns {missing}"
    return {
        **{column: _cell(values[column]) for column in layout.columns},
        "peak_memory_mb": _cell(measurement.peak_memory_mb),
        "energy_mj": _cell(measurement.energy_mj),
        "load_1m": _cell(measurement.load_1m),
        "contention": _cell(measurement.contention),
        "arch_id": arch.arch_id,
        "arch": json.dumps(arch.to_dict(), separators=(",", ":")),
    }


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
    """The per-phase columns (``latency_<stem>_<phase>``, e.g. encoder + decoder; or the one ``latency_<stem>``)
    holding ``estimator``'s figure."""
    stem = STAT_STEMS[check_estimator(estimator)]
    return tuple(c for c in header if c.startswith(f"latency_{stem}_")) or (f"latency_{stem}",)


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
