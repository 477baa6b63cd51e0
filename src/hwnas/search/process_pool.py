"""The ``process`` executor: a local pool of worker processes evaluating batches in parallel.

Each worker builds the run's evaluators from their specs (name, options, space; picklable) the first time a batch
needs them and keeps them for every later batch, so a supernet is loaded once per worker, not per batch. Worker
``k`` uses device ``k mod len(devices)`` of an evaluator given several devices. Workers start with ``spawn`` by
default (safe with CUDA and threads) and inherit ``HWNAS_PLUGINS``, so plugin evaluators work there too; an
evaluator registered in-process only (not from a plugin module) does not exist in a spawned worker.
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import os
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from typing import Any, Literal

from pydantic import Field

from hwnas.contracts.evaluator import Evaluator, Outcome
from hwnas.contracts.executor import EvaluationBatch, EvaluatorSpec
from hwnas.contracts.options import Options
from hwnas.search.evaluator import spec_evaluator
from hwnas.search.executors import evaluate_chain

THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


class ProcessOptions(Options):
    workers: int = Field(2, ge=1, description="worker processes (batches evaluated at once)")
    threads: int = Field(1, ge=1, description="BLAS / torch threads per worker (workers x threads <= cores)")
    start_method: Literal["spawn", "forkserver", "fork"] = Field(
        "spawn", description="how workers start (fork is faster but unsafe once torch or CUDA is initialised)"
    )


class ProcessPoolExecutor:
    """Batches go to ``options.workers`` processes; the loop keeps that many in flight."""

    def __init__(self, specs: Sequence[EvaluatorSpec], local: Mapping[str, Evaluator], options: ProcessOptions) -> None:
        context = multiprocessing.get_context(options.start_method)
        counter = context.Value("i", 0)
        self.capacity = options.workers
        self._pool = concurrent.futures.ProcessPoolExecutor(
            max_workers=options.workers,
            mp_context=context,
            initializer=_start_worker,
            initargs=(tuple(specs), counter, options.threads),
        )

    def submit(self, batch: EvaluationBatch) -> Future[list[Outcome]]:
        return self._pool.submit(_run_batch, batch)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


_worker: dict[str, Any] = {}  # this worker process's specs, index and evaluators (one pool per process)


def _start_worker(specs: tuple[EvaluatorSpec, ...], counter: Any, threads: int) -> None:
    for variable in THREAD_VARIABLES:
        os.environ[variable] = str(threads)
    with counter.get_lock():
        index = int(counter.value)
        counter.value += 1
    _worker.update(specs={s.name: s for s in specs}, index=index, threads=threads, instances={})


def _run_batch(batch: EvaluationBatch) -> list[Outcome]:
    evaluators = [_instance(name) for name in batch.evaluators]
    return evaluate_chain(evaluators, batch.archs, batch.known)


def _instance(name: str) -> Evaluator:
    instances: dict[str, Evaluator] = _worker["instances"]
    if name not in instances:
        limit_torch_threads(int(_worker["threads"]))
        spec: EvaluatorSpec = _worker["specs"][name]
        instances[name] = spec_evaluator(spec, int(_worker["index"]) % spec.replicas)
    return instances[name]


def limit_torch_threads(threads: int) -> None:
    """The thread variables cover a torch imported later; a torch the worker already has (forked from a parent that
    imported it) is told directly."""
    import sys

    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(threads)
