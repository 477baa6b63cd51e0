"""Measuring on a busy machine: the load probe (/proc/stat read back), and the guard's wait / refuse / ignore
policy with a scripted probe and a fake clock (never the real machine's load)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from hwnas.core.errors import ConfigError, MachineBusyError
from hwnas.hardware import busy
from hwnas.hardware.busy import MAX_REMEASURES, BusyPolicy, LoadGuard
from hwnas.hardware.load import CpuCounters, MachineLoad, ProcStatProbe, between, others_share

STAT = "cpu  {user} 0 {system} 5000 10 0 0 {steal} 0 0\ncpu0 1 0 1 1 0 0 0 0 0 0\ncpu1 1 0 1 1 0 0 0 0 0 0\n"


CHECK_WINDOW_S = 1.0


@pytest.fixture(autouse=True)
def _looks_take_a_second(monkeypatch: pytest.MonkeyPatch) -> None:
    """The guard's look before measuring lasts CHECK_WINDOW_S on the fake clock (tests/conftest.py makes it 0)."""
    monkeypatch.setattr(busy, "CHECK_WINDOW_S", CHECK_WINDOW_S)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


class ScriptedProbe:
    """A 2-core machine whose other processes use ``shares[i]`` of the CPU during the i-th window (the last share
    repeats); this process uses none, and the load average is ``2 * share``."""

    def __init__(self, clock: Clock, shares: list[float]) -> None:
        self.clock, self.shares, self.busy, self.reads = clock, list(shares), 0.0, 0
        self.last_wall = 0.0

    def cores(self) -> int:
        return 2

    def _share(self) -> float:
        return self.shares[min(self.reads // 2, len(self.shares) - 1)]

    def counters(self) -> CpuCounters:
        self.busy += self._share() * 2 * (self.clock.now - self.last_wall)
        self.last_wall = self.clock.now
        self.reads += 1
        return CpuCounters(wall=self.clock.now, busy=self.busy, steal=0.0, own=0.0)

    def load_1m(self) -> float:
        return 2 * self._share()


@dataclass(frozen=True)
class FakeMeasurement:
    contention: float | None


def _guard(clock: Clock, probe: object, messages: list[str], **policy: object) -> LoadGuard:
    return LoadGuard(BusyPolicy(**policy), probe=probe, say=messages.append, sleep=clock.sleep, clock=clock)  # type: ignore[arg-type]


def test_proc_stat_probe_reads_counters_cores_and_the_share_of_other_processes(tmp_path: Path) -> None:
    path = tmp_path / "stat"
    path.write_text(STAT.format(user=100, system=50, steal=0))
    probe = ProcStatProbe(path)
    first = probe.counters()
    assert probe.cores() == 2 and first is not None
    path.write_text(STAT.format(user=250, system=100, steal=50))  # +200 busy ticks, +50 stolen
    second = probe.counters()
    assert second is not None
    hz = os.sysconf("SC_CLK_TCK")
    assert second.busy - first.busy == pytest.approx(200 / hz) and second.steal - first.steal == pytest.approx(50 / hz)
    start = CpuCounters(wall=0.0, busy=10.0, steal=0.0, own=1.0)
    end = CpuCounters(wall=2.0, busy=13.0, steal=0.5, own=2.0)  # 3 s busy, 1 s of it ours, 0.5 s stolen
    assert others_share(start, end, cores=2) == pytest.approx(2.5 / 4)
    assert ProcStatProbe(tmp_path / "missing").counters() is None  # not Linux: unknown, not a guess


def test_machine_load_describes_itself_and_unknown_is_none() -> None:
    load = MachineLoad(cores=2, load_1m=5.29, others=0.85, window_s=1.0)
    assert load.describe() == "other processes used 1.7 of 2 CPU cores (85%), load average 5.29"
    unknown = between(ScriptedProbe(Clock(), [0.0]), None, None)
    assert unknown.others is None and unknown.window_s == 0.0


def test_a_quiet_machine_is_measured_after_one_short_look() -> None:
    clock, messages = Clock(), []
    guard = _guard(clock, ScriptedProbe(clock, [0.1]), messages)
    assert guard.measure(lambda: FakeMeasurement(0.1)).contention == 0.1
    assert clock.now == pytest.approx(CHECK_WINDOW_S) and messages == []
    guard.measure(lambda: FakeMeasurement(0.0))  # right after a quiet measurement: no new look
    assert clock.now == pytest.approx(CHECK_WINDOW_S)


def test_refuse_says_why_and_what_to_do_in_one_line() -> None:
    clock = Clock()
    guard = _guard(clock, ScriptedProbe(clock, [0.9]), [], on_busy="refuse")
    with pytest.raises(MachineBusyError) as info:
        guard.measure(lambda: pytest.fail("measured on a busy machine"))  # type: ignore[arg-type,return-value]
    message = str(info.value)
    assert "\n" not in message and "1.8 of 2 CPU cores (90%)" in message and "limit is 25%" in message
    assert "--on-busy ignore" in message and "--max-load" in message


def test_wait_waits_until_the_machine_calms_down_and_says_so() -> None:
    clock, messages = Clock(), []
    probe = ScriptedProbe(clock, [0.9, 0.9, 0.9, 0.05])  # busy for three looks, then quiet
    guard = _guard(clock, probe, messages, max_wait_s=120)
    assert guard.measure(lambda: FakeMeasurement(0.05)).contention == 0.05
    assert 10 < clock.now < 120
    assert "waiting up to 120 s" in messages[0] and "machine quiet again" in messages[-1]


def test_wait_is_bounded_then_refuses() -> None:
    clock, messages = Clock(), []
    guard = _guard(clock, ScriptedProbe(clock, [0.9]), messages, max_wait_s=30)
    with pytest.raises(MachineBusyError, match=r"still, after 30 s"):
        guard.measure(lambda: FakeMeasurement(0.0))
    assert clock.now <= 30 + 2 * CHECK_WINDOW_S and len(messages) == 1


def test_ignore_measures_at_once_and_keeps_a_noisy_measurement() -> None:
    clock = Clock()
    guard = _guard(clock, ScriptedProbe(clock, [0.9]), [], on_busy="ignore")
    assert guard.measure(lambda: FakeMeasurement(0.9)).contention == 0.9
    assert clock.now == 0.0


def test_a_measurement_taken_under_contention_is_repeated_once_the_machine_is_quiet() -> None:
    clock = Clock()
    guard = _guard(clock, ScriptedProbe(clock, [0.0]), [])
    results = iter([FakeMeasurement(0.6), FakeMeasurement(0.02)])  # a neighbour's burst during the first
    assert guard.measure(lambda: next(results)).contention == 0.02
    noisy = _guard(clock, ScriptedProbe(clock, [0.0]), [])
    with pytest.raises(MachineBusyError, match=f"{MAX_REMEASURES} tries, the last 60%"):
        noisy.measure(lambda: FakeMeasurement(0.6))


def test_without_cpu_counters_the_load_average_less_our_threads_decides() -> None:
    guard = LoadGuard(BusyPolicy(max_load=0.25), probe=ScriptedProbe(Clock(), [0.0]), threads=1)
    assert not guard.too_busy(MachineLoad(cores=2, load_1m=1.2, others=None, window_s=0.0))  # ~our own thread
    assert guard.too_busy(MachineLoad(cores=2, load_1m=5.5, others=None, window_s=0.0))
    assert guard.busy_share(MachineLoad(cores=2, load_1m=None, others=None, window_s=0.0)) is None


def test_bad_policies_are_refused_with_the_allowed_values() -> None:
    with pytest.raises(ConfigError, match="allowed: wait, refuse, ignore"):
        BusyPolicy(on_busy="retry")
    with pytest.raises(ConfigError, match=r"\(0, 1\]"):
        BusyPolicy(max_load=0.0)
    with pytest.raises(ConfigError, match="max_wait_s"):
        BusyPolicy(max_wait_s=-1)
