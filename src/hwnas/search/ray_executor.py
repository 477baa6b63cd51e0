"""The ``ray`` executor: evaluation batches on the actors of a Ray cluster (the ``hwnas[ray]`` extra).

Each actor builds the run's evaluators from their specs the first time a batch needs them and keeps them, so a
supernet or an LLM is loaded once per actor, not per batch; actor ``k`` uses replica ``k mod n`` of an evaluator
given ``n`` devices (as the process pool's worker ``k`` does). The loop still writes the journal: an actor returns
outcomes, the loop journals them in asked order.

An actor that dies while it holds a batch (its worker killed, out of memory, its node gone) is replaced by a new one
in its place, and the batch is evaluated again in halves on the next free actors, so that an arch that kills every
worker it runs in is found and fails alone after ``max_retries`` retries, with the cause, while the other archs of
its batch get their own outcomes (:mod:`hwnas.search.isolation`: the bisection and its bound on launches). Each arch
is recorded once either way. Any other error (an evaluator that cannot be built there) stops the run, as it does in
this process.

An actor takes batches once it has answered (it is placed and started); one that has not answered within
``placement_timeout`` seconds (its node left the cluster, or what it asks for stays taken) is given up, with a
warning, and the other actors go on; when no actor is left, the run stops with a :class:`ClusterError` naming what
each actor asked for and why it was not placed. An up-front check already refuses what no node has at the start.

With ``devices`` (a device pool, :mod:`hwnas.hardware.ray_cluster`), actor ``k`` holds the whole unit of resource
``device:<devices[k mod n]>``: it runs only on the node of that device and is the only actor there.

One thread of this process (the dispatcher) owns the actors: :meth:`RayExecutor.submit` and Ray's completion
callbacks only post events to it; it hands queued pieces to free actors (a piece waits for a free actor rather
than queueing behind a busy or unplaced one, so a slow batch holds up nothing else) and settles each batch's future.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections import deque
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from typing import Any

from hwnas.contracts.evaluator import Evaluator, Outcome
from hwnas.contracts.executor import EvaluationBatch, EvaluatorSpec
from hwnas.contracts.plugins import PLUGINS_ENV
from hwnas.hardware.ray_cluster import (
    ClusterError,
    connect,
    first_line,
    import_ray,
    placement_failure,
    require_devices,
    require_fit,
    worker_lost_errors,
)
from hwnas.search.isolation import BatchJob, Piece
from hwnas.search.ray_actors import EvaluationActor, RayOptions, actor_request, asked

__all__ = ["EvaluationActor", "RayExecutor", "RayOptions"]  # the registry names RayOptions here

WHAT = "--executor ray"
log = logging.getLogger(__name__)


class RayExecutor:
    """Batches to ``options.actor_count`` actors; the loop keeps that many in flight (see module doc)."""

    def __init__(self, specs: Sequence[EvaluatorSpec], local: Mapping[str, Evaluator], options: RayOptions) -> None:
        self._options, self._specs = options, tuple(specs)
        self.capacity = options.actor_count
        self._connection = connect(options.address, what=WHAT)
        self._ray = self._connection.ray
        self._lost_errors = worker_lost_errors(self._ray)
        # what the dispatcher reacts to: a submitted job, a finished ref, a started actor (from Ray's thread), None
        self._events: queue.SimpleQueue[tuple[str, Any] | None] = queue.SimpleQueue()
        self._actors: list[Any] = []  # per slot: its actor, None once retired (never placed in time)
        self._ready: set[int] = set()  # slots whose actor answered, so it is placed and takes batches
        self._deadlines: dict[int, float] = {}  # slots whose actor is starting -> when it must have answered
        self._failed_starts = [0] * self.capacity  # per slot: actors that died before they answered, in a row
        self._retired: dict[int, str] = {}  # slot -> why its actor was given up
        try:
            require_devices(self._ray, options.devices, what="executor 'ray': option 'devices'")
            for slot in range(len(options.devices) or 1):  # the distinct requests
                require_fit(self._ray, actor_request(options, slot), what="executor 'ray'")
            self._remote = self._ray.remote(EvaluationActor)
            for slot in range(self.capacity):
                self._actors.append(None)
                self._start(slot)
        except BaseException:
            for actor in filter(None, self._actors):
                self._ray.kill(actor)
            self._connection.close()
            raise
        self._queued: deque[Piece] = deque()
        self._running: dict[Any, tuple[int, Any, Piece]] = {}  # object ref -> (slot, its actor, piece)
        self._turn = 0  # the slot to try first
        self._dispatcher = threading.Thread(target=self._dispatch, name="hwnas-ray-dispatcher", daemon=True)
        self._dispatcher.start()

    @staticmethod
    def preflight(options: RayOptions) -> None:
        """Checked when the run is planned, before its folder is made: Ray is installed (else one line naming the
        extra). Joining the cluster waits for the run itself."""
        import_ray(WHAT)

    def submit(self, batch: EvaluationBatch) -> Future[list[Outcome]]:
        future: Future[list[Outcome]] = Future()
        self._events.put(("job", BatchJob(batch, future, max_retries=self._options.max_retries)))
        return future

    def close(self) -> None:
        self._events.put(None)
        self._dispatcher.join()
        for actor in self._actors:
            if actor is not None:
                self._ray.kill(actor)
        self._connection.close()

    def _start(self, slot: int) -> None:
        """A new actor in ``slot``: it takes batches once it answers, and must answer within placement_timeout."""
        request = actor_request(self._options, slot)
        cpus, gpus = request.pop("CPU"), request.pop("GPU")
        handle = self._remote.options(num_cpus=cpus, num_gpus=gpus, resources=request)
        actor = handle.remote(self._specs, slot, self._options.threads, os.environ.get(PLUGINS_ENV))
        self._actors[slot] = actor
        self._ready.discard(slot)
        self._deadlines[slot] = time.monotonic() + self._options.placement_timeout
        ref = actor.ready.remote()
        ref.future().add_done_callback(lambda _: self._events.put(("ready", (slot, actor, ref))))

    def _dispatch(self) -> None:
        """Until closed: queue a submitted job's first piece, settle a finished one, or take note of a started actor;
        give up actors past their placement deadline; then start queued pieces on free actors. Jobs still queued or
        running when the executor closes are cancelled. Should the dispatcher itself fail (Ray refusing a call, or
        no actor left), every job waiting and every job submitted later fails with that error, so the run stops on
        it instead of waiting forever."""
        try:
            while (event := self._next_event()) is not None:
                kind, item = event
                if kind == "job":
                    self._queued.extend(item.whole())
                elif kind == "done":
                    self._settle(item)
                elif kind == "ready":
                    self._started(*item)
                self._expire()
                self._start_queued()
        except Exception as exc:
            self._fail_all(exc)
            return
        for job in self._waiting():
            job.future.cancel()

    def _next_event(self) -> tuple[str, Any] | None:
        """The next event, or a tick when the nearest placement deadline passes first."""
        if not self._deadlines:
            return self._events.get()
        try:
            return self._events.get(timeout=max(0.0, min(self._deadlines.values()) - time.monotonic()))
        except queue.Empty:
            return ("tick", None)

    def _waiting(self) -> list[BatchJob]:
        pieces = [*self._queued, *(piece for _, _, piece in self._running.values())]
        return list({id(piece.job): piece.job for piece in pieces}.values())

    def _fail_all(self, exc: Exception) -> None:
        for job in self._waiting():
            if not job.future.done():
                job.future.set_exception(exc)
        while (event := self._events.get()) is not None:  # until close(): what is submitted meanwhile fails too
            if event[0] == "job":
                event[1].future.set_exception(exc)

    def _start_queued(self) -> None:
        """Queued pieces to free started actors, taking turns from the one after the last used (every actor gets
        work, and warms up, even when batches finish faster than they are submitted). Pieces of a job that already
        failed are dropped. One piece per actor at a time: a piece queued inside a busy actor would wait for it, and
        die with it when the piece before it kills its worker."""
        busy = {slot for slot, _, _ in self._running.values()}
        first = self._turn
        for turn in range(self.capacity):  # each slot once
            slot = (first + turn) % self.capacity
            while self._queued and self._queued[0].job.future.done():
                self._queued.popleft()
            if not self._queued:
                return
            if slot in busy or slot not in self._ready:
                continue
            self._turn = slot + 1
            piece = self._queued.popleft()
            actor = self._actors[slot]
            ref = actor.evaluate.remote(piece.batch)
            self._running[ref] = (slot, actor, piece)
            ref.future().add_done_callback(lambda _, ref=ref: self._events.put(("done", ref)))

    def _settle(self, ref: Any) -> None:
        slot, actor, piece = self._running.pop(ref)
        job = piece.job
        try:
            job.finished(piece, self._ray.get(ref))
        except self._lost_errors as exc:
            if self._actors[slot] is actor:
                self._replace(slot)
            self._queued.extendleft(reversed(job.died(piece, first_line(exc))))  # first in line, in batch order
        except self._ray.exceptions.RayTaskError as exc:  # raised by the evaluators' code there: stops the run
            cause = exc.cause
            _fail(job, cause if isinstance(cause, Exception) else exc)
        except Exception as exc:
            _fail(job, exc)

    def _started(self, slot: int, actor: Any, ref: Any) -> None:
        """``slot``'s actor answered (placed and started) or died first; a stale answer (a replaced actor's) is ignored.
        Actors that keep dying before they answer are given up after max_retries + 1 in a row."""
        if self._actors[slot] is not actor:
            return
        try:
            self._ray.get(ref)
        except self._lost_errors as exc:
            self._failed_starts[slot] += 1
            if self._failed_starts[slot] > self._options.max_retries:
                self._retire(slot, f"died {self._failed_starts[slot]} times before it started; last: {first_line(exc)}")
            else:
                self._replace(slot)
            return
        self._failed_starts[slot] = 0
        self._deadlines.pop(slot, None)
        self._ready.add(slot)

    def _expire(self) -> None:
        """Give up actors not placed by their deadline; fail everything once no actor is left."""
        now = time.monotonic()
        for slot in [slot for slot, deadline in self._deadlines.items() if deadline <= now]:
            request = actor_request(self._options, slot)
            self._retire(slot, placement_failure(self._ray, request, self._options.placement_timeout))
        if len(self._retired) == self.capacity:
            reasons = "; ".join(f"actor {slot}: {why}" for slot, why in sorted(self._retired.items()))
            raise ClusterError(f"{WHAT}: no evaluation actor is left ({reasons})")

    def _retire(self, slot: int, why: str) -> None:
        """``slot`` takes no more batches (the others go on); it never held one, it had not started."""
        self._ray.kill(self._actors[slot])
        self._actors[slot] = None
        self._deadlines.pop(slot, None)
        self._ready.discard(slot)
        self._retired[slot] = why
        log.warning("%s: actor %d (%s) given up: %s", WHAT, slot, asked(self._options, slot), why)

    def _replace(self, slot: int) -> None:
        self._ray.kill(self._actors[slot])  # a no-op for a dead actor; ends one that is only unreachable
        self._start(slot)


def _fail(job: BatchJob, exc: Exception) -> None:
    if not job.future.done():
        job.future.set_exception(exc)
