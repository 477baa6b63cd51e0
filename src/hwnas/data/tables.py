"""Benchmark tables as small typed structures (numpy + the csv module; pandas is not a dependency).

Each loader validates what later code relies on and names the file, row and column of the first problem.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from hwnas.core.errors import DataError, UnknownNameError
from hwnas.data.registry import resolve
from hwnas.encodings.hat import HAT_FEATURE_NAMES

HAT_FEATURES = HAT_FEATURE_NAMES  # the 10 averaged features, in the CSV column order
HAT_TARGETS = ("latency_mean_encoder", "latency_mean_decoder", "latency_std_encoder", "latency_std_decoder")
HAT_DEVICES = {"raspberrypi": "wmt14ende_cpu_raspberrypi_all.csv", "xeon": "wmt14ende_cpu_xeon_all.csv",
               "titanxp": "wmt14ende_gpu_titanxp_all.csv"}  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class HatLatencyTable:
    """HAT's latency CSV: 10 averaged arch features per row and the measured latency (ms)."""

    path: Path
    features: np.ndarray  # [n, 10] float64, columns in HAT_FEATURES order
    latency_mean_encoder: np.ndarray  # [n]
    latency_mean_decoder: np.ndarray  # [n]
    latency_std_encoder: np.ndarray  # [n]
    latency_std_decoder: np.ndarray  # [n]

    @property
    def latency(self) -> np.ndarray:
        """HAT's predictor target: encoder + decoder mean latency (ms)."""
        total: np.ndarray = self.latency_mean_encoder + self.latency_mean_decoder
        return total

    def __len__(self) -> int:
        return int(self.features.shape[0])


def read_csv_rows(path: Path, required: tuple[str, ...]) -> tuple[list[str], list[list[str]]]:
    """Header and rows of a CSV table, refusing a missing file, a missing ``required`` column or ragged rows with a
    message naming the file; gzip or plain (shared by every table reader, the predictors' CSV reader included)."""
    if not path.is_file():
        raise DataError(f"table {str(path)!r} does not exist")
    raw = path.read_bytes()
    text = (gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw).decode("utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        raise DataError(f"table {str(path)!r} is empty")
    header = [h.strip() for h in rows[0]]
    missing = [c for c in required if c not in header]
    if missing:
        raise DataError(f"table {str(path)!r} lacks column(s) {', '.join(missing)}; it has: {', '.join(header)}")
    return header, rows[1:]


def float_column(path: Path, header: list[str], rows: list[list[str]], column: str, *, rule: str) -> np.ndarray:
    """Parse one column; ``rule`` is "finite", "nonnegative" or "positive" (NaN and text always fail)."""
    at = header.index(column)
    values = np.empty(len(rows))
    for i, row in enumerate(rows):
        cell = row[at] if at < len(row) else ""
        try:
            value = float(cell)
        except ValueError:
            value = math.nan
        ok = math.isfinite(value) and {"finite": True, "nonnegative": value >= 0, "positive": value > 0}[rule]
        if not ok:
            need = {"finite": "a finite number", "nonnegative": "a finite number >= 0", "positive": "a number > 0"}
            raise DataError(
                f"table {str(path)!r} row {i + 1} (line {i + 2}) column {column!r} is {cell!r}; need {need[rule]}"
            )
        values[i] = value
    return values


def load_hat_latency_csv(path: str | Path) -> HatLatencyTable:
    """Read a HAT latency CSV, rejecting missing columns, NaN and non-positive latency (row and column named)."""
    path = Path(path)
    header, rows = read_csv_rows(path, HAT_FEATURES + HAT_TARGETS)
    if not rows:
        raise DataError(f"table {str(path)!r} has a header but no rows")
    rules = {**dict.fromkeys(HAT_FEATURES, "finite"), **dict.fromkeys(HAT_TARGETS[:2], "positive")}
    cols = {c: float_column(path, header, rows, c, rule=r) for c, r in rules.items()}
    stds = {c: float_column(path, header, rows, c, rule="nonnegative") for c in HAT_TARGETS[2:]}
    return HatLatencyTable(
        path=path,
        features=np.stack([cols[c] for c in HAT_FEATURES], axis=1),
        latency_mean_encoder=cols["latency_mean_encoder"],
        latency_mean_decoder=cols["latency_mean_decoder"],
        latency_std_encoder=stds["latency_std_encoder"],
        latency_std_decoder=stds["latency_std_decoder"],
    )


def load_hat_latency(device: str) -> HatLatencyTable:
    """HAT's WMT'14 En-De latency table for ``raspberrypi``, ``xeon`` or ``titanxp`` (through the registry)."""
    if device not in HAT_DEVICES:
        raise UnknownNameError("HAT latency device", device, list(HAT_DEVICES))
    return load_hat_latency_csv(resolve("hat_latency", HAT_DEVICES[device]))


LLMPP_SEEDS = (123, 456, 789)
LLMPP_TASKS = ("wmt14ende", "wmt14enfr", "wmt19ende")
LLMPP_SPLITS = ("train", "test")


def load_llmpp_seedarchs(seed: int, task: str, split: str) -> list[dict[str, Any]]:
    """The LLM-PP seed-arch records of one split (10 train / 20 test), as parsed JSON objects."""
    if seed not in LLMPP_SEEDS:
        raise UnknownNameError("LLM-PP split seed", str(seed), [str(s) for s in LLMPP_SEEDS])
    if task not in LLMPP_TASKS:
        raise UnknownNameError("LLM-PP task", task, list(LLMPP_TASKS))
    if split not in LLMPP_SPLITS:
        raise UnknownNameError("LLM-PP split", split, list(LLMPP_SPLITS))
    path = resolve("llmpp_seedarchs", f"{seed}/{task}/{split}.jsonl")
    records = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataError(f"{str(path)!r} line {number} is not JSON ({exc.msg})") from exc
        if "scratch" not in record or "arch_info" not in record["scratch"]:
            raise DataError(f"{str(path)!r} line {number} lacks scratch.arch_info")
        records.append(record)
    return records


def load_nasflat_zcp() -> dict[tuple[int, ...], dict[str, float]]:
    """NASFLAT's 13 zero-cost proxies per FBNet arch, keyed by the arch's 22 op indices (as in help/fbnet/arch.pt)."""
    path = resolve("nasflat", "zc_fbnet.json")
    data = json.loads(path.read_text(encoding="utf-8"))
    return {tuple(int(op) for op in key.split("_")): dict(value) for key, value in data.items()}
