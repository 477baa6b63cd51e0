"""What every executor shares: running one batch through its evaluators (:func:`evaluate_chain`), and the default
executor, :class:`SerialExecutor`, which does it in this process, one batch after the other."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import Future

from hwnas.contracts.evaluator import Evaluator, Outcome, evaluate_outcomes
from hwnas.contracts.executor import EvaluationBatch, EvaluatorSpec
from hwnas.contracts.options import NoOptions
from hwnas.core.arch import Arch
from hwnas.search.evaluator import spec_evaluator


def evaluate_chain(
    evaluators: Sequence[Evaluator], archs: Sequence[Arch], known: Sequence[Mapping[int, Mapping[str, float]]] = ()
) -> list[Outcome]:
    """One outcome per arch: each evaluator in turn on the archs that have not failed yet (a failed arch costs no
    further evaluator), metrics merged in evaluator order. A cheap evaluator whose metrics every pending arch
    already has in ``known`` is not called again."""
    metrics: list[dict[str, float]] = [{} for _ in archs]
    errors: list[str | None] = [None for _ in archs]
    for index, evaluator in enumerate(evaluators):
        pending = [i for i in range(len(archs)) if errors[i] is None]
        memo = [known[i] if known else {} for i in pending]
        if evaluator.cheap and all(index in m for m in memo):
            outcomes = [Outcome(dict(m[index])) for m in memo]
        else:
            outcomes = evaluate_outcomes(evaluator, [archs[i] for i in pending])
        for i, outcome in zip(pending, outcomes, strict=True):
            metrics[i].update(outcome.metrics)
            errors[i] = outcome.error
    return [Outcome(values, error) for values, error in zip(metrics, errors, strict=True)]


class SerialExecutor:
    """Evaluates each batch when it is submitted, in this process. An evaluator given several devices has one
    instance per device (the first is the one the run built), and batches take turns over them."""

    capacity = 1  # batches worth keeping in flight: one, it is done when submitted

    def __init__(
        self,
        specs: Sequence[EvaluatorSpec],
        local: Mapping[str, Evaluator],
        options: NoOptions | None = None,
    ) -> None:
        self._specs = {spec.name: spec for spec in specs}
        self._instances: dict[tuple[str, int], Evaluator] = {(name, 0): e for name, e in local.items()}
        self._turn = 0

    def submit(self, batch: EvaluationBatch) -> Future[list[Outcome]]:
        future: Future[list[Outcome]] = Future()
        turn, self._turn = self._turn, self._turn + 1
        try:
            evaluators = [self._instance(name, turn) for name in batch.evaluators]
            future.set_result(evaluate_chain(evaluators, batch.archs, batch.known))
        except Exception as exc:  # e.g. an evaluator that cannot be built on its device: the run stops on it
            future.set_exception(exc)
        return future

    def _instance(self, name: str, turn: int) -> Evaluator:
        spec = self._specs.get(name)
        key = (name, turn % spec.replicas if spec is not None else 0)
        if key not in self._instances:
            if spec is None:
                raise KeyError(f"executor has no evaluator {name!r}")
            self._instances[key] = spec_evaluator(spec, key[1])
        return self._instances[key]

    def close(self) -> None:
        self._instances.clear()
