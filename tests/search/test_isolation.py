"""The bisection that finds an arch killing its worker (hwnas.search.isolation), without Ray: a simulated worker
that dies whenever its piece holds a poison arch. Every arch is settled once, in batch order; the innocent ones get
their own outcome; the poison ones fail naming the deaths; the launches stay within the documented bounds."""

from __future__ import annotations

import math
from collections import deque
from concurrent.futures import Future

import numpy as np
import pytest

from hwnas.contracts.evaluator import Outcome
from hwnas.contracts.executor import EvaluationBatch
from hwnas.core.arch import Arch
from hwnas.search.isolation import BatchJob
from hwnas.spaces import get_space


def _archs(size: int) -> tuple[Arch, ...]:
    space, rng = get_space("hat-wmt14ende"), np.random.default_rng(size)
    archs = tuple(space.sample(rng) for _ in range(size))
    assert len({a.arch_id for a in archs}) == size
    return archs


def _simulate(size: int, poison: set[int], retries: int) -> tuple[list[Outcome], list[int]]:
    """Run a batch of ``size`` archs to the end; (its outcomes, the size of every piece launched)."""
    archs = _archs(size)
    index = {arch.arch_id: i for i, arch in enumerate(archs)}
    known = tuple({0: {"k": float(i)}} for i in range(size))
    future: Future[list[Outcome]] = Future()
    job = BatchJob(EvaluationBatch(("e",), archs, known), future, max_retries=retries)
    queue, launches = deque(job.whole()), []
    while queue:
        piece = queue.popleft()
        launches.append(len(piece))
        positions = [index[arch.arch_id] for arch in piece.batch.archs]
        assert [k[0]["k"] for k in piece.batch.known] == positions  # known travels with its arch
        if poison & set(positions):
            queue.extendleft(reversed(job.died(piece, "RayActorError: killed")))
        else:
            job.finished(piece, [Outcome({"i": float(i)}) for i in positions])
    assert future.done()
    return future.result(), launches


@pytest.mark.parametrize("size", [1, 2, 3, 5, 8, 13])
@pytest.mark.parametrize("retries", [0, 1, 3])
def test_one_poison_arch_fails_alone_within_the_bound(size: int, retries: int) -> None:
    victim = size // 2
    outcomes, launches = _simulate(size, {victim}, retries)
    assert [o.metrics.get("i") for o in outcomes] == [None if i == victim else float(i) for i in range(size)]
    error = outcomes[victim].error
    assert error is not None and f"max_retries={retries}); last: RayActorError: killed" in error
    depth = math.ceil(math.log2(size)) if size > 1 else 0
    deaths = int(error.split(" times")[0].rsplit(" ", 1)[1])
    assert retries + 1 <= deaths <= max(retries, depth) + 1
    assert len(launches) <= deaths + depth  # the deaths, and one launch per innocent half beside the victim


@pytest.mark.parametrize("size", [1, 2, 3, 4, 7, 8, 16])
@pytest.mark.parametrize("retries", [0, 1, 3, 5])
def test_when_every_arch_kills_its_worker_the_launches_stay_bounded(size: int, retries: int) -> None:
    outcomes, launches = _simulate(size, set(range(size)), retries)
    assert all(not o.ok and "a worker died evaluating this arch" in (o.error or "") for o in outcomes)
    assert len(launches) == _tree(size, 0, retries)  # each piece of several once, each arch alone until lost
    bound = (size - 1) + size * max(1, retries + 1 - math.floor(math.log2(size)))
    assert len(launches) <= bound <= size * (retries + 2) - 1
    if size & (size - 1) == 0:
        assert len(launches) == bound  # reached when the halves are even


def _tree(size: int, depth: int, retries: int) -> int:
    if size == 1:
        return max(1, retries + 1 - depth)
    return 1 + _tree(size // 2, depth + 1, retries) + _tree(size - size // 2, depth + 1, retries)


def test_a_death_with_no_poison_loses_nothing() -> None:
    future: Future[list[Outcome]] = Future()
    job = BatchJob(EvaluationBatch(("e",), _archs(4)), future, max_retries=0)
    halves = job.died(job.whole()[0], "NodeDiedError: gone")  # a node lost once, with no arch at fault
    assert [len(h) for h in halves] == [2, 2] and halves[0].batch.known == ()
    for half in reversed(halves):  # finish out of order: the outcomes stay in batch order
        job.finished(half, [Outcome({"at": float(half.start + k)}) for k in range(len(half))])
    assert [o.metrics["at"] for o in future.result()] == [0.0, 1.0, 2.0, 3.0]
    empty: Future[list[Outcome]] = Future()
    assert BatchJob(EvaluationBatch(("e",), ()), empty, max_retries=1).whole() == [] and empty.result() == []
