"""The evaluator contract (archs -> metrics, batched), the analytic evaluator, and the evaluator registry.

Evaluators are the seam between search and everything that measures or predicts: later issues register
"latency", "supernet", "llm" and "bench" evaluators here (or from a plugin module, see
:mod:`hwnas.search.plugins`) without touching the run loop.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol, TypeAlias, runtime_checkable

from hwnas.core.arch import Arch
from hwnas.core.errors import HwnasError, UnknownNameError
from hwnas.core.space import SearchSpace
from hwnas.search.plugins import load_plugins


@runtime_checkable
class Evaluator(Protocol):
    """Turns archs into metrics. ``metrics`` names what ``evaluate`` returns for every arch; ``cheap`` says whether
    it costs about as little as drawing an arch (then constraints on its metrics are checked before any other
    evaluation, and searchers redraw candidates that violate them)."""

    metrics: tuple[str, ...]
    cheap: bool

    def evaluate(self, archs: Sequence[Arch]) -> list[dict[str, float]]:
        """One metrics dict per arch, in order. Raising fails the batch (the loop then retries archs one by one
        so that only the culprit becomes a failed record)."""
        ...


EvaluatorFactory: TypeAlias = Callable[[SearchSpace], Evaluator]


class AnalyticEvaluator:
    """Parameter counts and FLOPs/MACs computed from the arch alone (:func:`hwnas.metrics.analytic_metrics`).

    ``metrics`` holds the four common keys plus the extras the space's family reports (e.g. ``flops_encoder``),
    read off the space's smallest arch, so constraints and objectives may use any of them.
    """

    cheap: bool = True

    def __init__(self, space: SearchSpace) -> None:
        from hwnas.metrics import ANALYTIC_METRICS, analytic_metrics

        self.space = space
        try:
            extras = [k for k in analytic_metrics(space.smallest(), space) if k not in ANALYTIC_METRICS]
        except HwnasError:  # a family without analytic metrics: evaluating says so, with the reason
            extras = []
        self.metrics: tuple[str, ...] = (*ANALYTIC_METRICS, *extras)

    def evaluate(self, archs: Sequence[Arch]) -> list[dict[str, float]]:
        from hwnas.metrics import analytic_metrics

        return [{k: float(v) for k, v in analytic_metrics(arch, self.space).items()} for arch in archs]


_EVALUATORS: dict[str, EvaluatorFactory] = {"analytic": AnalyticEvaluator}


def register_evaluator(name: str, factory: EvaluatorFactory) -> None:
    """Make ``factory`` available as ``--evaluator NAME`` (re-registering a name replaces it)."""
    _EVALUATORS[name] = factory


def evaluator_names() -> list[str]:
    load_plugins()
    return sorted(_EVALUATORS)


def make_evaluator(name: str, space: SearchSpace) -> Evaluator:
    load_plugins()
    if name not in _EVALUATORS:
        raise UnknownNameError("evaluator", name, list(_EVALUATORS))
    return _EVALUATORS[name](space)
