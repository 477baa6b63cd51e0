"""Held-out quality of a surrogate, the way the benchmark reports it: fit on a seeded share of the measured rows,
score the rest (MAPE, Kendall's tau, coverage of the ``level`` interval). ``HoldoutSplit`` also hands out the rows'
full per-layer feature matrix, so a baseline (LightGBM...) can be fitted on exactly the same rows and columns.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from hwnas.bench.benchmark import Benchmark, settings_for
from hwnas.bench.features import BLOCKS, features, penalised_columns
from hwnas.bench.surrogate import Surrogate, fit_surrogate


@dataclass(frozen=True)
class HoldoutSplit:
    """Rows of one (metric, device)'s data: ``train`` / ``test`` index its usable rows; ``y`` their values."""

    train: np.ndarray  # [n_train] row numbers
    test: np.ndarray  # [n_test] row numbers
    y: np.ndarray  # [N] every row's value (NaN: not measured)
    design: np.ndarray  # [N, p] the surrogate's features
    full: np.ndarray  # [N, P] every feature block (for baselines)
    penalised: np.ndarray  # [p]


@dataclass(frozen=True)
class HoldoutScore:
    scale: str
    metric: str
    device: str | None
    train_rows: int
    test_rows: int
    mape: float  # percent
    kendall: float
    coverage: float  # share of test values inside the central `level` interval
    level: float
    fit_seconds: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def split(
    bench: Benchmark, metric: str, device: str | None, *, test_fraction: float = 0.25, seed: int = 0
) -> HoldoutSplit:
    """A seeded split of the usable rows (finite, positive values) of ``metric`` on ``device``."""
    source = bench.source(metric, device)
    usable = np.flatnonzero(source.usable())
    shuffled = np.random.default_rng(seed).permutation(usable)
    cut = round(len(shuffled) * (1 - test_fraction))
    settings = settings_for(metric, user_device=device in bench.user_devices)
    return HoldoutSplit(
        train=np.sort(shuffled[:cut]),
        test=np.sort(shuffled[cut:]),
        y=source.values,
        design=features(source.rows, bench.grid, settings.blocks),
        full=features(source.rows, bench.grid, BLOCKS),
        penalised=penalised_columns(bench.grid, settings.blocks, settings.shrunk),
    )


def fit_train(bench: Benchmark, metric: str, device: str | None, rows: HoldoutSplit) -> Surrogate:
    """The surrogate ``bench`` would fit, on the training rows only (nothing is cached)."""
    source = bench.source(metric, device)
    std = None if source.std is None else source.std[rows.train]
    settings = settings_for(metric, user_device=device in bench.user_devices)
    model, _ = fit_surrogate(rows.design[rows.train], rows.y[rows.train], std, settings, penalised=rows.penalised)
    return model


def score(
    bench: Benchmark, metric: str, device: str | None, *, test_fraction: float = 0.25, seed: int = 0, level: float = 0.8
) -> HoldoutScore:
    from scipy.stats import kendalltau

    rows = split(bench, metric, device, test_fraction=test_fraction, seed=seed)
    started = time.perf_counter()
    model = fit_train(bench, metric, device, rows)
    seconds = time.perf_counter() - started
    low, mean, high = model.interval(rows.design[rows.test], level)
    truth = rows.y[rows.test]
    return HoldoutScore(
        scale=bench.scale,
        metric=metric,
        device=device,
        train_rows=int(rows.train.size),
        test_rows=int(rows.test.size),
        mape=float(np.mean(np.abs(mean / truth - 1)) * 100),
        kendall=float(kendalltau(truth, mean).statistic),
        coverage=float(np.mean((truth >= low) & (truth <= high))),
        level=level,
        fit_seconds=seconds,
    )
