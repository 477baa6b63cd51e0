"""Metrics on known values (ties included), the parity plot, and the noise-floor estimators."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from hwnas.core.errors import DataError
from hwnas.predictors import kendall, mape, parity_plot, rmse, score, spearman
from hwnas.predictors.noise import closest_pairs, near_pair_floor, run_std_floor


def test_known_values() -> None:
    assert mape([100, 200], [110, 180]) == pytest.approx(0.1)
    assert rmse([100, 200], [110, 180]) == pytest.approx(math.sqrt((100 + 400) / 2))
    assert spearman([1, 2, 3, 4], [10, 20, 30, 45]) == pytest.approx(1.0)
    assert kendall([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)


def test_kendall_is_tau_b_with_ties() -> None:
    # 6 pairs: 5 concordant, 1 tied in the prediction only -> tau-b = 5 / sqrt(6 * 5); tau-a would be 5/6
    assert kendall([1, 2, 3, 4], [1, 1, 2, 3]) == pytest.approx(5 / math.sqrt(30))
    # ties on both sides: true (1,1,2,3) vs pred (1,2,2,3): C=4, D=0, ties true 1, ties pred 1 -> 4/5
    assert kendall([1, 1, 2, 3], [1, 2, 2, 3]) == pytest.approx(4 / 5)


def test_score_keys_and_checks() -> None:
    assert set(score([1.0, 2.0, 3.0], [1.0, 2.5, 2.0])) == {"mape", "rmse", "spearman", "kendall", "n"}
    with pytest.raises(DataError, match="as many"):
        score([1.0, 2.0], [1.0])
    with pytest.raises(DataError, match="> 0"):
        mape([0.0, 1.0], [1.0, 1.0])


def test_parity_plot_writes_a_png(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    true = rng.uniform(50, 300, 100)
    path = parity_plot(true, true * rng.normal(1, 0.05, 100), tmp_path / "plots" / "parity.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_closest_pairs_and_floor() -> None:
    features = np.array([[0.0, 0.0], [0.0, 0.05], [1.0, 1.0], [1.0, 1.2]])
    i, j, distance = closest_pairs(features, pairs=2)
    assert list(zip(i, j, strict=True)) == [(0, 1), (2, 3)] and distance.tolist() == pytest.approx([0.05, 0.2])
    latency = np.array([100.0, 110.0, 200.0, 200.0])
    floor = near_pair_floor(features, latency, pairs=2, reference=np.array([100.0, 110.0, 200.0, 200.0]))
    assert floor["mape_floor"] == pytest.approx((10 / 105 + 0) / 2 / math.sqrt(2))
    assert floor["mape_floor_corrected"] == pytest.approx(0.0)  # the reference explains the difference
    assert run_std_floor(np.array([100.0, 200.0]), np.array([1.0, 4.0]))["relative_std_median"] == pytest.approx(0.015)


def test_rank_correlations_of_a_constant_side_are_nan_without_a_warning() -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # scipy warns on constant input; the metrics must not get that far
        for constant in ([2.0, 2.0, 2.0], [5.0]):
            assert math.isnan(spearman([1.0, 2.0, 3.0][: len(constant)], constant))
            assert math.isnan(kendall(constant, [1.0, 2.0, 3.0][: len(constant)]))
    assert kendall([1.0, 2.0, 3.0], [1.0, 3.0, 2.0]) == pytest.approx(1 / 3)
