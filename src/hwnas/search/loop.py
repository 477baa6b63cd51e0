"""The one search run loop: ask -> cheap constraints -> journal lookup -> batched evaluation -> journal -> tell.

With a fitness schedule the loop switches phase at the scheduled iteration: the searcher's kept archs are
evaluated under the new fitness first (:func:`_enter_phase`), then the loop goes on as before.

:func:`plan_search` validates everything and writes nothing; :func:`execute` runs the plan. Resuming is replaying:
the searcher is rebuilt from the same seed and told the same records (taken from the journal instead of being
evaluated again), so it asks for the same archs and the run ends exactly as an uninterrupted one would.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from hwnas import __version__
from hwnas.core.arch import Arch
from hwnas.core.errors import ConfigError, ConstraintError, DataError
from hwnas.core.objectives import Constraint, Objective
from hwnas.core.space import SearchSpace
from hwnas.search.base import Searcher, SearcherClass
from hwnas.search.config import SearchConfig
from hwnas.search.evaluation import EvaluationService
from hwnas.search.evaluator import Evaluator, make_evaluator
from hwnas.search.journal import Journal
from hwnas.search.outcome import build_result, build_timings
from hwnas.search.phases import Phase, PhasedEvaluation, build_phases, fitness_objective, phase_at
from hwnas.search.records import Scorer
from hwnas.search.registry import get_searcher_class
from hwnas.search.result import SearchResult, history_entry
from hwnas.search.rundir import (
    BEST_ARCH_FILE,
    JOURNAL_FILE,
    TIMINGS_FILE,
    JournalState,
    check_run_dir,
    create_run_dir,
    journal_state,
    write_result,
)
from hwnas.search.seeding import SeededSearcher, load_init_archs
from hwnas.spaces import get_space

ProgressFn = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class RunPlan:
    """A validated run: everything :func:`execute` needs, built without touching the disk."""

    config: SearchConfig
    space: SearchSpace
    objectives: tuple[Objective, ...]  # the last phase's (the only phase's without a fitness schedule)
    constraints: tuple[Constraint, ...]
    evaluators: tuple[Evaluator, ...]  # every evaluator of the run, in the order of config.evaluator_names()
    searcher_class: SearcherClass
    phases: tuple[Phase, ...]  # one without a fitness schedule
    init_archs: tuple[Arch, ...] = ()


@dataclass(frozen=True)
class RunOutcome:
    result: SearchResult
    run_dir: Path
    new_evaluations: int  # evaluated by this process (the rest came from the journal)
    timings: dict[str, Any] = field(default_factory=dict)  # as written to timings.json


def run_search(config: SearchConfig, *, on_iteration: ProgressFn | None = None) -> RunOutcome:
    return execute(plan_search(config), on_iteration=on_iteration)


def plan_search(config: SearchConfig) -> RunPlan:
    """Validate the space, names, metrics, run directory, init archs and the satisfiability of the cheap
    constraints."""
    space = get_space(config.space)
    searcher_class = get_searcher_class(config.algorithm)
    names = config.evaluator_names()
    by_name = {name: make_evaluator(name, space, config.evaluator_options()) for name in names}
    config = _with_default_objective(config, by_name[config.fitness] if config.fitness else None)
    phases = build_phases(config, by_name)
    constraints = config.parsed_constraints()
    for phase in phases:
        _check_metric_names(phase, constraints, scheduled=bool(config.fitness_schedule))
    if config.fitness_schedule and not _can_rescore(searcher_class):
        raise ConfigError(
            f"search algorithm {config.algorithm!r} cannot follow a fitness_schedule: it does not implement "
            "retained() / rescore() (hwnas.search.base.Rescorable) to re-rank what it keeps when the fitness changes"
        )
    init_archs = load_init_archs(config.init_archs, space) if config.init_archs else ()
    check_run_dir(config)
    evaluators = tuple(by_name[name] for name in names)
    plan = RunPlan(config, space, phases[-1].objectives, constraints, evaluators, searcher_class, phases, init_archs)
    _cheap_metrics_or_fail(plan, space.smallest())  # e.g. analytic metrics of a family that has none
    _check_cheap_constraints_satisfiable(plan)
    return plan


def _can_rescore(searcher_class: SearcherClass) -> bool:
    return all(callable(getattr(searcher_class, name, None)) for name in ("retained", "rescore"))


def _with_default_objective(config: SearchConfig, fitness: Evaluator | None) -> SearchConfig:
    """Without --objective, optimise the fitness evaluator's first metric (e.g. minimise the supernet's
    valid_loss, maximise a predicted BLEU) in its ``fitness_direction``."""
    if config.objectives or config.fitness_schedule:
        return config
    if fitness is None or config.fitness is None:
        raise ConfigError("no objective: give --objective METRIC:min|max, --fitness EVALUATOR or --fitness-schedule")
    return config.model_copy(update={"objectives": [str(fitness_objective(config.fitness, fitness))]})


@dataclass
class _Run:
    """The state one session of a run iterates with."""

    plan: RunPlan
    searcher: Searcher
    phased: PhasedEvaluation
    journal: Journal
    state: JournalState
    on_iteration: ProgressFn | None
    seconds: list[float] = field(default_factory=list)


def execute(plan: RunPlan, *, on_iteration: ProgressFn | None = None) -> RunOutcome:
    config = plan.config
    out = create_run_dir(config)
    state = journal_state(out)
    with Journal.open(out / JOURNAL_FILE) as journal:
        started = datetime.now(UTC).isoformat(timespec="seconds")
        journal.append({"kind": "session", "started": started, "replayed": state.evaluations, "hwnas": __version__})
        phased = PhasedEvaluation(
            plan.phases[0],
            constraints=plan.constraints,
            journal=journal,
            known=state.outcomes,
            batch_size=config.batch_size,
            max_evaluations=config.max_evaluations,
            scheduled=bool(config.fitness_schedule),
        )
        rng = np.random.default_rng(np.random.SeedSequence(config.seed))
        searcher = plan.searcher_class.from_config(plan.space, config, rng=rng, feasible=phased.is_cheap_feasible)
        seeded = (
            SeededSearcher(searcher, plan.init_archs, feasible=phased.is_cheap_feasible) if plan.init_archs else None
        )
        run = _Run(plan, seeded or searcher, phased, journal, state, on_iteration)
        history, stopped = _iterate(run)
    result = build_result(
        algorithm=config.algorithm,
        space=plan.space.name,
        seed=config.seed,
        phases=plan.phases,
        phased=phased,
        history=history,
        stopped=stopped,
        init_counts=seeded.counts if seeded else None,
    )
    write_result(out, result.to_dict())
    if result.best is not None:  # an arch file every `--arch FILE` option reads (train, metrics, latency predict)
        write_result(out, result.best["arch"], BEST_ARCH_FILE)
    timings = build_timings(plan.phases, run.seconds)
    write_result(out, timings, TIMINGS_FILE)
    return RunOutcome(result, out, phased.new_evaluations, timings)


def _iterate(run: _Run) -> tuple[list[dict[str, Any]], str]:
    history: list[dict[str, Any]] = []
    scheduled = bool(run.plan.config.fitness_schedule)
    for iteration in range(run.plan.config.iterations):
        started = time.perf_counter()
        phase = phase_at(run.plan.phases, iteration)
        if phase.index != run.phased.phase.index:
            _enter_phase(run, phase)
        archs = _ask(run.searcher, run.plan)
        if not archs:
            return history, "exhausted"
        asked = [a.arch_id for a in archs]
        if iteration in run.state.asked and run.state.asked[iteration] != asked:
            raise DataError(
                f"cannot resume: iteration {iteration} asks for other archs than the journal records "
                "(the code, the space file or a plugin changed since the run started); start a new run"
            )
        service = run.phased.current
        batch = service.evaluate(archs)
        run.searcher.tell(batch.records)
        records = service.evaluated_records()
        entry = history_entry(iteration, run.phased.used, records, phase.objectives, phase.index if scheduled else None)
        history.append(entry)
        seconds = run.state.seconds.get(iteration, time.perf_counter() - started)
        run.seconds.append(seconds)
        if iteration not in run.state.asked:
            run.journal.append({"kind": "iteration", "asked": asked, **entry, "seconds": round(seconds, 6)})
        if run.on_iteration is not None:
            run.on_iteration(entry)
        if batch.budget_spent:
            return history, "max_evaluations"
    return history, "iterations"


def _enter_phase(run: _Run, phase: Phase) -> None:
    """Switch the fitness: open the phase's evaluation and have the searcher's kept archs evaluated under it, so
    its next ranking compares values of one metric only."""
    service = run.phased.open(phase)
    archs: list[Arch] = run.searcher.retained()  # type: ignore[attr-defined]
    carried = [a.arch_id for a in archs]
    if phase.index in run.state.carried and run.state.carried[phase.index] != carried:
        raise DataError(
            f"cannot resume: phase {phase.index} carries other archs over than the journal records "
            "(the code, the space file or a plugin changed since the run started); start a new run"
        )
    batch = service.evaluate(archs)
    run.searcher.rescore(batch.records)  # type: ignore[attr-defined]
    if phase.index not in run.state.carried:
        run.journal.append({"kind": "phase", **phase.describe(), "carried": carried})


def _ask(searcher: Searcher, plan: RunPlan) -> list[Any]:
    try:
        return searcher.ask(plan.config.population)
    except ConstraintError as exc:
        raise ConstraintError(f"{exc}; constraints: {', '.join(map(str, plan.constraints))}") from None


def _check_metric_names(phase: Phase, constraints: tuple[Constraint, ...], *, scheduled: bool) -> None:
    known = sorted({m for e in phase.evaluators for m in e.metrics})
    where = f"fitness schedule phase {phase.index} ({phase.fitness}): " if scheduled else ""
    for text, metric in [*((str(o), o.metric) for o in phase.objectives), *((str(c), c.metric) for c in constraints)]:
        if metric not in known:
            raise ConfigError(
                f"{where}unknown metric {metric!r} in {text!r}: the evaluators ({', '.join(phase.evaluator_names)}) "
                f"provide {', '.join(known)}"
            )


def _check_cheap_constraints_satisfiable(plan: RunPlan) -> None:
    """Fail before the run starts when no arch we can find meets the cheap constraints (e.g. params<=1)."""
    probe = EvaluationService(evaluators=plan.evaluators, scorer=Scorer((), plan.constraints))
    if not probe.cheap_constraints:
        return
    space, tries = plan.space, plan.config.max_retries
    rng = np.random.default_rng(np.random.SeedSequence(plan.config.seed).spawn(1)[0])
    candidates = itertools.chain([space.smallest(), space.largest()], (space.sample(rng) for _ in range(tries)))
    if any(probe.is_cheap_feasible(arch) for arch in candidates):
        return
    smallest = _cheap_metrics_or_fail(plan, space.smallest())
    seen = ", ".join(f"{c.metric}={smallest[c.metric]:.4g}" for c in probe.cheap_constraints)
    raise ConstraintError(
        f"constraints {', '.join(map(str, probe.cheap_constraints))} cannot be met in space {space.name!r}: none of "
        f"its smallest, largest and {tries} random archs meets them (smallest arch: {seen})"
    )


def _cheap_metrics_or_fail(plan: RunPlan, arch: Any) -> dict[str, float]:
    metrics: dict[str, float] = {}
    for name, evaluator in zip(plan.config.evaluator_names(), plan.evaluators, strict=True):
        if evaluator.cheap:
            try:
                metrics.update(evaluator.evaluate([arch])[0])
            except Exception as exc:
                raise ConfigError(f"evaluator {name!r} cannot evaluate space {plan.space.name!r}: {exc}") from None
    return metrics
