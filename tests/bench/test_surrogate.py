"""The surrogate on synthetic additive data with heteroscedastic noise (the shape of HW-GPT-Bench's latencies): an
accurate mean, calibrated intervals that widen with the level, draws from the same distribution, and a cache that
round-trips to identical predictions without pickle and misses on a changed key. No data needed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hwnas.bench.store import CacheKey, SurrogateStore
from hwnas.bench.surrogate import FitSettings, Surrogate, fit_surrogate
from hwnas.core.errors import DataError

SETTINGS = FitSettings(blocks=("counts",), loss="l1")


def _data(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-block counts of 4 block kinds in 2 groups; value = group base + sum of block costs, times noise whose
    relative std differs between the groups (1% vs 5%)."""
    rng = np.random.default_rng(seed)
    group = rng.integers(0, 2, n)  # [n]
    blocks = rng.multinomial(10, [0.25] * 4, size=n).astype(float)  # [n, 4]
    design = np.zeros((n, 2, 5))
    design[np.arange(n), group, 0] = 1.0
    design[np.arange(n), group, 1:] = blocks
    cost = np.array([[5.0, 1.0, 2.0, 3.0, 4.0], [9.0, 2.0, 3.0, 5.0, 8.0]])  # [group, 1 + kinds]
    mean = (design * cost[None]).sum(axis=(1, 2))  # [n]
    noise = np.where(group == 0, 0.01, 0.05)
    value = mean * np.exp(noise * rng.standard_normal(n))
    return design.reshape(n, -1), value, noise * value


@pytest.fixture(scope="module")
def fitted() -> tuple[Surrogate, dict[str, float]]:
    design, value, std = _data(1500, seed=0)
    model, report = fit_surrogate(design, value, std, SETTINGS)
    return model, report.to_dict()


def test_the_mean_is_accurate_and_ranks_well(fitted: tuple[Surrogate, dict[str, float]]) -> None:
    model, report = fitted
    design, value, _ = _data(1000, seed=1)
    error = np.abs(model.mean(design) / value - 1).mean() * 100
    assert error < 3.0 and report["cv_mape"] < 3.0 and report["cv_kendall"] > 0.8
    assert report["noise_model"] is True


def test_intervals_cover_unseen_values_at_the_level_and_widen_with_it(
    fitted: tuple[Surrogate, dict[str, float]],
) -> None:
    model, _ = fitted
    design, value, _ = _data(3000, seed=2)
    widths = []
    for level in (0.5, 0.8, 0.95):
        low, mean, high = model.interval(design, level)
        covered = float(((value >= low) & (value <= high)).mean())
        assert abs(covered - level) < 0.04, (level, covered)
        assert np.all(low <= mean) and np.all(mean <= high)
        widths.append(high - low)
    assert np.all(widths[0] < widths[1]) and np.all(widths[1] < widths[2])
    noisy = design.reshape(-1, 2, 5)[:, 1, 0] == 1  # the 5%-noise group gets the wider intervals
    relative = widths[1] / model.mean(design)
    assert relative[noisy].mean() > 2 * relative[~noisy].mean()


def test_draws_follow_the_interval_and_depend_only_on_the_uniforms(fitted: tuple[Surrogate, dict[str, float]]) -> None:
    model, _ = fitted
    design, _, _ = _data(4000, seed=3)
    uniform = np.random.default_rng(0).random(4000)
    draws = model.draw(design, uniform)
    assert np.array_equal(draws, model.draw(design, uniform))
    low, _, high = model.interval(design, 0.8)
    assert abs(float(((draws >= low) & (draws <= high)).mean()) - 0.8) < 0.03


def _key(sha: str = "a" * 64) -> CacheKey:
    return CacheKey("gpt-s", "latency", "h100", sha, 1, SETTINGS)


def test_the_cache_round_trips_without_pickle_and_misses_on_a_changed_key(
    tmp_path: Path, fitted: tuple[Surrogate, dict[str, float]]
) -> None:
    model, _ = fitted
    store = SurrogateStore(tmp_path)
    design, value, std = _data(200, seed=4)
    _, report = fit_surrogate(design, value, std, SETTINGS)
    path = store.save(_key(), model, report)
    with np.load(path, allow_pickle=False) as archive:  # plain arrays only
        assert sorted(archive.files) == sorted(Surrogate.ARRAYS)
    loaded = store.load(_key())
    assert loaded is not None and loaded.report["rows"] == 200
    assert np.array_equal(loaded.surrogate.mean(design), model.mean(design))
    assert np.array_equal(loaded.surrogate.interval(design, 0.8)[0], model.interval(design, 0.8)[0])
    assert store.load(_key("b" * 64)) is None  # another table: refit
    path.write_bytes(b"not a zip")
    assert store.load(_key()) is None  # a damaged file is a miss, not a crash


def test_too_few_or_non_positive_values_are_refused() -> None:
    design, value, _ = _data(8, seed=5)
    with pytest.raises(DataError, match="at least 10 finite positive values"):
        fit_surrogate(design, value, None, SETTINGS)
    design, value, _ = _data(50, seed=5)
    value[3] = 0.0
    with pytest.raises(DataError, match="finite positive"):
        fit_surrogate(design, value, None, SETTINGS)
