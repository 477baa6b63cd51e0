"""`collect`: measure ``n`` archs of a space into a resumable latency dataset (CSV + provenance sidecar).

Archs come from a deterministic stream (:mod:`hwnas.hardware.sampling`), each is built as a standalone model and
measured by its family's protocol (:mod:`hwnas.hardware.protocols`), and its row is appended and fsync'd before the
next one starts. Run it again with the same arguments after a kill and it skips the arch_ids already in the CSV and
goes on; run it with a larger ``n`` and it extends the dataset. It refuses to mix measurements: if the sidecar's
space, protocol, sampler, seed, settings, trim rule or device identity differ from this run's, it stops and names
the first difference.

Every arch is measured through a :class:`~hwnas.hardware.busy.LoadGuard`: on a busy machine the collection waits,
refuses or (``on_busy="ignore"``) measures anyway, and each row records the load average and the contention during
its timed runs.

Where the archs are measured is a :class:`Measurer`: this process (:class:`LocalMeasurer`, the default), or a Ray
actor on the node of a device of a pool (:mod:`hwnas.hardware.pool_collect`). The rows, the sidecar and the resume
logic stay here, in the process that writes the CSV, whichever it is.
"""

from __future__ import annotations

import datetime as dt
import gc
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from hwnas.core.arch import Arch
from hwnas.core.errors import ConfigError
from hwnas.core.space import SearchSpace
from hwnas.hardware.busy import BusyPolicy, LoadGuard
from hwnas.hardware.dataset_files import (
    DATASET_FORMAT,
    RowWriter,
    columns_for,
    read_sidecar,
    repair_and_read_ids,
    row_for,
    write_sidecar,
)
from hwnas.hardware.device import describe_device, device_identity, resolve_device, set_threads
from hwnas.hardware.protocols import measure_guarded
from hwnas.hardware.sampling import arch_stream
from hwnas.hardware.settings import MeasureSettings
from hwnas.hardware.stats import TRIM_RULE
from hwnas.hardware.timing import Measurement

ProgressCallback = Callable[[int, int, Measurement | None], None]  # (rows done, rows wanted, latest or None)

# Sidecar keys that must match for a resumed collection to append (n may grow; sessions and notes are history).
MATCHING_KEYS = ("format", "space", "protocol", "sampler", "seed", "settings", "trim_rule", "device")


@dataclass(frozen=True)
class CollectSummary:
    out: Path
    rows: int  # rows in the CSV now
    measured: int  # rows added by this call
    skipped: int  # archs of the stream already in the CSV


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _resolved(settings: MeasureSettings) -> tuple[MeasureSettings, dict[str, Any]]:
    """Settings with the thread count in force filled in, and the device description."""
    device = resolve_device(settings.device)
    threads = set_threads(settings.threads)
    return settings.with_threads(threads), describe_device(device, dtype=settings.dtype, threads=threads)


class Measurer(Protocol):
    """Where a collection measures. :meth:`prepare` is called once, before anything is written: the settings with
    the thread count in force and the description of the device that measures (both go into the sidecar, so they
    must come from that device, not from the process writing the CSV). :meth:`where` says where that is, for the
    session's record (empty: here)."""

    @property
    def policy(self) -> BusyPolicy: ...

    def prepare(self) -> tuple[MeasureSettings, dict[str, Any]]: ...

    def ensure_quiet(self) -> None: ...

    def measure(self, arch: Arch) -> Measurement: ...

    def where(self) -> dict[str, Any]: ...


class LocalMeasurer:
    """Measures in this process, through ``guard`` (default: one applying ``policy``, by default wait up to 5
    minutes on a busy machine, then refuse)."""

    def __init__(
        self,
        space: SearchSpace,
        settings: MeasureSettings,
        guard: LoadGuard | None = None,
        *,
        policy: BusyPolicy | None = None,
    ) -> None:
        self.space, self.settings, self._guard, self._policy = space, settings, guard, policy

    @property
    def guard(self) -> LoadGuard:
        if self._guard is None:  # after prepare(): the threads in force are the ones the load is corrected by
            self._guard = LoadGuard(self._policy, threads=self.settings.threads)
        return self._guard

    @property
    def policy(self) -> BusyPolicy:
        return self.guard.policy

    def prepare(self) -> tuple[MeasureSettings, dict[str, Any]]:
        self.settings, info = _resolved(self.settings)
        return self.settings, info

    def ensure_quiet(self) -> None:
        self.guard.ensure_quiet()

    def measure(self, arch: Arch) -> Measurement:
        return measure_guarded(arch, self.space, self.settings, self.guard)

    def where(self) -> dict[str, Any]:
        return {}


def _provenance(
    space: SearchSpace, settings: MeasureSettings, info: dict[str, Any], sampler: str, seed: int
) -> dict[str, Any]:
    return {
        "format": DATASET_FORMAT,
        "space": space.name,
        "protocol": settings.protocol,
        "sampler": sampler,
        "seed": seed,
        "settings": settings.to_dict(),
        "trim_rule": TRIM_RULE,
        "device": device_identity(info),
        "device_info": info,
        "sessions": [],
        "notes": "",
    }


def _check_same(stored: dict[str, Any], wanted: dict[str, Any], out: Path) -> None:
    if stored.get("trim_rule") != wanted["trim_rule"]:
        raise ConfigError(
            f"{str(out)!r} was collected by an older hwnas (trimmed means without HAT's always-dropped slowest run, "
            "latency = trimmed mean); its rows cannot be extended with today's: collect into a new --out"
        )
    stored = {**stored, "settings": MeasureSettings.from_dict(stored.get("settings") or {}).to_dict()}
    for key in MATCHING_KEYS:
        old, new = stored.get(key), wanted.get(key)
        if isinstance(old, dict) and isinstance(new, dict):
            diff = next((k for k in new if old.get(k) != new.get(k)), None)
            if diff is not None:
                raise ConfigError(
                    f"{str(out)!r} was collected with {key}.{diff}={old.get(diff)!r}, this run has "
                    f"{new.get(diff)!r}; use the same settings to resume, or a new --out"
                )
        elif old != new:
            raise ConfigError(
                f"{str(out)!r} was collected with {key}={old!r}, this run has {new!r}; "
                "use the same settings to resume, or a new --out"
            )


def _open_dataset(out: Path, wanted: dict[str, Any], columns: tuple[str, ...]) -> tuple[dict[str, Any], set[str]]:
    """The sidecar to keep updating and the arch_ids already measured (refusing on any mismatch)."""
    stored = read_sidecar(out)
    if stored is None:
        if out.is_file() and out.stat().st_size > 0:
            raise ConfigError(f"{str(out)!r} exists without its provenance sidecar; refusing to append to it")
        return wanted, set()
    _check_same(stored, wanted, out)
    return stored, set(repair_and_read_ids(out, columns))


def _measure_missing(
    stream: Iterator[Arch],
    *,
    space: SearchSpace,
    measurer: Measurer,
    done: set[str],
    n: int,
    writer: RowWriter,
    on_row: ProgressCallback | None,
    deadline: float | None,
) -> tuple[int, int]:
    """Measure stream archs not in ``done`` until it holds ``n`` (or the deadline passes): (measured, skipped)."""
    measured = skipped = 0
    if on_row is not None:
        on_row(min(len(done), n), n, None)
    for arch in stream:
        if len(done) >= n or (deadline is not None and time.monotonic() > deadline):
            break
        if arch.arch_id in done:
            skipped += 1
            continue
        measurement = measurer.measure(arch)
        writer.write(row_for(arch, space, measurement))
        done.add(arch.arch_id)
        measured += 1
        gc.collect()
        if on_row is not None:
            on_row(len(done), n, measurement)
    return measured, skipped


def _start_session(
    out: Path,
    sidecar: dict[str, Any],
    *,
    info: dict[str, Any],
    rows_before: int,
    measurer: Measurer,
    notes: str | None,
) -> dict[str, Any]:
    """Record this call in the sidecar (its notes, its session, where it measured when not here) and write it before
    the first row: the dataset's history then shows every session, even one killed before it measured anything.
    Returns the session to finish."""
    if notes:
        sidecar["notes"] = notes
    session = {"started": _now(), "date_of_device_info": info["date"], "rows_before": rows_before,
               "busy_policy": measurer.policy.to_dict()}  # fmt: skip
    where = measurer.where()
    if where:
        session["measured_on"] = where
    sidecar["sessions"] = [*sidecar.get("sessions", []), session]
    write_sidecar(out, sidecar)
    return session


def collect(
    space: SearchSpace,
    *,
    settings: MeasureSettings,
    n: int,
    out: str | Path,
    sampler: str = "random",
    seed: int = 0,
    notes: str | None = None,
    on_row: ProgressCallback | None = None,
    time_budget_s: float | None = None,
    guard: LoadGuard | None = None,
    measurer: Measurer | None = None,
) -> CollectSummary:
    """Measure archs of ``space`` until ``out`` holds ``n`` rows (see module doc), or until ``time_budget_s``
    seconds have passed (then run it again to go on). ``guard``: what to do on a busy machine (default: wait up to
    5 minutes, then refuse); ``measurer``: where to measure (default: here, with ``settings`` through ``guard``; a
    measurer given brings its own settings and guard, resolved where it measures). Returns what was done."""
    if n < 1:
        raise ConfigError(f"n must be >= 1, got {n}")
    out = Path(out)
    deadline = None if time_budget_s is None else time.monotonic() + time_budget_s
    measurer = measurer or LocalMeasurer(space, settings, guard)
    settings, info = measurer.prepare()
    columns = columns_for(space)
    sidecar, done = _open_dataset(out, _provenance(space, settings, info, sampler, seed), columns)
    stream = arch_stream(space, sampler, seed)  # built before any write: a bad sampler name writes nothing
    if len(done) < n:
        measurer.ensure_quiet()  # before any write, too: a refusal on a busy machine leaves no file behind
    session = _start_session(out, sidecar, info=info, rows_before=len(done), measurer=measurer, notes=notes)
    writer = RowWriter(out, columns)
    try:
        measured, skipped = _measure_missing(
            stream, space=space, measurer=measurer, done=done, n=n, writer=writer, on_row=on_row, deadline=deadline
        )
    finally:
        writer.close()
        session.update(finished=_now(), rows_after=len(done))
        write_sidecar(out, sidecar)
    return CollectSummary(out, len(done), measured, skipped)
