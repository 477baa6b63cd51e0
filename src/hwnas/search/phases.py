"""Phases of a run: which evaluators run and which objective ranks, iteration by iteration.

A run without a fitness schedule is one phase. With ``--fitness-schedule`` each phase has its own evaluators (the
listed ones, latency-model, and that phase's fitness evaluator) and its own objective (the fitness evaluator's
first metric in its ``fitness_direction``), and its own :class:`EvaluationService`, so outcomes are keyed by
(phase, arch_id): an arch met in phase 0 is evaluated again in phase 1, and the journal replays each phase apart.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hwnas.contracts.evaluator import Evaluator, Outcome, fitness_direction
from hwnas.contracts.executor import Executor
from hwnas.core.arch import Arch
from hwnas.core.errors import ConfigError
from hwnas.core.objectives import Constraint, Objective
from hwnas.search.config import SearchConfig
from hwnas.search.evaluation import EvaluationService
from hwnas.search.journal import Journal
from hwnas.search.records import Scorer


@dataclass(frozen=True)
class Phase:
    index: int
    fitness: str | None  # the evaluator ranking this phase (None: an unscheduled run with explicit objectives)
    start: int
    end: int  # last iteration, inclusive
    evaluator_names: tuple[str, ...]
    evaluators: tuple[Evaluator, ...]
    objectives: tuple[Objective, ...]

    def describe(self) -> dict[str, Any]:
        return {
            "phase": self.index,
            "fitness": self.fitness,
            "iterations": [self.start, self.end],
            "objectives": [str(o) for o in self.objectives],
        }


def fitness_objective(name: str, evaluator: Evaluator) -> Objective:
    """The objective an evaluator gives as the fitness: its first metric, in its ``fitness_direction``."""
    if not evaluator.metrics:
        raise ConfigError(f"evaluator {name!r} reports no metrics, so it cannot be the fitness")
    return Objective(evaluator.metrics[0], fitness_direction(evaluator))  # type: ignore[arg-type]


def build_phases(config: SearchConfig, evaluators: Mapping[str, Evaluator]) -> tuple[Phase, ...]:
    """The run's phases (``config`` already holds its objectives when there is no schedule)."""
    if not config.fitness_schedule:
        names = tuple(config.evaluator_names())
        phase = Phase(
            0, config.fitness, 0, config.iterations - 1, names, _pick(evaluators, names), config.parsed_objectives()
        )
        return (phase,)
    phases = []
    for index, spec in enumerate(config.schedule()):
        names = tuple(config.phase_evaluator_names(spec.evaluator))
        objective = fitness_objective(spec.evaluator, evaluators[spec.evaluator])
        end = spec.last(config.iterations)
        phases.append(Phase(index, spec.evaluator, spec.start, end, names, _pick(evaluators, names), (objective,)))
    return tuple(phases)


def _pick(evaluators: Mapping[str, Evaluator], names: Sequence[str]) -> tuple[Evaluator, ...]:
    return tuple(evaluators[name] for name in names)


def phase_at(phases: Sequence[Phase], iteration: int) -> Phase:
    return next(p for p in phases if p.start <= iteration <= p.end)


class PhasedEvaluation:
    """One :class:`EvaluationService` per phase, opened in turn, all evaluating through one ``executor``. The
    searcher's feasibility callback always asks the current phase's service, and the evaluation budget is shared: a
    phase gets what earlier ones left."""

    def __init__(
        self,
        first: Phase,
        *,
        constraints: tuple[Constraint, ...],
        executor: Executor,
        journal: Journal | None,
        known: Mapping[int, Mapping[str, Outcome]],
        batch_size: int,
        max_evaluations: int | None,
        scheduled: bool,
    ) -> None:
        self.constraints, self.executor, self.journal, self.known = constraints, executor, journal, known
        self.batch_size, self.max_evaluations, self.scheduled = batch_size, max_evaluations, scheduled
        self.phases: list[Phase] = []
        self.services: list[EvaluationService] = []
        self.open(first)

    def open(self, phase: Phase) -> EvaluationService:
        remaining = None if self.max_evaluations is None else self.max_evaluations - self.used
        service = EvaluationService(
            evaluators=phase.evaluators,
            scorer=Scorer(phase.objectives, self.constraints),
            names=phase.evaluator_names,
            executor=self.executor,
            journal=self.journal,
            known=self.known.get(phase.index, {}),
            batch_size=self.batch_size,
            max_evaluations=remaining,
            phase=phase.index if self.scheduled else None,
        )
        self.phases.append(phase)
        self.services.append(service)
        return service

    @property
    def current(self) -> EvaluationService:
        return self.services[-1]

    @property
    def phase(self) -> Phase:
        return self.phases[-1]

    @property
    def used(self) -> int:
        """Evaluations so far, over all phases (the budget's unit)."""
        return sum(len(s.used) for s in self.services)

    @property
    def new_evaluations(self) -> int:
        return sum(s.new_evaluations for s in self.services)

    def is_cheap_feasible(self, arch: Arch) -> bool:
        return self.current.is_cheap_feasible(arch)

    def cheap_feasible_many(self, archs: Sequence[Arch]) -> list[bool]:
        return self.current.cheap_feasible_many(archs)

    def counts(self) -> dict[str, int]:
        """Counts summed over the phases."""
        total: dict[str, int] = {}
        for service in self.services:
            for key, value in service.counts().items():
                total[key] = total.get(key, 0) + value
        return total
