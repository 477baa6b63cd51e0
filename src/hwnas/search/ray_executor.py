"""The ``ray`` executor: evaluation batches on the actors of a Ray cluster (the ``hwnas[ray]`` extra).

Each actor builds the run's evaluators from their specs the first time a batch needs them and keeps them, so a
supernet or an LLM is loaded once per actor, not per batch; actor ``k`` uses replica ``k mod n`` of an evaluator
given ``n`` devices (as the process pool's worker ``k`` does). The loop still writes the journal: an actor returns
outcomes, the loop journals them in asked order.

An actor that dies while it holds a batch (its worker killed, its node gone) is replaced by a new one in its place,
and the batch goes to the next free actor, whole (the same batch as the serial executor's, so the same outcomes).
A batch whose actor died ``max_retries + 1`` times is not tried again: each of its archs gets a failed outcome
naming the cause, so the run goes on and records every arch once. Any other error (an evaluator that cannot be
built there) stops the run, as it does in this process.

With ``devices`` (a device pool, :mod:`hwnas.hardware.ray_cluster`), actor ``k`` holds the whole unit of resource
``device:<devices[k mod n]>``: it runs only on the node of that device and is the only actor there.

One thread of this process (the dispatcher) owns the actors: :meth:`RayExecutor.submit` and Ray's completion
callbacks only post events to it; it hands queued batches to free actors (a batch waits for a free actor rather
than queueing behind a busy one, so a slow batch holds up nothing else) and settles each batch's future.
"""

from __future__ import annotations

import os
import queue
import threading
from collections import deque
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from pydantic import Field, field_validator, model_validator

from hwnas.contracts.evaluator import Evaluator, Outcome
from hwnas.contracts.executor import EvaluationBatch, EvaluatorSpec
from hwnas.contracts.options import Options
from hwnas.contracts.plugins import PLUGINS_ENV
from hwnas.hardware.ray_cluster import (
    check_devices,
    connect,
    device_resource,
    first_line,
    import_ray,
    require_devices,
    require_fit,
    split_devices,
)
from hwnas.search.evaluator import spec_evaluator
from hwnas.search.executors import evaluate_chain
from hwnas.search.process_pool import THREAD_VARIABLES, limit_torch_threads

WHAT = "--executor ray"


class RayOptions(Options):
    address: str | None = Field(
        None,
        description="Ray cluster: None joins the local one or starts it in this process, 'auto', HOST:PORT or "
        "ray://HOST:PORT",
    )
    actors: int | None = Field(
        None, ge=1, description="evaluation actors = batches at once (default: 2, or one per device)"
    )
    devices: list[str] = Field(
        default_factory=list,
        description="device pool, e.g. rpi4,cuda-h100: actor k holds resource device:<devices[k mod n]> (one unit)",
    )
    max_retries: int = Field(3, ge=0, le=100, description="re-runs of a batch whose actor died, then it fails")
    num_cpus: float | None = Field(
        None, ge=0, description="CPUs each actor holds (default 1; 0 with devices: the device is what it holds)"
    )
    num_gpus: float = Field(0.0, ge=0, description="GPUs each actor holds")
    resources: dict[str, float] = Field(
        default_factory=dict, description="more Ray resources each actor holds: NAME=AMOUNT,... (e.g. accel=1)"
    )
    threads: int = Field(1, ge=1, description="BLAS / torch threads per actor")

    @field_validator("devices", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        return split_devices(value)

    @field_validator("resources", mode="before")
    @classmethod
    def _pairs(cls, value: Any) -> Any:
        return _resource_pairs(value)

    @model_validator(mode="after")
    def _one_actor_per_device(self) -> RayOptions:
        check_devices(self.devices, what="executor 'ray': option 'devices'")
        if self.devices and self.actors is not None and self.actors != len(self.devices):
            raise ValueError(f"with {len(self.devices)} devices there is one actor per device; leave actors unset")
        clash = sorted(k for k in self.resources if k in {device_resource(d) for d in self.devices})
        if clash:
            raise ValueError(f"resource {clash[0]!r} is a device of 'devices'; name it there only")
        return self

    @property
    def actor_count(self) -> int:
        return len(self.devices) or self.actors or 2


def _resource_pairs(value: Any) -> Any:
    """``"accel=1,device:rpi4=1"`` (a flag's text) as a mapping; a mapping as given."""
    if not isinstance(value, str):
        return value
    pairs: dict[str, Any] = {}
    for item in filter(None, (part.strip() for part in value.split(","))):
        name, _, amount = item.rpartition("=") if "=" in item else (item, "", "1")
        pairs[name.strip()] = amount.strip()
    return pairs


class EvaluationActor:
    """The actor body, in a Ray worker process: the run's evaluators, built from their specs on first use, kept."""

    def __init__(self, specs: Sequence[EvaluatorSpec], slot: int, threads: int, plugins: str | None) -> None:
        for variable in THREAD_VARIABLES:
            os.environ[variable] = str(threads)
        if plugins:  # the driver's plugins, so plugin evaluators exist here too (their modules must be importable)
            os.environ[PLUGINS_ENV] = plugins
        self.specs = {spec.name: spec for spec in specs}
        self.slot, self.threads = slot, threads
        self.instances: dict[str, Evaluator] = {}

    def evaluate(self, batch: EvaluationBatch) -> list[Outcome]:
        evaluators = [self._instance(name) for name in batch.evaluators]
        return evaluate_chain(evaluators, batch.archs, batch.known)

    def _instance(self, name: str) -> Evaluator:
        if name not in self.instances:
            limit_torch_threads(self.threads)
            spec = self.specs[name]
            self.instances[name] = spec_evaluator(spec, self.slot % spec.replicas)
        return self.instances[name]


@dataclass
class _Job:
    batch: EvaluationBatch
    future: Future[list[Outcome]]
    deaths: list[str] = field(default_factory=list)  # why each actor that held it died


class RayExecutor:
    """Batches to ``options.actor_count`` actors; the loop keeps that many in flight (see module doc)."""

    def __init__(self, specs: Sequence[EvaluatorSpec], local: Mapping[str, Evaluator], options: RayOptions) -> None:
        self._options, self._specs = options, tuple(specs)
        self.capacity = options.actor_count
        self._connection = connect(options.address, what=WHAT)
        self._ray = self._connection.ray
        try:
            require_devices(self._ray, options.devices, what="executor 'ray': option 'devices'")
            for slot in range(len(options.devices) or 1):  # the distinct requests
                require_fit(self._ray, _request(options, slot), what="executor 'ray'")
            self._remote = self._ray.remote(EvaluationActor)
            self._actors: list[Any] = [self._start(slot) for slot in range(self.capacity)]
        except BaseException:
            self._connection.close()
            raise
        self._queued: deque[_Job] = deque()
        self._running: dict[Any, tuple[int, _Job]] = {}  # object ref -> (slot of its actor, job)
        self._turn = 0  # the slot to try first
        # what the dispatcher reacts to: a submitted job, a finished ref (from Ray's thread), None to stop
        self._events: queue.SimpleQueue[tuple[str, Any] | None] = queue.SimpleQueue()
        self._dispatcher = threading.Thread(target=self._dispatch, name="hwnas-ray-dispatcher", daemon=True)
        self._dispatcher.start()

    @staticmethod
    def preflight(options: RayOptions) -> None:
        """Checked when the run is planned, before its folder is made: Ray is installed (else one line naming the
        extra). Joining the cluster waits for the run itself."""
        import_ray(WHAT)

    def submit(self, batch: EvaluationBatch) -> Future[list[Outcome]]:
        future: Future[list[Outcome]] = Future()
        self._events.put(("job", _Job(batch, future)))
        return future

    def close(self) -> None:
        self._events.put(None)
        self._dispatcher.join()
        for actor in self._actors:
            self._ray.kill(actor)
        self._connection.close()

    def _start(self, slot: int) -> Any:
        request = _request(self._options, slot)
        cpus, gpus = request.pop("CPU"), request.pop("GPU")
        actor = self._remote.options(num_cpus=cpus, num_gpus=gpus, resources=request)
        return actor.remote(self._specs, slot, self._options.threads, os.environ.get(PLUGINS_ENV))

    def _dispatch(self) -> None:
        """Until closed: queue a submitted job or settle a finished one, then start queued jobs on free actors.
        Jobs still queued or running when the executor closes are cancelled. Should the dispatcher itself fail (Ray
        refusing a call), every job waiting and every job submitted later fails with that error, so the run stops
        on it instead of waiting forever."""
        try:
            while (event := self._events.get()) is not None:
                kind, item = event
                if kind == "job":
                    self._queued.append(item)
                else:
                    self._settle(item)
                self._start_queued()
        except Exception as exc:
            self._fail_all(exc)
            return
        for job in self._waiting():
            job.future.cancel()

    def _waiting(self) -> list[_Job]:
        return [*self._queued, *(job for _, job in self._running.values())]

    def _fail_all(self, exc: Exception) -> None:
        for job in self._waiting():
            if not job.future.done():
                job.future.set_exception(exc)
        while (event := self._events.get()) is not None:  # until close(): what is submitted meanwhile fails too
            if event[0] == "job":
                event[1].future.set_exception(exc)

    def _start_queued(self) -> None:
        """Queued jobs to free actors, taking turns from the one after the last used (every actor gets work, and
        warms up, even when batches finish faster than they are submitted)."""
        busy = {slot for slot, _ in self._running.values()}
        for turn in range(self.capacity):
            slot = (self._turn + turn) % self.capacity
            if not self._queued:
                return
            if slot in busy:
                continue
            self._turn = slot + 1
            job = self._queued.popleft()
            ref = self._actors[slot].evaluate.remote(job.batch)
            self._running[ref] = (slot, job)
            ref.future().add_done_callback(lambda _, ref=ref: self._events.put(("done", ref)))

    def _settle(self, ref: Any) -> None:
        slot, job = self._running.pop(ref)
        errors = self._ray.exceptions
        try:
            job.future.set_result(self._ray.get(ref))
        except (errors.RayActorError, errors.WorkerCrashedError, errors.NodeDiedError, errors.ObjectLostError) as exc:
            self._replace(slot)
            job.deaths.append(first_line(exc))
            if len(job.deaths) > self._options.max_retries:
                job.future.set_result(_lost(job))
            else:
                self._queued.appendleft(job)  # first in line: the loop journals in order and waits for it
        except errors.RayTaskError as exc:  # raised by the evaluators' code there: stops the run, as here
            cause = exc.cause
            job.future.set_exception(cause if isinstance(cause, Exception) else exc)
        except Exception as exc:
            job.future.set_exception(exc)

    def _replace(self, slot: int) -> None:
        self._ray.kill(self._actors[slot])  # a no-op for a dead actor; ends one that is only unreachable
        self._actors[slot] = self._start(slot)


def _request(options: RayOptions, slot: int) -> dict[str, float]:
    """What actor ``slot`` holds: CPUs (none by default on a device: the device is what it holds), GPUs, the extra
    resources, and its device's whole unit."""
    cpus = options.num_cpus if options.num_cpus is not None else (0.0 if options.devices else 1.0)
    request = {"CPU": cpus, "GPU": options.num_gpus, **options.resources}
    if options.devices:
        request[device_resource(options.devices[slot % len(options.devices)])] = 1.0
    return request


def _lost(job: _Job) -> list[Outcome]:
    reason = (
        f"ray: the actor evaluating this arch died {len(job.deaths)} times (max_retries={len(job.deaths) - 1}); "
        f"last: {job.deaths[-1]}"
    )
    return [Outcome({}, reason) for _ in job.batch.archs]
