"""Screening archs against constraints with evaluators, before anything expensive runs: the one helper the search
loop (cheap constraints, so searchers redraw violators) and the LLM generator (proposals that break a constraint
are dropped) share, so "meets the constraints" is computed and decided the same way in both.
"""

from __future__ import annotations

from collections.abc import Sequence

from hwnas.contracts.evaluator import Evaluator, evaluate_outcomes
from hwnas.core.arch import Arch
from hwnas.core.objectives import Constraint


class ConstraintScreen:
    """Checks archs against the ``constraints`` that the screening evaluators answer: the cheap ones of
    ``evaluators`` (all of them with ``cheap_only=False``). Only the evaluators those constraints need run, on one
    arch (:meth:`verdict`) or a batch (:meth:`verdicts`, one call per evaluator), and their metrics are kept per arch,
    so each is computed once and can be reused by the evaluation.

    ``constraints`` on metrics no screening evaluator reports are left out (:attr:`constraints` holds the rest):
    they are checked after the full evaluation."""

    def __init__(
        self, constraints: Sequence[Constraint], evaluators: Sequence[Evaluator], *, cheap_only: bool = True
    ) -> None:
        usable = [(i, e) for i, e in enumerate(evaluators) if e.cheap or not cheap_only]
        provided = {m for _, e in usable for m in e.metrics}
        self.constraints: tuple[Constraint, ...] = tuple(c for c in constraints if c.metric in provided)
        needed = {c.metric for c in self.constraints}
        # (position in ``evaluators``, evaluator) of those the constraints need
        self.gates = [(i, e) for i, e in usable if needed & set(e.metrics)]
        self._memo: dict[str, dict[int, dict[str, float]] | None] = {}

    def metrics_by_evaluator(self, arch: Arch) -> dict[int, dict[str, float]] | None:
        """The gates' metrics of ``arch`` by evaluator position, computed once; None when one of them failed."""
        if arch.arch_id not in self._memo:
            found: dict[int, dict[str, float]] = {}
            for index, evaluator in self.gates:
                outcome = evaluate_outcomes(evaluator, [arch])[0]
                if not outcome.ok:
                    break
                found[index] = dict(outcome.metrics)
            self._memo[arch.arch_id] = found if len(found) == len(self.gates) else None
        return self._memo[arch.arch_id]

    def prime(self, archs: Sequence[Arch]) -> None:
        """Compute the gates' metrics of every arch not seen yet, each gate asked once for the whole batch: the same
        memo :meth:`metrics_by_evaluator` fills one arch at a time (an arch whose gate fails is asked no further)."""
        pending = list({a.arch_id: a for a in archs if a.arch_id not in self._memo}.values())
        found: dict[str, dict[int, dict[str, float]]] = {a.arch_id: {} for a in pending}
        for index, evaluator in self.gates:
            for arch, outcome in zip(pending, evaluate_outcomes(evaluator, pending), strict=True):
                if outcome.ok:
                    found[arch.arch_id][index] = dict(outcome.metrics)
                else:
                    self._memo[arch.arch_id] = None
            pending = [a for a in pending if a.arch_id not in self._memo]
        for arch in pending:
            self._memo[arch.arch_id] = found[arch.arch_id]

    def verdicts(self, archs: Sequence[Arch]) -> list[bool | None]:
        """:meth:`verdict` of every arch, the gates asked once per batch."""
        if self.constraints:
            self.prime(archs)
        return [self.verdict(arch) for arch in archs]

    def known(self, arch: Arch) -> dict[int, dict[str, float]]:
        """The gates' metrics of ``arch`` computed so far, by evaluator position (computes nothing)."""
        return dict(self._memo.get(arch.arch_id) or {})

    def metrics(self, arch: Arch) -> dict[str, float] | None:
        """The gates' metrics of ``arch`` merged; None when one of them failed."""
        by_evaluator = self.metrics_by_evaluator(arch)
        if by_evaluator is None:
            return None
        return {k: v for values in by_evaluator.values() for k, v in values.items()}

    def verdict(self, arch: Arch) -> bool | None:
        """True when ``arch`` meets every screened constraint, False when it breaks one, None when its metrics
        could not be computed (the caller decides: search lets it through to fail visibly as a failed record,
        the generator drops it)."""
        if not self.constraints:
            return True
        metrics = self.metrics(arch)
        if metrics is None:
            return None
        return all(c.check(metrics) for c in self.constraints)
