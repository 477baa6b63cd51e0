"""What measuring code does on a busy machine: :class:`BusyPolicy` (the limit and the reaction) and
:class:`LoadGuard`, which every measuring path (the collector, the pipeline's measurements, the measured-latency
evaluator) goes through.

A latency measured while other processes compete for the CPU is noise: on a busy 2-core machine (load 5.5-6.2) a
whole quickstart's latency data came out with the largest model measured fastest, and nothing said so. So before
measuring, the guard watches the machine for a moment (:data:`CHECK_WINDOW_S`); if other processes use more than
``max_load`` of the CPU it waits (bounded by ``max_wait_s``, saying so once), refuses with one line that says why
and what to do, or — ``ignore`` — measures anyway. After each measurement it looks at the contention recorded
*during* the timed runs: a measurement taken under contention above the limit is thrown away and repeated once the
machine is quiet again (at most :data:`MAX_REMEASURES` times), so a dataset only holds rows measured quietly unless
the user chose ``ignore`` (and then each row says how busy it was).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, Protocol, TypeVar

from hwnas.core.errors import ConfigError, MachineBusyError
from hwnas.hardware.load import LoadProbe, MachineLoad, resolve_probe, sample

ON_BUSY = ("wait", "refuse", "ignore")
DEFAULT_MAX_LOAD = 0.25  # share of the machine's CPU other processes may use: 0.5 of a core on 2 cores, 4 on 16
DEFAULT_MAX_WAIT_S = 300.0
CHECK_WINDOW_S = 1.0  # watched before measuring (the load average alone lags by a minute)
POLL_S = 10.0  # between two looks while waiting
FRESH_S = 10.0  # a quiet measurement that ended this recently stands for a new look
MAX_REMEASURES = 3  # measurements thrown away for contention before the guard gives up on an arch
HINT = "stop the other jobs and run again (it resumes), raise --max-load, or pass --on-busy ignore to measure anyway"


@dataclass(frozen=True, kw_only=True)
class BusyPolicy:
    """``max_load``: the share (0-1] of the machine's CPU other processes may use while latency is measured;
    ``on_busy``: wait (up to ``max_wait_s``), refuse, or ignore (measure anyway; each row records its load)."""

    max_load: float = DEFAULT_MAX_LOAD
    on_busy: str = "wait"
    max_wait_s: float = DEFAULT_MAX_WAIT_S

    def __post_init__(self) -> None:
        if not 0.0 < self.max_load <= 1.0:
            raise ConfigError(f"max_load is {self.max_load!r}; it must lie in (0, 1] (a share of the CPU cores)")
        if self.on_busy not in ON_BUSY:
            raise ConfigError(f"on_busy {self.on_busy!r} is unknown; allowed: {', '.join(ON_BUSY)}")
        if not self.max_wait_s >= 0:
            raise ConfigError(f"max_wait_s is {self.max_wait_s!r}; it must be >= 0 seconds")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class HasContention(Protocol):
    @property
    def contention(self) -> float | None: ...


M = TypeVar("M", bound=HasContention)


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class LoadGuard:
    """Applies a :class:`BusyPolicy` around measurements (see module doc). ``threads``: torch threads of the
    measurement, subtracted from the load average where it is the only figure (it counts this process too)."""

    def __init__(
        self,
        policy: BusyPolicy | None = None,
        *,
        probe: LoadProbe | None = None,
        threads: int | None = 1,
        say: Callable[[str], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.policy = policy or BusyPolicy()
        self.probe = resolve_probe(probe)
        self.threads = threads or 1
        self.say, self.sleep, self.clock = say or _stderr, sleep, clock  # say: where waiting is announced
        self._quiet_at: float | None = None  # when the machine was last seen quiet (a look, or a measurement)

    def busy_share(self, load: MachineLoad) -> float | None:
        """Other processes' share of the CPU: from the counters, else the load average less this measurement's
        threads; None when unknown (then nothing can be checked and measuring goes ahead)."""
        if load.others is not None:
            return load.others
        if load.load_1m is None:
            return None
        return max(0.0, load.load_1m - self.threads) / max(1, load.cores)

    def too_busy(self, load: MachineLoad) -> bool:
        share = self.busy_share(load)
        return share is not None and share > self.policy.max_load

    def _why(self, load: MachineLoad, what: str) -> str:
        return f"machine too busy to measure {what}: {load.describe()}; the limit is {self.policy.max_load:.0%}"

    def ensure_quiet(self, what: str = "latency") -> MachineLoad | None:
        """Before measuring: go ahead on a quiet machine; else wait, refuse or ignore (the policy)."""
        if self.policy.on_busy == "ignore":
            return None
        if self._quiet_at is not None and self.clock() - self._quiet_at <= FRESH_S:
            return None
        load = sample(self.probe, CHECK_WINDOW_S, self.sleep)
        if not self.too_busy(load):
            self._quiet_at = self.clock()
            return load
        if self.policy.on_busy == "refuse":
            raise MachineBusyError(f"{self._why(load, what)}; {HINT}")
        deadline = self.clock() + self.policy.max_wait_s
        self.say(f"{self._why(load, what)}; waiting up to {self.policy.max_wait_s:.0f} s for it to calm down")
        while self.too_busy(load):
            if self.clock() >= deadline:
                raise MachineBusyError(f"{self._why(load, what)} (still, after {self.policy.max_wait_s:.0f} s); {HINT}")
            self.sleep(min(POLL_S, max(0.0, deadline - self.clock())))
            load = sample(self.probe, CHECK_WINDOW_S, self.sleep)
        self.say(f"machine quiet again ({load.describe()}): measuring {what}")
        self._quiet_at = self.clock()
        return load

    def measure(self, run: Callable[[], M], what: str = "latency") -> M:
        """``run()`` (one measurement recording its ``contention``) on a quiet machine, repeated while the
        contention during it was over the limit (see module doc)."""
        self.ensure_quiet(what)
        for attempt in range(1, MAX_REMEASURES + 1):
            result = run()
            share = result.contention
            if self.policy.on_busy == "ignore" or share is None or share <= self.policy.max_load:
                self._quiet_at = self.clock()
                return result
            self._quiet_at = None
            if attempt < MAX_REMEASURES:
                self.ensure_quiet(what)  # waits or refuses when the machine is really busy; a blip measures again
        raise MachineBusyError(
            f"other processes kept using more than {self.policy.max_load:.0%} of the CPU while {what} was timed "
            f"({MAX_REMEASURES} tries, the last {share:.0%}); {HINT}"
        )
