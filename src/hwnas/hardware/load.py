"""How busy the machine is: the load average, and the share of the CPU that other processes (and the hypervisor,
as steal time) take over a window.

The load average alone lags by about a minute and counts this process too, so the measuring code also reads the
kernel's cumulative CPU counters (``/proc/stat``) at two instants and subtracts this process's own CPU time: what
is left is the work of everything else, as a share of the machine's cores. Where ``/proc/stat`` is missing (not
Linux) only the load average is known, and where that is missing too the load is unknown (``None``), never a
guess. Tests inject a :class:`LoadProbe`; the code asks :func:`resolve_probe`, which falls back to
:func:`system_probe` (a test replaces that one function to make the whole machine look quiet or busy).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

PROC_STAT = Path("/proc/stat")
# /proc/stat "cpu" line: user nice system idle iowait irq softirq steal (guest time is already inside user)
_BUSY_FIELDS = (0, 1, 2, 5, 6)
_STEAL_FIELD = 7


@dataclass(frozen=True)
class CpuCounters:
    """Cumulative CPU seconds (summed over all cores) at one instant, and this process's own CPU time."""

    wall: float  # time.monotonic()
    busy: float  # user + nice + system + irq + softirq, every process
    steal: float  # taken by the hypervisor for other guests
    own: float  # time.process_time(): this process, all its threads


@dataclass(frozen=True)
class MachineLoad:
    """How busy the machine was: ``others`` over a window (None when unknown), the 1-minute load average."""

    cores: int
    load_1m: float | None
    others: float | None  # share of all cores (0..1+) used by other processes or stolen, over the window
    window_s: float

    def others_cores(self) -> float | None:
        return None if self.others is None else self.others * self.cores

    def describe(self) -> str:
        """'other processes used 1.7 of 2 CPU cores (85%), load average 5.29' (what a message shows)."""
        parts = []
        if self.others is not None:
            parts.append(f"other processes used {self.others * self.cores:.1f} of {self.cores} CPU cores "
                         f"({self.others:.0%})")  # fmt: skip
        if self.load_1m is not None:
            parts.append(f"load average {self.load_1m:.2f}")
        return ", ".join(parts) or "load unknown on this system"


class LoadProbe(Protocol):
    def cores(self) -> int:
        """Cores the counters cover."""
        ...

    def counters(self) -> CpuCounters | None:
        """The CPU counters now, or None where the system has none."""
        ...

    def load_1m(self) -> float | None:
        """The 1-minute load average, or None."""
        ...


class ProcStatProbe:
    """Linux's ``/proc/stat`` and ``os.getloadavg`` (both degrade to None elsewhere)."""

    def __init__(self, path: Path = PROC_STAT) -> None:
        self.path = path
        self._tick = float(os.sysconf("SC_CLK_TCK")) if hasattr(os, "sysconf") else 100.0

    def _lines(self) -> list[str]:
        try:
            return self.path.read_text(encoding="ascii").splitlines()
        except (OSError, UnicodeDecodeError):
            return []

    def cores(self) -> int:
        per_core = [line for line in self._lines() if line.startswith("cpu") and line[3:4].isdigit()]
        return len(per_core) or os.cpu_count() or 1

    def counters(self) -> CpuCounters | None:
        first = next((line for line in self._lines() if line.startswith("cpu ")), None)
        if first is None:
            return None
        try:
            ticks = [float(x) for x in first.split()[1:]]
            busy = sum(ticks[i] for i in _BUSY_FIELDS) / self._tick
            steal = ticks[_STEAL_FIELD] / self._tick if len(ticks) > _STEAL_FIELD else 0.0
        except (ValueError, IndexError):
            return None
        return CpuCounters(wall=time.monotonic(), busy=busy, steal=steal, own=time.process_time())

    def load_1m(self) -> float | None:
        try:
            return float(os.getloadavg()[0])
        except (OSError, AttributeError):
            return None


def system_probe() -> LoadProbe:
    """The probe of this machine (tests replace this function)."""
    return ProcStatProbe()


def resolve_probe(probe: LoadProbe | None) -> LoadProbe:
    return probe if probe is not None else system_probe()


def others_share(start: CpuCounters, end: CpuCounters, cores: int) -> float | None:
    """Share (0-1) of the machine's CPU used by other processes (and stolen) between two readings; None for no
    time. Clipped: tick granularity can put a saturated machine a hair over 1."""
    wall = end.wall - start.wall
    if wall <= 0:
        return None
    others = (end.busy - start.busy) - (end.own - start.own) + (end.steal - start.steal)
    return min(1.0, max(0.0, others) / (wall * max(1, cores)))


def between(probe: LoadProbe, start: CpuCounters | None, end: CpuCounters | None) -> MachineLoad:
    """The load over the interval of two readings (taken by the caller around some work)."""
    cores = probe.cores()
    others = None if start is None or end is None else others_share(start, end, cores)
    window = 0.0 if start is None or end is None else end.wall - start.wall
    return MachineLoad(cores=cores, load_1m=probe.load_1m(), others=others, window_s=window)


def sample(probe: LoadProbe, window_s: float, sleep: Callable[[float], None] = time.sleep) -> MachineLoad:
    """Watch the machine for ``window_s`` seconds while doing nothing."""
    start = probe.counters()
    sleep(window_s)
    return between(probe, start, probe.counters())
