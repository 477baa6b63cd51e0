"""The ``analytic`` evaluator: parameter counts and FLOPs/MACs computed from the arch alone, the cheapest metrics a
search has (constraints on them are checked before anything else runs)."""

from __future__ import annotations

from collections.abc import Sequence

from hwnas.contracts.options import NoOptions
from hwnas.core.arch import Arch
from hwnas.core.errors import HwnasError
from hwnas.core.space import SearchSpace


class AnalyticEvaluator:
    """Analytic metrics (:func:`hwnas.metrics.analytic_metrics`) of each arch.

    ``metrics`` holds the four common keys plus the extras the space's family reports (e.g. ``flops_encoder``),
    read off the space's smallest arch, so constraints and objectives may use any of them.
    """

    cheap: bool = True

    def __init__(self, space: SearchSpace, options: NoOptions | None = None) -> None:
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
