"""Whether latency data can be trusted: a verdict on a latency dataset and the predictor fitted on it, so a run whose
measurements were noise says so instead of answering its questions with them.

A fresh-clone quickstart on a busy 2-core machine (load average 5.5-6.2 in every row) produced a predictor with a
held-out MAPE of 71% and Kendall tau 0.27, measured the largest model fastest, and reported its goal checks as if
nothing were wrong. The signs checked here, each reported as a plain sentence:

- the predictor's held-out MAPE is above :data:`MAX_HELDOUT_MAPE` (hwnas's predictors reach 3-5% on its quiet CPU
  dataset, HAT's MLP 5-7% on HAT's files; the README's predictor table);
- measured latency contradicts analytic cost: its Spearman correlation with the archs' FLOPs is below
  :data:`MIN_COST_SPEARMAN` (0.94 on the shipped CPU dataset), or the largest arch of the space was measured faster
  than the dataset's median arch;
- the machine was busy while the rows were timed: the median row's contention (other processes' share of the CPU;
  for rows that predate it, the load average less the measuring threads, per core) is above the default
  ``max_load`` of :class:`~hwnas.hardware.busy.BusyPolicy`.

``reliable`` is None when there is nothing to judge (a fitted predictor given without its data).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from hwnas.core.errors import DataError
from hwnas.core.space import SearchSpace
from hwnas.hardware.busy import DEFAULT_MAX_LOAD

MAX_HELDOUT_MAPE = 0.20
MIN_COST_SPEARMAN = 0.5
MIN_ROWS_FOR_ORDER = 6  # fewer rows: no rank check (a correlation of 3 points says nothing)


@dataclass(frozen=True)
class Reliability:
    reliable: bool | None
    reasons: tuple[str, ...] = ()
    figures: dict[str, float | None] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"reliable": self.reliable, "reasons": list(self.reasons), "figures": dict(self.figures)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Reliability:
        return cls(data.get("reliable"), tuple(data.get("reasons") or ()), dict(data.get("figures") or {}))

    def sentence(self) -> str:
        """One plain line for the console and the report."""
        if self.reliable is None:
            return "latency data: reliability not assessed (no measured rows or held-out check at hand)"
        if self.reliable:
            return "latency data: no sign of noise (held-out error, order vs FLOPs and machine load all within limits)"
        return (
            f"latency data UNRELIABLE: {'; '.join(self.reasons)}. Goal checks that depend on latency are not "
            "assessable; measure again on a quiet machine (e.g. `--from latency`)"
        )


def _spearman(a: np.ndarray, b: np.ndarray) -> float | None:
    from hwnas.predictors.metrics import spearman

    value = float(spearman(a, b))
    return None if np.isnan(value) else value


def assess(
    *,
    latency_ms: Sequence[float] | np.ndarray,
    flops: Sequence[float] | np.ndarray,
    busy_share: Sequence[float] | np.ndarray = (),
    heldout_mape: float | None = None,
    largest_ms: float | None = None,
) -> Reliability:
    """The verdict from a dataset's latencies, their archs' FLOPs, each row's busy share (NaN: unknown), the
    predictor's held-out MAPE (None: in-sample or not fitted here) and the largest arch's measured latency."""
    latency, cost = np.asarray(latency_ms, dtype=np.float64), np.asarray(flops, dtype=np.float64)
    shares = np.asarray(busy_share, dtype=np.float64)
    shares = shares[~np.isnan(shares)]
    figures: dict[str, float | None] = {"heldout_mape": heldout_mape, "largest_ms": largest_ms}
    figures["median_ms"] = float(np.median(latency)) if latency.size else None
    figures["spearman_latency_flops"] = _spearman(latency, cost) if latency.size >= MIN_ROWS_FOR_ORDER else None
    figures["median_busy_share"] = float(np.median(shares)) if shares.size else None
    reasons = []
    if heldout_mape is not None and heldout_mape > MAX_HELDOUT_MAPE:
        reasons.append(f"the predictor's held-out MAPE is {heldout_mape:.0%} (limit {MAX_HELDOUT_MAPE:.0%})")
    rho = figures["spearman_latency_flops"]
    if rho is not None and rho < MIN_COST_SPEARMAN:
        reasons.append(f"measured latency ranks the archs unlike their FLOPs (Spearman {rho:.2f}, at least "
                       f"{MIN_COST_SPEARMAN:.2f} expected)")  # fmt: skip
    median = figures["median_ms"]
    if largest_ms is not None and median is not None and largest_ms < median:
        reasons.append(f"the largest arch was measured faster ({largest_ms:.2f} ms) than the median arch "
                       f"({median:.2f} ms)")  # fmt: skip
    share = figures["median_busy_share"]
    if share is not None and share > DEFAULT_MAX_LOAD:
        reasons.append(f"other processes used {share:.0%} of the CPU while the median row was timed (limit "
                       f"{DEFAULT_MAX_LOAD:.0%})")  # fmt: skip
    judged = latency.size > 0 or heldout_mape is not None
    return Reliability(reliable=(not reasons) if judged else None, reasons=tuple(reasons), figures=figures)


def row_busy_shares(rows: Sequence[dict[str, str]], *, cores: int, threads: int) -> np.ndarray:
    """Each row's busy share: its ``contention``, else its load average less the measuring threads, per core."""
    shares = []
    for row in rows:
        if row.get("contention"):
            shares.append(float(row["contention"]))
        elif row.get("load_1m"):
            shares.append(max(0.0, float(row["load_1m"]) - threads) / max(1, cores))
        else:
            shares.append(np.nan)
    return np.asarray(shares, dtype=np.float64)


def assess_dataset(
    path: str | Path, space: SearchSpace, *, heldout_mape: float | None = None, largest_ms: float | None = None
) -> Reliability:
    """:func:`assess` on a collected latency CSV (a file without archs, e.g. HAT's own, is judged on the
    held-out MAPE alone)."""
    from hwnas.hardware.dataset_files import read_latency_dataset
    from hwnas.metrics import analytic_metrics

    try:
        dataset = read_latency_dataset(path)
    except (DataError, KeyError):
        return assess(latency_ms=[], flops=[], heldout_mape=heldout_mape, largest_ms=largest_ms)
    provenance = dataset.provenance or {}
    cores = int((provenance.get("device_info") or {}).get("cpu_count") or 1)
    threads = int((provenance.get("settings") or {}).get("threads") or 1)
    flops = [float(analytic_metrics(arch, space)["flops"]) for arch in dataset.archs]
    return assess(
        latency_ms=dataset.latency_ms,
        flops=flops,
        busy_share=row_busy_shares(dataset.rows, cores=cores, threads=threads),
        heldout_mape=heldout_mape,
        largest_ms=largest_ms,
    )
