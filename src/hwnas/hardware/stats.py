"""Summary statistics of repeated timings, as HAT reports them: the mean and std of the runs left after dropping
the fastest and slowest 10% (HAT sorts its latencies and keeps ``[10%, 90%)``), plus the median of all runs.

The trimmed mean is robust to the odd run hit by a page fault or a neighbour's burst of work; the median is the
figure to compare between two measurement sessions (repeatability)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

TRIM_FRACTION = 0.1  # dropped from each end before the mean and std (HAT: 10% / 90%)


@dataclass(frozen=True)
class TimingStats:
    """Milliseconds. ``mean`` / ``std`` over the trimmed runs, ``median`` / ``min`` over all ``runs``."""

    mean: float
    median: float
    std: float
    min: float
    runs: int

    def to_dict(self) -> dict[str, float | int]:
        return asdict(self)


def trimmed(values: Sequence[float], fraction: float = TRIM_FRACTION) -> np.ndarray:
    """The sorted values without the lowest and highest ``fraction`` (never empty: too few runs keep all)."""
    ordered = np.sort(np.asarray(values, dtype=np.float64))
    cut = int(len(ordered) * fraction)
    return ordered[cut : len(ordered) - cut] if cut > 0 else ordered


def summarize_times(times_ms: Sequence[float]) -> TimingStats:
    """Stats of per-run times in milliseconds (at least one run)."""
    if len(times_ms) == 0:
        raise ValueError("no timed runs to summarise")
    kept = trimmed(times_ms)
    return TimingStats(
        mean=float(kept.mean()),
        median=float(np.median(times_ms)),
        std=float(kept.std()),
        min=float(np.min(times_ms)),
        runs=len(times_ms),
    )
