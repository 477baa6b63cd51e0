"""The executor contract: who runs evaluation batches. The run loop hands an executor batches (archs plus the names of
the evaluators to run on them) and gets back futures of one :class:`~hwnas.contracts.evaluator.Outcome` per arch;
it may keep several batches in flight and still journals their outcomes in asked order, so resume and
``result.json`` do not depend on which batch finished first.

An executor that runs evaluators in other processes (or machines) rebuilds them there from their
:class:`EvaluatorSpec` (picklable: name, options, space, devices) and keeps them across batches. A new executor is
one class registered in :data:`EXECUTORS`; the loop and the journal do not change.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeAlias

from hwnas.contracts.evaluator import Evaluator, Outcome
from hwnas.contracts.registry import Registry
from hwnas.core.arch import Arch


@dataclass(frozen=True)
class EvaluatorSpec:
    """How to build one evaluator of a run in any process. ``options`` are validated, JSON-valued options;
    ``devices`` (when given) makes one instance per device, each with ``options["device"]`` set to its device."""

    name: str
    space: str  # the run's space: a built-in name or a YAML path (rebuilt with hwnas.spaces.get_space)
    options: Mapping[str, Any] = field(default_factory=dict)
    devices: tuple[str, ...] = ()

    @property
    def replicas(self) -> int:
        return max(1, len(self.devices))

    def options_for(self, replica: int) -> dict[str, Any]:
        """The options of instance ``replica`` (instances are spread over the devices round-robin)."""
        if not self.devices:
            return dict(self.options)
        return {**self.options, "device": self.devices[replica % len(self.devices)]}


@dataclass(frozen=True)
class EvaluationBatch:
    """One unit of work: ``archs`` through the evaluators named in ``evaluators``, in that order (an arch that fails
    one is not given to the next). ``known[i]`` holds, for arch ``i``, metrics already computed by some of them
    (keyed by position in ``evaluators``; the cheap evaluators the constraint checks ran), which are reused."""

    evaluators: tuple[str, ...]
    archs: tuple[Arch, ...]
    known: tuple[Mapping[int, Mapping[str, float]], ...] = ()


class Executor(Protocol):
    capacity: int
    """How many batches the loop should keep in flight (1 for an executor that evaluates when a batch is submitted;
    the worker count for a pool)."""

    def submit(self, batch: EvaluationBatch) -> Future[list[Outcome]]:
        """Start evaluating ``batch``; the future holds one outcome per arch, in order."""
        ...

    def close(self) -> None:
        """Release workers (the run calls it once, also when it stops on an error)."""
        ...


ExecutorFactory: TypeAlias = Callable[[Sequence[EvaluatorSpec], Mapping[str, Evaluator], Any], Executor]
"""Called as ``factory(specs, local, options)``: ``local`` maps each spec's name to the instance the run already
built in this process (its first replica), which an in-process executor reuses; ``options`` is the validated
instance of the options model the executor registered."""

EXECUTORS: Registry[ExecutorFactory] = Registry("executor", providers=("hwnas.search.components",))


def preflight_executor(name: str, options: Any) -> None:
    """What a run checks before it writes anything: the factory's ``preflight(options)``, where it has one (e.g.
    the ``ray`` executor: Ray is installed), raising a one-line error; building the executor may take longer (the
    ``ray`` executor joins a cluster) and happens when the run starts."""
    check = getattr(EXECUTORS.get(name), "preflight", None)
    if callable(check):
        check(options)
