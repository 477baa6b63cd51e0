"""Turns asked archs into records: cheap constraints first, then the journal, then batched evaluation of the misses.

Every arch is evaluated at most once per run (per phase of a fitness schedule: one service per phase): outcomes
already in the journal (from an earlier, killed session) are reused, and each new outcome is journaled before the
searcher hears of it. An evaluator exception fails only the archs it concerns (the batch is retried one arch at a
time to find them), never the run.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hwnas.core.arch import Arch
from hwnas.core.objectives import Constraint
from hwnas.search.evaluator import Evaluator
from hwnas.search.journal import Journal
from hwnas.search.records import Record, Scorer

Outcome = tuple[dict[str, float], str | None]  # (metrics, error text or None)


@dataclass(frozen=True)
class Batch:
    """The records of one ask (in asked order, archs dropped by the budget left out) and whether the budget is spent."""

    records: list[Record]
    budget_spent: bool


class EvaluationService:
    def __init__(
        self,
        *,
        evaluators: Sequence[Evaluator],
        scorer: Scorer,
        journal: Journal | None = None,
        known: Mapping[str, Outcome] | None = None,
        batch_size: int = 64,
        max_evaluations: int | None = None,
        phase: int | None = None,
    ) -> None:
        self.evaluators, self.scorer, self.journal = list(evaluators), scorer, journal
        self.batch_size, self.max_evaluations = batch_size, max_evaluations
        self.phase = phase  # written into the journal's eval entries of a scheduled run (None: left out)
        self.outcomes: dict[str, Outcome] = dict(known or {})
        self.cheap_constraints = _cheap_constraints(scorer.constraints, self.evaluators)
        # The cheap evaluators the constraint checks need (run one arch at a time); other cheap ones, e.g. a cheap
        # fitness predictor, are left to the batched evaluation.
        constrained = {c.metric for c in self.cheap_constraints}
        self._gates = [(i, e) for i, e in enumerate(self.evaluators) if e.cheap and constrained & set(e.metrics)]
        self._cheap: dict[str, dict[int, dict[str, float]] | None] = {}  # arch_id -> cheap evaluator index -> metrics
        self.used: dict[str, Arch] = {}  # the run's evaluated archs, in first-use order (counts against the budget)
        self.records: dict[str, Record] = {}
        self.filtered: set[str] = set()
        self.new_evaluations = 0  # evaluated in this process (not taken from the journal)

    # cheap constraints --------------------------------------------------------------------------------------------
    def cheap_metrics(self, arch: Arch) -> dict[str, float] | None:
        """Metrics of the cheap evaluators that cheap constraints use, memoised; None when one of them raises (the
        arch then fails later)."""
        by_evaluator = self._cheap_by_evaluator(arch)
        if by_evaluator is None:
            return None
        return {k: v for metrics in by_evaluator.values() for k, v in metrics.items()}

    def _cheap_by_evaluator(self, arch: Arch) -> dict[int, dict[str, float]] | None:
        if arch.arch_id not in self._cheap:
            try:
                self._cheap[arch.arch_id] = {i: _checked(e, [arch])[0] for i, e in self._gates}
            except Exception:
                self._cheap[arch.arch_id] = None
        return self._cheap[arch.arch_id]

    def is_cheap_feasible(self, arch: Arch) -> bool:
        """The searchers' ``feasible`` callback. An arch whose cheap metrics cannot be computed passes, so that its
        evaluation fails visibly as a failed record instead of being silently redrawn."""
        if not self.cheap_constraints:
            return True
        metrics = self.cheap_metrics(arch)
        return metrics is None or all(c.check(metrics) for c in self.cheap_constraints)

    # evaluation ---------------------------------------------------------------------------------------------------
    def evaluate(self, archs: Sequence[Arch]) -> Batch:
        included: list[Arch] = []
        spent = False
        for arch in archs:
            if not self.is_cheap_feasible(arch):
                self.filtered.add(arch.arch_id)
                included.append(arch)
            elif arch.arch_id in self.used or not self._budget_spent():
                self.used.setdefault(arch.arch_id, arch)
                included.append(arch)
            else:
                spent = True
        misses = [a for a in _unique(included) if a.arch_id in self.used and a.arch_id not in self.outcomes]
        for start in range(0, len(misses), self.batch_size):
            self._evaluate_chunk(misses[start : start + self.batch_size])
        records = [self._record(arch) for arch in included]
        return Batch(records, spent or self._budget_spent())

    def evaluated_records(self) -> list[Record]:
        """Records of every arch evaluated in this run (journal hits included), in first-use order."""
        return [self.records[arch_id] for arch_id in self.used]

    def counts(self) -> dict[str, int]:
        statuses = [r.status for r in self.evaluated_records()]
        return {
            "evaluations": len(statuses),
            "feasible": statuses.count("ok"),
            "infeasible": statuses.count("infeasible"),
            "failed": statuses.count("failed"),
            "filtered": len(self.filtered),
        }

    def _budget_spent(self) -> bool:
        return self.max_evaluations is not None and len(self.used) >= self.max_evaluations

    def _record(self, arch: Arch) -> Record:
        if arch.arch_id not in self.used:
            return self.scorer.unevaluated(arch, self.cheap_metrics(arch) or {})
        if arch.arch_id not in self.records:
            metrics, error = self.outcomes[arch.arch_id]
            self.records[arch.arch_id] = self.scorer.record(arch, metrics, error)
        return self.records[arch.arch_id]

    def _evaluate_chunk(self, chunk: list[Arch]) -> None:
        metrics: list[dict[str, float]] = [{} for _ in chunk]
        errors: list[str | None] = [None for _ in chunk]
        for index, evaluator in enumerate(self.evaluators):
            pending = [i for i in range(len(chunk)) if errors[i] is None]  # a failed arch costs no further evaluator
            for i, (values, error) in zip(
                pending, self._run(index, evaluator, [chunk[i] for i in pending]), strict=True
            ):
                metrics[i].update(values)
                errors[i] = error
        entries: list[dict[str, Any]] = []
        phase = {} if self.phase is None else {"phase": self.phase}
        for arch, values, error in zip(chunk, metrics, errors, strict=True):
            self.outcomes[arch.arch_id] = (values, error)
            entries.append(
                {"kind": "eval", "arch_id": arch.arch_id, **phase, "arch": arch.to_dict(), "metrics": values}
                | {"error": error}
            )
        self.new_evaluations += len(chunk)
        if self.journal is not None:
            self.journal.append_many(entries)

    def _run(self, index: int, evaluator: Evaluator, chunk: list[Arch]) -> list[Outcome]:
        """Outcomes of one evaluator on a chunk; a cheap one's come from the memo filled by the constraint checks."""
        memo = [self._cheap.get(a.arch_id) or {} for a in chunk]
        if evaluator.cheap and all(index in m for m in memo):
            return [(dict(m[index]), None) for m in memo]
        try:
            return [(values, None) for values in _checked(evaluator, chunk)]
        except Exception as exc:
            if len(chunk) == 1:
                return [({}, _describe(evaluator, exc))]
            return [_outcome_of_one(evaluator, arch) for arch in chunk]


def _checked(evaluator: Evaluator, archs: list[Arch]) -> list[dict[str, float]]:
    results = evaluator.evaluate(archs)
    if len(results) != len(archs):
        raise ValueError(f"evaluator returned {len(results)} results for {len(archs)} archs")
    return [_as_floats(r) for r in results]


def _outcome_of_one(evaluator: Evaluator, arch: Arch) -> Outcome:
    try:
        return _checked(evaluator, [arch])[0], None
    except Exception as exc:  # a failed evaluation is a failed record, not a crash
        return {}, _describe(evaluator, exc)


def _describe(evaluator: Evaluator, exc: Exception) -> str:
    return f"{type(evaluator).__name__}: {type(exc).__name__}: {exc}"


def _as_floats(values: Mapping[str, Any]) -> dict[str, float]:
    return {str(k): float(v) for k, v in values.items()}


def _unique(archs: Iterable[Arch]) -> list[Arch]:
    return list({a.arch_id: a for a in archs}.values())


def _cheap_constraints(constraints: Sequence[Constraint], evaluators: Sequence[Evaluator]) -> tuple[Constraint, ...]:
    cheap_metrics = {m for e in evaluators if e.cheap for m in e.metrics}
    return tuple(c for c in constraints if c.metric in cheap_metrics)
