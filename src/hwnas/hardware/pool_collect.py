"""Latency datasets for a pool of devices from one command: measured on each device, written here.

:func:`collect_on_devices` starts one Ray actor per device, holding the whole unit of the device's resource
``device:NAME`` (:mod:`hwnas.hardware.ray_cluster`), so it runs on that device's node and is the only measurement
there. Each device's collection is the ordinary one (:func:`hwnas.hardware.collector.collect`) with the actor as
its :class:`~hwnas.hardware.collector.Measurer`, run in a thread of this process: the archs, the rows, the sidecar
and the resume are exactly the single-device collection's, into ``OUT/NAME.csv``, and the device description in
the sidecar is the device's own. The devices measure at once; a slow device delays only its own dataset.

A device whose actor dies (its node rebooted, its worker killed) gets a new actor and the measurement in progress is
retried, up to ``max_retries`` times; after that its collection stops with the cause and the others go on. A
device's actor that is not placed and started within ``placement_timeout`` seconds (the device's node left the
cluster for good, or another job holds the device) is given up: that device stops, naming the resource, how long it
waited and whether any alive node still has it; the others go on. Each dataset keeps every row finished before, so
running the command again resumes them all.
"""

from __future__ import annotations

import concurrent.futures
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import Field

from hwnas.contracts.options import Options
from hwnas.core.arch import Arch
from hwnas.core.errors import ConfigError, HwnasError
from hwnas.core.space import SearchSpace
from hwnas.hardware.busy import BusyPolicy
from hwnas.hardware.collector import CollectSummary, LocalMeasurer, collect
from hwnas.hardware.ray_cluster import (
    ClusterError,
    check_devices,
    connect,
    device_resource,
    first_line,
    import_ray,
    placement_failure,
    require_devices,
    where_am_i,
    worker_lost_errors,
)
from hwnas.hardware.settings import MeasureSettings
from hwnas.hardware.timing import Measurement

WHAT = "collecting on a device pool (--executor ray)"
DeviceProgress = Callable[[str, int, int, Measurement | None], None]  # (device, rows done, rows wanted, latest)


class PoolOptions(Options):
    """``hwnas latency collect --executor ray --executor-opt KEY=VALUE``."""

    address: str | None = Field(
        None, description="Ray cluster: None joins the local one or starts it, 'auto', HOST:PORT or ray://HOST:PORT"
    )
    max_retries: int = Field(3, ge=0, le=100, description="restarts of a device's actor (and retries of its arch)")
    placement_timeout: float = Field(
        300.0,
        gt=0,
        description="seconds a device's actor may wait to be placed and started (its node gone, the device held by "
        "another job), then that device stops",
    )


@dataclass(frozen=True)
class DeviceResult:
    """One device's collection: what it did, or why it stopped (then run again: it resumes)."""

    device: str
    out: Path
    summary: CollectSummary | None
    error: str | None = None


class DeviceMeasurer:
    """The actor body, on the device's node: a :class:`LocalMeasurer` there. Its settings are resolved on the first
    call (an error there, e.g. no CUDA on the device, comes back to this process as itself), and again first thing in
    a restarted actor, so a retried measurement runs with the same threads."""

    def __init__(self, space: SearchSpace, settings: MeasureSettings, policy: BusyPolicy, device: str) -> None:
        self.local = LocalMeasurer(space, settings, policy=policy)
        self.prepared: tuple[MeasureSettings, dict[str, Any]] | None = None
        self.place = {"device": device, **where_am_i(import_ray(WHAT))}

    def prepare(self) -> tuple[MeasureSettings, dict[str, Any]]:
        if self.prepared is None:
            self.prepared = self.local.prepare()
        return self.prepared

    def ensure_quiet(self) -> None:
        self.prepare()
        self.local.ensure_quiet()

    def measure(self, arch: Arch) -> Measurement:
        self.prepare()
        return self.local.measure(arch)

    def where(self) -> dict[str, Any]:
        return self.place


class RemoteMeasurer:
    """This process's side of a device's actor: each call waits for the actor. An error the measurement raised
    there (a busy device refusing) is raised here as itself. An actor that dies is replaced and the call retried, up
    to ``max_retries`` times in all; an actor not placed within ``placement_timeout`` is given up. Either way the
    device then stops with a :class:`ClusterError` saying why."""

    def __init__(self, ray: Any, start: Callable[[], Any], device: str, options: PoolOptions, policy: BusyPolicy):
        self._ray, self._new_actor, self._device, self._options, self._policy = ray, start, device, options, policy
        self._lost_errors = worker_lost_errors(ray)
        self._deaths = 0
        self._stopped: ClusterError | None = None  # once given up, every later call says why at once
        self._launch()

    @property
    def policy(self) -> BusyPolicy:
        return self._policy

    def prepare(self) -> tuple[MeasureSettings, dict[str, Any]]:
        prepared: tuple[MeasureSettings, dict[str, Any]] = self._call("prepare")
        return prepared

    def ensure_quiet(self) -> None:
        self._call("ensure_quiet")

    def measure(self, arch: Arch) -> Measurement:
        measurement: Measurement = self._call("measure", arch)
        return measurement

    def where(self) -> dict[str, Any]:
        place: dict[str, Any] = self._call("where")
        return place

    def close(self) -> None:
        self._ray.kill(self._actor)

    def _launch(self) -> None:
        self._actor = self._new_actor()
        self._placed: Any = self._actor.where.remote()  # answers once the actor is placed and started
        self._deadline = time.monotonic() + self._options.placement_timeout

    def _call(self, method: str, *args: Any) -> Any:
        while self._stopped is None:
            try:
                self._wait_placed()
                return self._ray.get(getattr(self._actor, method).remote(*args))
            except self._ray.exceptions.RayTaskError as exc:
                cause = exc.cause
                raise cause if isinstance(cause, Exception) else exc from None
            except self._lost_errors as exc:
                self._deaths += 1
                if self._deaths > self._options.max_retries:
                    self._stopped = ClusterError(
                        f"device lost: {first_line(exc, kind=False)} (its actor died {self._deaths} times; "
                        f"max_retries={self._options.max_retries})"
                    )
                else:
                    self._ray.kill(self._actor)  # a no-op for a dead actor; ends one that is only unreachable
                    self._launch()
        raise self._stopped

    def _wait_placed(self) -> None:
        """Return once the current actor has started; give it up past its placement deadline."""
        if self._placed is None:
            return
        try:
            self._ray.get(self._placed, timeout=max(0.0, self._deadline - time.monotonic()))
        except self._ray.exceptions.GetTimeoutError:
            self._ray.kill(self._actor)
            request = {device_resource(self._device): 1.0}
            why = placement_failure(self._ray, request, self._options.placement_timeout)
            self._stopped = ClusterError(f"its actor was {why}")
            raise self._stopped from None
        self._placed = None


def collect_on_devices(
    space: SearchSpace,
    *,
    devices: Sequence[str],
    settings: MeasureSettings,
    n: int,
    out_dir: str | Path,
    policy: BusyPolicy | None = None,
    options: PoolOptions | None = None,
    on_row: DeviceProgress | None = None,
    **collect_kwargs: Any,
) -> list[DeviceResult]:
    """Collect ``n`` rows of ``space`` on every device of ``devices`` at once, into ``out_dir/DEVICE.csv`` (see
    module doc). ``collect_kwargs``: the collector's other settings (``sampler``, ``seed``, ``notes``,
    ``time_budget_s``), the same for every device. Results in the order of ``devices``."""
    names = check_devices(devices, what="--devices")
    if not names:
        raise ConfigError("--devices is empty; give the pool's device names, e.g. --devices cpu-a,cpu-b")
    options, policy = options or PoolOptions(), policy or BusyPolicy()
    connection = connect(options.address, what=WHAT)
    try:
        ray = connection.ray
        require_devices(ray, names, what="--devices")
        remote = ray.remote(DeviceMeasurer)

        def starter(device: str) -> Callable[[], Any]:
            # no CPUs: the device resource is the exclusion; CPUs are the node's to describe
            handle = remote.options(num_cpus=0, resources={device_resource(device): 1})
            return lambda: handle.remote(space, settings, policy, device)

        measurers = {device: RemoteMeasurer(ray, starter(device), device, options, policy) for device in names}
        kwargs = {**collect_kwargs, "settings": settings}  # the actors' prepare() resolves them on each device
        try:
            return _run_all(measurers, space, n=n, out_dir=Path(out_dir), on_row=on_row, **kwargs)
        finally:
            for measurer in measurers.values():
                measurer.close()
    finally:
        connection.close()


def _run_all(
    measurers: dict[str, RemoteMeasurer],
    space: SearchSpace,
    *,
    n: int,
    out_dir: Path,
    on_row: DeviceProgress | None,
    **collect_kwargs: Any,
) -> list[DeviceResult]:
    """One thread per device, each running the collector with that device's actor; a device that stops on a user
    error, a lost actor or one never placed is reported in its result, a bug is raised once every device has
    finished."""

    def one(device: str) -> DeviceResult:
        out = out_dir / f"{device}.csv"
        progress = None if on_row is None else _device_progress(on_row, device)
        try:
            summary = collect(space, n=n, out=out, measurer=measurers[device], on_row=progress, **collect_kwargs)
        except HwnasError as exc:  # ClusterError included: lost past max_retries, or never placed
            return DeviceResult(device, out, None, first_line(exc, kind=False))
        return DeviceResult(device, out, summary)

    out_dir.mkdir(parents=True, exist_ok=True)
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(measurers), thread_name_prefix="hwnas-device") as pool:
        futures = [pool.submit(one, device) for device in measurers]
        concurrent.futures.wait(futures)
    return [future.result() for future in futures]


def _device_progress(on_row: DeviceProgress, device: str) -> Callable[[int, int, Measurement | None], None]:
    def progress(done: int, total: int, measurement: Measurement | None) -> None:
        on_row(device, done, total, measurement)

    return progress
