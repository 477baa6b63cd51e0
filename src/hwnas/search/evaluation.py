"""Turns asked archs into records: cheap constraints first, then the journal, then batched evaluation of the misses.

Every arch is evaluated at most once per run (per phase of a fitness schedule: one service per phase): outcomes
already in the journal (from an earlier, killed session) are reused, and each new outcome is journaled before the
searcher hears of it. Misses go to the executor in batches, several in flight when it can run them at once; their
outcomes are journaled in asked order whichever batch finishes first, so the journal (and a resumed run) does not
depend on timing. An evaluator's failure on an arch fails only that arch's record, never the batch or the run.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from hwnas.contracts.evaluator import Evaluator, Outcome
from hwnas.contracts.executor import EvaluationBatch, Executor
from hwnas.contracts.screening import ConstraintScreen
from hwnas.core.arch import Arch
from hwnas.search.executors import SerialExecutor
from hwnas.search.journal import Journal
from hwnas.search.records import Record, Scorer


@dataclass(frozen=True)
class Batch:
    """The records of one ask (in asked order, archs dropped by the budget left out) and whether the budget is spent."""

    records: list[Record]
    budget_spent: bool


class EvaluationService:
    """``evaluators`` (named ``names``, by default their positions) run through ``executor`` (by default in this
    process)."""

    def __init__(
        self,
        *,
        evaluators: Sequence[Evaluator],
        scorer: Scorer,
        names: Sequence[str] | None = None,
        executor: Executor | None = None,
        journal: Journal | None = None,
        known: Mapping[str, Outcome] | None = None,
        batch_size: int = 64,
        max_evaluations: int | None = None,
        phase: int | None = None,
    ) -> None:
        self.evaluators, self.scorer, self.journal = list(evaluators), scorer, journal
        self.names = tuple(names) if names is not None else tuple(str(i) for i in range(len(self.evaluators)))
        self.executor = executor or SerialExecutor([], dict(zip(self.names, self.evaluators, strict=True)))
        self.batch_size, self.max_evaluations = batch_size, max_evaluations
        self.phase = phase  # written into the journal's eval entries of a scheduled run (None: left out)
        self.outcomes: dict[str, Outcome] = dict(known or {})
        # The cheap evaluators the constraint checks need run one arch at a time, before anything else; their
        # metrics are reused by the evaluation. Other cheap ones (e.g. a cheap fitness predictor) run batched.
        self.screen = ConstraintScreen(scorer.constraints, self.evaluators)
        self.cheap_constraints = self.screen.constraints
        self.used: dict[str, Arch] = {}  # the run's evaluated archs, in first-use order (counts against the budget)
        self.records: dict[str, Record] = {}
        self.filtered: set[str] = set()
        self.new_evaluations = 0  # evaluated in this process (not taken from the journal)

    def cheap_metrics(self, arch: Arch) -> dict[str, float] | None:
        """Metrics of the cheap evaluators that cheap constraints use, memoised; None when one of them fails."""
        return self.screen.metrics(arch)

    def is_cheap_feasible(self, arch: Arch) -> bool:
        """The searchers' ``feasible`` callback. An arch whose cheap metrics cannot be computed passes, so that its
        evaluation fails visibly as a failed record instead of being silently redrawn."""
        return self.screen.verdict(arch) is not False

    def cheap_feasible_many(self, archs: Sequence[Arch]) -> list[bool]:
        """:meth:`is_cheap_feasible` of a batch, its screening evaluators asked once for all of them."""
        return [verdict is not False for verdict in self.screen.verdicts(archs)]

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
        self._evaluate_misses(misses)
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
            outcome = self.outcomes[arch.arch_id]
            self.records[arch.arch_id] = self.scorer.record(arch, outcome.metrics, outcome.error)
        return self.records[arch.arch_id]

    def _evaluate_misses(self, misses: list[Arch]) -> None:
        """Batches of ``batch_size`` to the executor, up to its capacity in flight, journaled in order."""
        in_flight: deque[tuple[list[Arch], Future[list[Outcome]]]] = deque()
        for start in range(0, len(misses), self.batch_size):
            chunk = misses[start : start + self.batch_size]
            known = tuple(self.screen.known(arch) for arch in chunk)
            in_flight.append((chunk, self.executor.submit(EvaluationBatch(self.names, tuple(chunk), known))))
            if len(in_flight) >= max(1, self.executor.capacity):
                self._journal(*in_flight.popleft())
        while in_flight:
            self._journal(*in_flight.popleft())

    def _journal(self, chunk: list[Arch], future: Future[list[Outcome]]) -> None:
        outcomes = future.result()
        entries: list[dict[str, Any]] = []
        phase = {} if self.phase is None else {"phase": self.phase}
        for arch, outcome in zip(chunk, outcomes, strict=True):
            self.outcomes[arch.arch_id] = outcome
            entries.append(
                {"kind": "eval", "arch_id": arch.arch_id, **phase, "arch": arch.to_dict(), "metrics": outcome.metrics}
                | {"error": outcome.error}
            )
        self.new_evaluations += len(chunk)
        if self.journal is not None:
            self.journal.append_many(entries)


def _unique(archs: Iterable[Arch]) -> list[Arch]:
    return list({a.arch_id: a for a in archs}.values())
