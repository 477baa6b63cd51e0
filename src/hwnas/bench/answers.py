"""How one batch of archs is answered for one (metric, device): the measured rows exactly, the surrogate the rest,
in the three modes. Kept apart from :class:`hwnas.bench.benchmark.Benchmark` (which finds the data and the
surrogate) so the rules of an answer read in one place:

- a row of the data (the table, or a user device's CSV) with a finite value is answered with that value and
  flagged ``exact``; its interval and draws use the row's own repeat std (a normal; where the data records no
  spread, e.g. perplexity or a single run, the interval is the value itself and a draw returns it);
- every other arch gets the surrogate: its mean, its calibrated interval, a draw from its predictive distribution;
- ``sample`` uses ONE uniform number per arch from ``numpy.random.default_rng(seed)`` in query order (normal draws
  by the inverse CDF), so the same seed gives the same values, and a value depends on the arch's position only;
  with one seed per arch, each arch's number is the first of its own seed's stream (independent of the batch).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from hwnas.bench.archs import ArchArrays, RowIndex
from hwnas.bench.surrogate import Surrogate


@dataclass(frozen=True)
class Source:
    """The measured values of one (metric, device): its archs, their values [N] (NaN: not measured), the
    repeats' std [N] (None where the data has no spread) and the SHA-256 of the file they come from."""

    rows: ArchArrays
    index: RowIndex
    values: np.ndarray
    std: np.ndarray | None
    sha256: str

    def usable(self) -> np.ndarray:
        """[N] rows a surrogate may fit: finite, positive values."""
        return np.asarray(np.isfinite(self.values) & (self.values > 0))


@dataclass(frozen=True)
class Answer:
    values: np.ndarray  # [n]
    low: np.ndarray | None  # [n]
    high: np.ndarray | None  # [n]
    exact: np.ndarray  # [n] bool


def _normal_quantile(p: np.ndarray | float) -> np.ndarray:
    from scipy.special import ndtri

    return np.asarray(ndtri(p), dtype=np.float64)


def _uniforms(seed: int | tuple[int, ...], n: int) -> np.ndarray:
    """[n] U(0, 1): from one seed in query order, or the first number of each arch's own seed."""
    if isinstance(seed, tuple):
        return np.array([np.random.default_rng(s).random() for s in seed], dtype=np.float64)
    return np.random.default_rng(seed).random(n)


def answer(
    source: Source,
    archs: ArchArrays,
    surrogate: Callable[[ArchArrays], tuple[Surrogate, np.ndarray]],
    *,
    mode: str,
    seed: int | tuple[int, ...],
    level: float,
) -> Answer:
    """Answer ``archs`` from ``source`` where they are its rows, else from ``surrogate(rest)`` -> (model, design)."""
    n = len(archs)
    rows = source.index.find(archs)  # [n], -1: not a row
    found = rows >= 0
    exact = np.zeros(n, dtype=bool)
    exact[found] = np.isfinite(source.values[rows[found]])
    mean = np.full(n, np.nan)
    mean[exact] = source.values[rows[exact]]
    spread = np.zeros(n)
    if source.std is not None:
        spread[exact] = np.nan_to_num(source.std[rows[exact]], nan=0.0)
    rest = ~exact
    model, design = surrogate(archs.take(np.flatnonzero(rest))) if rest.any() else (None, None)
    if mode == "sample":
        uniform = _uniforms(seed, n)  # [n], one per arch
        values = np.maximum(mean + spread * _normal_quantile(uniform), 0.0)
        if model is not None and design is not None:
            values[rest] = model.draw(design, uniform[rest])
        return Answer(values, None, None, exact)
    if model is None or design is None:
        low, high = _exact_interval(mean, spread, mode, level)
        return Answer(mean, low, high, exact)
    if mode == "mean":
        mean[rest] = model.mean(design)
        return Answer(mean, None, None, exact)
    low, high = _exact_interval(mean, spread, mode, level)
    assert low is not None and high is not None
    low[rest], mean[rest], high[rest] = model.interval(design, level)
    return Answer(mean, low, high, exact)


def _exact_interval(
    mean: np.ndarray, spread: np.ndarray, mode: str, level: float
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """The rows' own interval: mean +- z * std (the central ``level`` of a normal), None unless mode interval."""
    if mode != "interval":
        return None, None
    half = float(_normal_quantile((1 + level) / 2)) * spread
    return np.maximum(mean - half, 0.0), mean + half
