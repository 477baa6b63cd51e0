"""Timing statistics (HAT's trimmed mean) and device description."""

from __future__ import annotations

import math

import pytest
import torch

from hwnas.core.errors import ConfigError
from hwnas.hardware.device import (
    describe_device,
    device_identity,
    device_slug,
    resolve_device,
    resolve_dtype,
    short_name,
)
from hwnas.hardware.settings import MeasureSettings
from hwnas.hardware.stats import summarize_times, trimmed


def test_trimmed_mean_drops_the_fastest_and_slowest_tenth() -> None:
    times = [10.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 1000.0]  # one outlier at each end after sorting
    stats = summarize_times(times)
    kept = [2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 10.0]
    assert stats.mean == pytest.approx(sum(kept) / 8)
    assert stats.std == pytest.approx(math.sqrt(sum((k - sum(kept) / 8) ** 2 for k in kept) / 8))
    assert stats.median == pytest.approx(5.5)  # of all ten runs
    assert stats.min == 1.0 and stats.runs == 10


@pytest.mark.parametrize(
    ("runs", "fast_dropped", "slow_dropped"),
    [(2, 0, 1), (4, 0, 1), (9, 0, 1), (10, 1, 1), (19, 1, 1), (20, 2, 2), (30, 3, 3), (300, 30, 30)],
)
def test_trimming_drops_what_hat_drops_at_any_run_count(runs: int, fast_dropped: int, slow_dropped: int) -> None:
    """HAT keeps sorted[int(0.1 n) : -max(1, int(0.1 n))]: below 10 runs it still drops the slowest one."""
    times = [float(v) for v in range(runs, 0, -1)]  # n..1, unsorted on purpose
    assert list(trimmed(times)) == [float(v) for v in range(1 + fast_dropped, runs + 1 - slow_dropped)]


def test_one_run_is_kept_and_no_runs_fail() -> None:
    assert list(trimmed([3.0])) == [3.0]
    assert summarize_times([4.0]).std == 0.0 and summarize_times([4.0]).mean == 4.0
    with pytest.raises(ValueError):
        summarize_times([])


def test_estimators_pick_their_statistic_and_unknown_ones_are_refused() -> None:
    stats = summarize_times([5.0, 1.0, 3.0, 100.0])  # trimmed: the slowest (100) dropped -> mean of 1, 3, 5
    assert (stats.estimate("min"), stats.estimate("median"), stats.estimate("trimmed-mean")) == (1.0, 4.0, 3.0)
    with pytest.raises(ConfigError, match="allowed: min, median, trimmed-mean"):
        stats.estimate("mode")
    with pytest.raises(ConfigError, match="estimator"):
        MeasureSettings(protocol="lm-forward", seq_len=8, estimator="mean")


def test_short_names_are_file_safe() -> None:
    assert short_name("AMD EPYC") == "amd-epyc"
    assert short_name("Intel(R) Xeon(R) CPU E5-2640 v4 @ 2.40GHz") == "intel-xeon-e5-2640-v4"
    assert short_name("NVIDIA H100 80GB HBM3") == "h100-80gb-hbm3"


def test_device_description_carries_provenance() -> None:
    info = describe_device(torch.device("cpu"), dtype="fp32", threads=1)
    for key in ("cpu_model", "torch", "dtype", "threads", "date", "gpu_name", "platform"):
        assert key in info
    assert info["torch"] == torch.__version__ and info["threads"] == 1
    assert device_identity(info) == {k: info[k] for k in ("device", "cpu_model", "gpu_name", "torch")}
    assert device_slug(info).startswith("cpu_")


def test_bad_devices_and_settings_are_refused_with_the_allowed_values() -> None:
    with pytest.raises(ConfigError, match="allowed: cpu, cuda"):
        resolve_device("tpu")
    with pytest.raises(ConfigError, match="fp32"):
        resolve_dtype("int8", torch.device("cpu"))
    with pytest.raises(ConfigError, match="'runs'"):
        MeasureSettings(protocol="hat-mt", runs=0, src_len=3, tgt_len=3, beam=5)
    with pytest.raises(ConfigError, match="'seq_len'"):
        MeasureSettings(protocol="lm-forward")
    with pytest.raises(ConfigError, match="allowed: hat-mt, lm-forward"):
        MeasureSettings(protocol="profiler")


def test_settings_round_trip_and_difference() -> None:
    a = MeasureSettings(protocol="lm-forward", seq_len=8, threads=1)
    assert a.estimator == "min" and MeasureSettings.from_dict(a.to_dict()) == a
    legacy = {k: v for k, v in a.to_dict().items() if k != "estimator"}  # written before estimators existed
    assert MeasureSettings.from_dict(legacy).estimator == "trimmed-mean"
    assert a.first_difference(a.with_threads(2)) == ("threads", 1, 2)
    with pytest.raises(ConfigError, match="unknown measure setting"):
        MeasureSettings.from_dict({**a.to_dict(), "beams": 4})
