"""HW-GPT-Bench's flattened measurement table (one row per GPT architecture) without pandas.

Architecture columns become typed arrays / per-layer tuples; every other column is a float64 array in which an empty
cell is NaN (not measured: e.g. perplexity exists only for part of the m and l archs).
"""

from __future__ import annotations

import csv
import gzip
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from hwnas.core.errors import DataError, UnknownNameError
from hwnas.data.registry import resolve

HWGPT_SCALES = ("s", "m", "l")
_ARCH_COLUMNS = ("arch_id", "embed_dim", "n_layer", "n_head", "mlp_ratio", "bias")
_LATENCY = re.compile(r"^lat_ms_(.+)_mean$")


@dataclass(frozen=True, kw_only=True)
class HwGptBenchTable:
    """Rows are architectures; ``metrics`` maps a column name (e.g. ``lat_ms_h100_mean``) to a float64 array."""

    scale: str
    arch_id: np.ndarray  # [n] int64
    embed_dim: np.ndarray  # [n] int64
    n_layer: np.ndarray  # [n] int64
    n_head: tuple[tuple[int, ...], ...]  # per layer, length n_layer
    mlp_ratio: tuple[tuple[int, ...], ...]  # per layer, length n_layer
    bias: np.ndarray  # [n] bool
    metrics: dict[str, np.ndarray]

    def __len__(self) -> int:
        return int(self.arch_id.shape[0])

    def column(self, name: str) -> np.ndarray:
        if name not in self.metrics:
            raise UnknownNameError(f"HW-GPT-Bench {self.scale} column", name, list(self.metrics))
        return self.metrics[name]

    @property
    def latency_devices(self) -> list[str]:
        """Devices with a latency column (``lat_ms_<device>_mean``)."""
        return [m.group(1) for name in self.metrics if (m := _LATENCY.match(name))]

    def arch(self, row: int) -> dict[str, Any]:
        """The architecture of one row in HW-GPT-Bench's own keys."""
        return {
            "embed_dim": int(self.embed_dim[row]),
            "n_layer": int(self.n_layer[row]),
            "n_head": list(self.n_head[row]),
            "mlp_ratio": list(self.mlp_ratio[row]),
            "bias": bool(self.bias[row]),
        }


def _per_layer(path: Path, line: int, column: str, cell: str, n_layer: int) -> tuple[int, ...]:
    try:
        values = tuple(int(v) for v in cell.split("-"))
    except ValueError:
        values = ()
    if len(values) != n_layer:
        raise DataError(f"{str(path)!r} line {line} column {column!r} is {cell!r}; need {n_layer} '-'-joined integers")
    return values


def _floats(path: Path, column: str, cells: tuple[str, ...]) -> np.ndarray:
    """One metric column as floats ('' is NaN): numpy parses it whole; a bad cell is then found for the message."""
    try:
        return np.array([cell or "nan" for cell in cells], dtype=np.float64)
    except ValueError:
        pass
    for i, cell in enumerate(cells):
        try:
            float(cell or "nan")
        except ValueError as exc:
            raise DataError(f"{str(path)!r} line {i + 2} column {column!r} is {cell!r}; need a number") from exc
    raise AssertionError("unreachable: numpy refused a column every cell of which parses")


def read_hwgptbench_csv(path: str | Path, *, scale: str = "?") -> HwGptBenchTable:
    """Parse one ``hwgpt_<scale>.csv.gz`` (or plain .csv) file."""
    path = Path(path)
    raw = path.read_bytes()
    rows = list(csv.reader(io.StringIO((gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw).decode("utf-8"))))
    header, body = rows[0], rows[1:]
    missing = [c for c in _ARCH_COLUMNS if c not in header]
    if missing:
        raise DataError(f"{str(path)!r} lacks column(s) {', '.join(missing)}")
    short = next((i for i, r in enumerate(body) if len(r) != len(header)), None)
    if short is not None:
        raise DataError(f"{str(path)!r} line {short + 2} has {len(body[short])} cells; the header has {len(header)}")
    at = {c: header.index(c) for c in _ARCH_COLUMNS}
    columns = dict(zip(header, zip(*body, strict=True), strict=True)) if body else {c: () for c in header}
    ints = {c: np.array([int(r[at[c]]) for r in body], dtype=np.int64) for c in ("arch_id", "embed_dim", "n_layer")}
    layers = ints["n_layer"]
    return HwGptBenchTable(
        scale=scale,
        arch_id=ints["arch_id"],
        embed_dim=ints["embed_dim"],
        n_layer=layers,
        n_head=tuple(_per_layer(path, i + 2, "n_head", r[at["n_head"]], int(layers[i])) for i, r in enumerate(body)),
        mlp_ratio=tuple(
            _per_layer(path, i + 2, "mlp_ratio", r[at["mlp_ratio"]], int(layers[i])) for i, r in enumerate(body)
        ),
        bias=np.array([r[at["bias"]] == "1" for r in body]),
        metrics={c: _floats(path, c, columns[c]) for c in header if c not in _ARCH_COLUMNS},
    )


def load_hwgptbench(scale: str) -> HwGptBenchTable:
    """HW-GPT-Bench's table for GPT scale ``s``, ``m`` or ``l`` (through the registry)."""
    if scale not in HWGPT_SCALES:
        raise UnknownNameError("HW-GPT-Bench scale", scale, list(HWGPT_SCALES))
    return read_hwgptbench_csv(resolve("hwgptbench", f"hwgpt_{scale}.csv.gz"), scale=scale)
