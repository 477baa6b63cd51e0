"""Ray, optional: importing it with a one-line install hint, joining (or starting) a cluster, and device pools.

Ray is the ``hwnas[ray]`` extra, so nothing imports it at module level: a command that asks for it
(``--executor ray``) imports it then, and without it fails with one line naming the extra to install.

A device pool is a set of machines named by Ray custom resources: a node started with ``ray start --resources
'{"device:rpi4": 1}'`` holds the device ``rpi4``. Whatever measures on a device holds the whole unit of its resource
(one, the capacity a node declares), so Ray places it only on that node and never runs two measurements on one
device at once: latency measured beside another job on the same board is noise.

This lives in ``hardware`` (not ``search``) because collecting latency on a pool of devices
(:mod:`hwnas.hardware.pool_collect`) needs it below the search layer; the search's ``ray`` executor uses it too.
"""

from __future__ import annotations

import os
import re
import socket
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import Field

from hwnas.contracts.options import Options
from hwnas.contracts.plugins import PLUGINS_ENV
from hwnas.core.errors import ConfigError, HwnasError

INSTALL_HINT = 'pip install "hwnas[ray]"'
DEVICE_PREFIX = "device:"  # a device's Ray resource: device:<name>
# A device name is a resource name's tail and a file name (one CSV per device): letters, digits, . _ -
_DEVICE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def import_ray(what: str) -> Any:
    """The ``ray`` module, or a ConfigError saying that ``what`` needs the extra (one line, the pip command)."""
    try:
        import ray
    except ImportError:
        raise ConfigError(f"{what} needs Ray, which is not installed here: {INSTALL_HINT}") from None
    return ray


def device_resource(device: str) -> str:
    """The Ray custom resource that marks ``device``'s node: ``device:<name>``."""
    return f"{DEVICE_PREFIX}{device}"


def check_devices(devices: Iterable[str], *, what: str = "devices") -> tuple[str, ...]:
    """Device names as given (whitespace stripped), each valid and listed once."""
    names = tuple(d.strip() for d in devices)
    for name in names:
        if not _DEVICE_NAME.fullmatch(name):
            raise ConfigError(
                f"{what}: device name {name!r} is not allowed; use letters, digits, '.', '_' and '-' (e.g. rpi4, "
                "cuda-h100), the tail of the Ray resource device:NAME"
            )
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ConfigError(f"{what}: device {repeated[0]!r} is listed twice; each device is one pool member")
    return names


def split_devices(value: Any) -> Any:
    """``"cpu-a,cpu-b"`` (a flag's text) as a list; anything else as given (the options model checks it)."""
    if isinstance(value, str):
        return [part for part in value.split(",") if part.strip()]
    return value


@dataclass(frozen=True)
class Connection:
    """A Ray session this process uses; :meth:`close` ends it only if this process started it."""

    ray: Any
    started: bool

    def close(self) -> None:
        if self.started and self.ray.is_initialized():
            self.ray.shutdown()


def connect(address: str | None, *, what: str) -> Connection:
    """Join the Ray cluster at ``address`` ('auto': the one `ray start` runs on this machine; HOST:PORT;
    ray://HOST:PORT), or, for None, the local one if it runs, else a new local Ray in this process. A Ray this
    process already initialised is used as it is. A Ray hwnas starts sends no usage statistics (it sets
    ``RAY_USAGE_STATS_ENABLED=0`` unless the environment says otherwise)."""
    ray = import_ray(what)
    if ray.is_initialized():
        return Connection(ray, started=False)
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    try:
        if address is None:
            ray.init(include_dashboard=False, configure_logging=False)
        else:
            ray.init(address=address, configure_logging=False)
    except ConnectionError as exc:
        raise ConfigError(f"{what}: cannot join the Ray cluster at {address!r}: {exc}") from None
    return Connection(ray, started=True)


def missing_devices(ray: Any, devices: Sequence[str]) -> list[str]:
    """The devices no node of the cluster declares (asking for them would wait forever)."""
    declared = ray.cluster_resources()
    return [d for d in devices if declared.get(device_resource(d), 0) < 1]


def require_devices(ray: Any, devices: Sequence[str], *, what: str) -> None:
    """Fail, in one line, when a device of the pool is on no node: naming it, the devices the cluster has, and how
    to add a node that holds it."""
    missing = missing_devices(ray, devices)
    if not missing:
        return
    known = sorted(k.removeprefix(DEVICE_PREFIX) for k in ray.cluster_resources() if k.startswith(DEVICE_PREFIX))
    raise ConfigError(
        f"{what}: no node of the Ray cluster holds device {missing[0]!r} (resource {device_resource(missing[0])!r}); "
        f"devices there: {', '.join(known) or 'none'}; add a node with "
        f"`ray start --address HEAD --resources '{{\"{device_resource(missing[0])}\": 1}}'`"
    )


def require_fit(ray: Any, request: Mapping[str, float], *, what: str) -> None:
    """Fail, in one line, when no live node has all of ``request`` (CPU, GPU, custom resources) at once: an actor
    asking for it would wait forever."""
    why = _unfit(ray, request)
    if why is not None:
        raise ConfigError(f"{what}: {why} (see `ray status`)")


def _unfit(ray: Any, request: Mapping[str, float]) -> str | None:
    """Why no alive node could ever hold ``request`` (``no node of the Ray cluster has ...``), None when one could."""
    wanted = {name: amount for name, amount in request.items() if amount > 0}
    nodes = [node.get("Resources", {}) for node in ray.nodes() if node.get("Alive")]
    if any(all(held.get(name, 0) >= amount for name, amount in wanted.items()) for held in nodes):
        return None
    most = {name: max((held.get(name, 0) for held in nodes), default=0) for name in wanted}
    short = next((name for name, amount in wanted.items() if most[name] < amount), None)
    why = f"; the most any node has of {short!r} is {most[short]:g}" if short else " together"
    return f"no node of the Ray cluster has {_asked(wanted)}{why}"


def _asked(request: Mapping[str, float]) -> str:
    return ", ".join(f"{name}={amount:g}" for name, amount in request.items() if amount > 0)


class ClusterError(HwnasError, RuntimeError):
    """The Ray cluster cannot run what was asked any more: an actor no alive node placed within the placement
    timeout (its node left the cluster, or what it asks for stayed taken)."""


def placement_failure(ray: Any, request: Mapping[str, float], waited_s: float) -> str:
    """Why an actor asking for ``request`` is still unplaced after ``waited_s`` seconds, in words a user can act on:
    no alive node has it (the node that had it is gone), or alive nodes have it but it never came free."""
    if _unfit(ray, request) is None:
        why = f"alive nodes have {_asked(request)}, but it stayed taken by other actors or tasks"
    else:
        why = f"no alive node of the Ray cluster has {_asked(request)} (the node that had it left, or never joined)"
    return f"not placed within {waited_s:.0f} s (placement_timeout): {why}; see `ray status`"


def worker_lost_errors(ray: Any) -> tuple[type[BaseException], ...]:
    """Ray's errors for work lost with its worker (killed, out of memory, node gone), as opposed to an error the
    work itself raised (``RayTaskError``)."""
    errors = ray.exceptions
    return (errors.RayActorError, errors.WorkerCrashedError, errors.NodeDiedError, errors.ObjectLostError)


def first_line(exc: BaseException, *, kind: bool = True) -> str:
    """The first line of an error (Ray's run to many), with its type when ``kind``."""
    lines = str(exc).strip().splitlines()
    text = lines[0] if lines else ""
    return f"{type(exc).__name__}: {text}".rstrip(": ") if kind else text or type(exc).__name__


def where_am_i(ray: Any) -> dict[str, Any]:
    """The node and process a Ray worker runs in (recorded with what it measured)."""
    context = ray.get_runtime_context()
    return {"node_id": context.get_node_id(), "hostname": socket.gethostname(), "pid": os.getpid()}


class TaskOptions(Options):
    """``--executor ray --executor-opt KEY=VALUE`` of commands whose units of work are independent and hold no
    model between units (a few-shot seed, a sweep cell): each unit is one Ray task, so no actor is kept."""

    address: str | None = Field(
        None, description="Ray cluster: None joins the local one or starts it, 'auto', HOST:PORT or ray://HOST:PORT"
    )
    num_cpus: float = Field(1.0, ge=0, description="CPUs each task holds (= units at once per node's CPUs)")
    num_gpus: float = Field(0.0, ge=0, description="GPUs each task holds")
    max_retries: int = Field(3, ge=0, le=100, description="re-runs of a task whose worker died, then it fails")
    threads: int = Field(1, ge=1, description="BLAS / torch threads per task")


@dataclass(frozen=True)
class TaskResult:
    """One unit's outcome: its value, or the error it raised (the unit's own exception, not Ray's wrapper) or the
    Ray error that lost it (its worker died ``max_retries + 1`` times)."""

    value: Any = None
    error: BaseException | None = None


_THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


def _run_unit(fn: Callable[[Any], Any], item: Any, threads: int, plugins: str | None) -> Any:
    """A unit in a Ray worker, with its thread budget (Ray reuses workers, so torch may already be loaded there) and
    the driver's plugins (a plugin's component exists there too when its module is importable on the node)."""
    for variable in _THREAD_VARIABLES:
        os.environ[variable] = str(threads)
    if plugins:
        os.environ[PLUGINS_ENV] = plugins
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(threads)
    return fn(item)


def map_tasks(fn: Callable[[Any], Any], items: Sequence[Any], options: TaskOptions, *, what: str) -> list[TaskResult]:
    """``fn(item)`` for every item, each as one Ray task of the cluster ``options.address`` names, all at once (Ray
    queues what the cluster's CPUs cannot hold). Results in the order of ``items``, whichever finished first; a
    unit's failure is its result, so one failing unit stops no other. ``fn`` and the items travel by pickle
    (cloudpickle: a closure goes by value, a module's function by name, so its module must be importable on every
    node). A task whose worker dies is re-run by Ray up to ``max_retries`` times."""
    connection = connect(options.address, what=what)
    ray = connection.ray
    try:
        require_fit(ray, {"CPU": options.num_cpus, "GPU": options.num_gpus}, what=what)
        remote = ray.remote(_run_unit).options(
            num_cpus=options.num_cpus, num_gpus=options.num_gpus, max_retries=options.max_retries
        )
        shared = ray.put(fn)  # one copy in the object store, not one per task
        plugins = os.environ.get(PLUGINS_ENV)
        refs = [remote.remote(shared, item, options.threads, plugins) for item in items]
        results = []
        for ref in refs:
            try:
                results.append(TaskResult(value=ray.get(ref)))
            except ray.exceptions.RayTaskError as exc:
                cause = exc.cause
                results.append(TaskResult(error=cause if isinstance(cause, BaseException) else exc))
            except ray.exceptions.RayError as exc:
                results.append(TaskResult(error=exc))
        return results
    finally:
        connection.close()


def task_map(options: TaskOptions, *, what: str) -> Callable[[Callable[[Any], Any], Sequence[Any]], list[Any]]:
    """A ``map(fn, items) -> values`` that runs each item as a Ray task (:func:`map_tasks`) and, like a plain loop,
    raises the first failed item's error (once every item has finished): for callers whose units must all
    succeed (a few-shot comparison), which take a mapper so that they need not know Ray."""

    def mapper(fn: Callable[[Any], Any], items: Sequence[Any]) -> list[Any]:
        results = map_tasks(fn, items, options, what=what)
        for result in results:
            if result.error is not None:
                raise result.error
        return [result.value for result in results]

    return mapper
