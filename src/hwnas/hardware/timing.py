"""Wall-clock timing of repeated calls, and `Measurement`: the stats of one arch with their provenance.

Latency is wall-clock time of the real work (DESIGN: not summed profiler self-times): untimed warm-up calls, then
each timed call between two device synchronisations, so queued GPU kernels are inside the interval they belong to.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

from hwnas.hardware.device import synchronize
from hwnas.hardware.meters import EnergyMeter
from hwnas.hardware.settings import MeasureSettings
from hwnas.hardware.stats import TimingStats, summarize_times


@dataclass(frozen=True)
class TimedPhase:
    stats: TimingStats  # milliseconds
    energy_mj: float | None  # per timed call (None where the device has no energy counter)


def time_phase(
    fn: Callable[[], object], *, device: torch.device, warmup: int, runs: int, energy: EnergyMeter
) -> TimedPhase:
    """Call ``fn`` ``warmup`` times untimed, then ``runs`` times timed (ms), reading energy around the timed ones."""
    for _ in range(warmup):
        fn()
    synchronize(device)
    times: list[float] = []
    start_energy = energy.read_mj()
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        synchronize(device)
        times.append((time.perf_counter() - start) * 1e3)
    end_energy = energy.read_mj()
    per_run = None if start_energy is None or end_energy is None else (end_energy - start_energy) / runs
    return TimedPhase(summarize_times(times), per_run)


@dataclass(frozen=True, kw_only=True)
class Measurement:
    """One arch measured under one protocol. ``phases`` are ``encoder`` + ``decoder`` (hat-mt) or ``forward``
    (lm-forward); ``latency_ms`` is the sum over them of the settings' estimator (the minimum by default; HAT's
    predictor target was the trimmed mean, still in every phase's ``mean``)."""

    arch_id: str
    phases: dict[str, TimingStats]
    peak_memory_mb: float | None
    energy_mj: float | None  # per inference (sum over phases), None when not measurable
    load_1m: float | None  # machine load average when measured (CPU noise depends on it)
    contention: float | None  # share of the CPU other processes used during the timed runs (None: unknown)
    settings: MeasureSettings
    device_info: dict[str, Any]

    @property
    def latency_ms(self) -> float:
        return self.latency_by(self.settings.estimator)

    def latency_by(self, estimator: str) -> float:
        """Total latency (ms) under any estimator (min, median, trimmed-mean)."""
        return float(sum(s.estimate(estimator) for s in self.phases.values()))

    def to_dict(self) -> dict[str, Any]:
        return {
            "arch_id": self.arch_id,
            "latency_ms": self.latency_ms,
            "estimator": self.settings.estimator,
            "phases": {name: stats.to_dict() for name, stats in self.phases.items()},
            "peak_memory_mb": self.peak_memory_mb,
            "energy_mj": self.energy_mj,
            "load_1m": self.load_1m,
            "contention": self.contention,
            "settings": self.settings.to_dict(),
            "device_info": dict(self.device_info),
        }


def sum_energy(phases: list[TimedPhase]) -> float | None:
    values = [p.energy_mj for p in phases]
    return None if any(v is None for v in values) else float(sum(v for v in values if v is not None))
