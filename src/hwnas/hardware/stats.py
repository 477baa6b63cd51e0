"""Summary statistics of repeated timings: HAT's trimmed mean and std, the median and the minimum, and which of
them a latency figure uses (the *estimator*).

HAT sorts an arch's timed runs and keeps ``sorted[int(0.1 n) : -max(1, int(0.1 n))]``: the fastest 10% (rounded
down) and the slowest 10% (rounded down, but at least one run) are dropped, whatever the run count. So with 2-9
runs HAT still drops the slowest run; with one run hwnas keeps it (HAT's slice would be empty).

Which figure stands for an arch's latency is a measurement setting (``MeasureSettings.estimator``):

- ``min`` (default): the fastest run. Interference (another process, an interrupt, a page fault) only ever adds
  time, so the minimum is the figure least moved by a busy machine; the same archs measured twice on the shared
  development VM differed by a median 1.6% with it and 2.9% with the median (README, measurement repeatability).
- ``median``: robust to the odd slow run, but moves with sustained load.
- ``trimmed-mean``: HAT's figure (its datasets' ``latency_mean_*`` columns), kept for comparison with HAT.

Every row records all three, so a dataset can be re-read under another estimator.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from hwnas.core.errors import ConfigError

TRIM_FRACTION = 0.1  # HAT: the fastest and slowest 10% of the runs are dropped before the mean and std
ESTIMATORS = ("min", "median", "trimmed-mean")
DEFAULT_ESTIMATOR = "min"
LEGACY_ESTIMATOR = "trimmed-mean"  # the figure of datasets whose sidecar names no estimator (collected before)
TRIM_RULE = "hat"  # recorded in dataset sidecars: trimmed means follow HAT's slice (the slowest run always dropped)


def check_estimator(name: str) -> str:
    if name not in ESTIMATORS:
        raise ConfigError(f"latency estimator {name!r} is unknown; allowed: {', '.join(ESTIMATORS)}")
    return name


@dataclass(frozen=True)
class TimingStats:
    """Milliseconds. ``mean`` / ``std`` over HAT's trimmed runs, ``median`` / ``min`` over all ``runs``."""

    mean: float
    median: float
    std: float
    min: float
    runs: int

    def to_dict(self) -> dict[str, float | int]:
        return asdict(self)

    def estimate(self, estimator: str) -> float:
        """The figure of one estimator (see module doc)."""
        values = {"min": self.min, "median": self.median, "trimmed-mean": self.mean}
        return values[check_estimator(estimator)]


def trimmed(values: Sequence[float], fraction: float = TRIM_FRACTION) -> np.ndarray:
    """The sorted values without HAT's dropped runs: ``int(n * fraction)`` from the fast end, ``max(1, that)`` from
    the slow end; a single value is kept (never empty)."""
    ordered = np.sort(np.asarray(values, dtype=np.float64))
    if len(ordered) < 2:
        return ordered
    cut = int(len(ordered) * fraction)
    return ordered[cut : len(ordered) - max(1, cut)]


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
