"""The one search run loop: ask -> cheap constraints -> journal lookup -> batched evaluation -> journal -> tell.

:func:`plan_search` validates everything and writes nothing; :func:`execute` runs the plan. Resuming is replaying:
the searcher is rebuilt from the same seed and told the same records (taken from the journal instead of being
evaluated again), so it asks for the same archs and the run ends exactly as an uninterrupted one would.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from hwnas import __version__
from hwnas.core.errors import ConfigError, ConstraintError, DataError
from hwnas.core.objectives import Constraint, Objective
from hwnas.core.space import SearchSpace
from hwnas.search.base import Searcher, SearcherClass
from hwnas.search.config import SearchConfig
from hwnas.search.evaluation import EvaluationService
from hwnas.search.evaluator import Evaluator, make_evaluator
from hwnas.search.journal import Journal
from hwnas.search.records import Scorer
from hwnas.search.registry import get_searcher_class
from hwnas.search.result import SearchResult, arch_summary, history_entry, pareto_summary
from hwnas.search.rundir import JOURNAL_FILE, check_run_dir, create_run_dir, journal_outcomes, write_result
from hwnas.spaces import get_space

ProgressFn = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class RunPlan:
    """A validated run: everything :func:`execute` needs, built without touching the disk."""

    config: SearchConfig
    space: SearchSpace
    objectives: tuple[Objective, ...]
    constraints: tuple[Constraint, ...]
    evaluators: tuple[Evaluator, ...]
    searcher_class: SearcherClass


@dataclass(frozen=True)
class RunOutcome:
    result: SearchResult
    run_dir: Path
    new_evaluations: int  # evaluated by this process (the rest came from the journal)


def run_search(config: SearchConfig, *, on_iteration: ProgressFn | None = None) -> RunOutcome:
    return execute(plan_search(config), on_iteration=on_iteration)


def plan_search(config: SearchConfig) -> RunPlan:
    """Validate the space, names, metrics, run directory and the satisfiability of the cheap constraints."""
    space = get_space(config.space)
    searcher_class = get_searcher_class(config.algorithm)
    names = config.evaluator_names()
    evaluators = tuple(make_evaluator(name, space, config.evaluator_options()) for name in names)
    config = _with_default_objective(config, evaluators[names.index(config.fitness)] if config.fitness else None)
    objectives, constraints = config.parsed_objectives(), config.parsed_constraints()
    _check_metric_names(config, evaluators, objectives, constraints)
    check_run_dir(config)
    plan = RunPlan(config, space, objectives, constraints, evaluators, searcher_class)
    _cheap_metrics_or_fail(plan, space.smallest())  # e.g. analytic metrics of a family that has none
    _check_cheap_constraints_satisfiable(plan)
    return plan


def _with_default_objective(config: SearchConfig, fitness: Evaluator | None) -> SearchConfig:
    """Without --objective, minimise the fitness evaluator's first metric (e.g. the supernet's valid_loss)."""
    if config.objectives:
        return config
    if fitness is None:
        raise ConfigError("no objective: give --objective METRIC:min|max or --fitness EVALUATOR")
    return config.model_copy(update={"objectives": [f"{fitness.metrics[0]}:min"]})


def execute(plan: RunPlan, *, on_iteration: ProgressFn | None = None) -> RunOutcome:
    config = plan.config
    out = create_run_dir(config)
    outcomes, asked_before = journal_outcomes(out)
    with Journal.open(out / JOURNAL_FILE) as journal:
        started = datetime.now(UTC).isoformat(timespec="seconds")
        journal.append({"kind": "session", "started": started, "replayed": len(outcomes), "hwnas": __version__})
        service = EvaluationService(
            evaluators=plan.evaluators,
            scorer=Scorer(plan.objectives, plan.constraints),
            journal=journal,
            known=outcomes,
            batch_size=config.batch_size,
            max_evaluations=config.max_evaluations,
        )
        rng = np.random.default_rng(np.random.SeedSequence(config.seed))
        searcher = plan.searcher_class.from_config(plan.space, config, rng=rng, feasible=service.is_cheap_feasible)
        history, stopped = _iterate(plan, searcher, service, journal, asked_before, on_iteration)
    result = _result(plan, service, history, stopped)
    write_result(out, result.to_dict())
    return RunOutcome(result, out, service.new_evaluations)


def _iterate(
    plan: RunPlan,
    searcher: Searcher,
    service: EvaluationService,
    journal: Journal,
    asked_before: dict[int, list[str]],
    on_iteration: ProgressFn | None,
) -> tuple[list[dict[str, Any]], str]:
    history: list[dict[str, Any]] = []
    for iteration in range(plan.config.iterations):
        archs = _ask(searcher, plan)
        if not archs:
            return history, "exhausted"
        asked = [a.arch_id for a in archs]
        if iteration in asked_before and asked_before[iteration] != asked:
            raise DataError(
                f"cannot resume: iteration {iteration} asks for other archs than the journal records "
                "(the code, the space file or a plugin changed since the run started); start a new run"
            )
        batch = service.evaluate(archs)
        searcher.tell(batch.records)
        entry = history_entry(iteration, len(service.used), service.evaluated_records(), plan.objectives)
        history.append(entry)
        if iteration not in asked_before:
            journal.append({"kind": "iteration", "asked": asked, **entry})
        if on_iteration is not None:
            on_iteration(entry)
        if batch.budget_spent:
            return history, "max_evaluations"
    return history, "iterations"


def _ask(searcher: Searcher, plan: RunPlan) -> list[Any]:
    try:
        return searcher.ask(plan.config.population)
    except ConstraintError as exc:
        raise ConstraintError(f"{exc}; constraints: {', '.join(map(str, plan.constraints))}") from None


def _result(plan: RunPlan, service: EvaluationService, history: list[dict[str, Any]], stopped: str) -> SearchResult:
    records = service.evaluated_records()
    statuses = [r.status for r in records]
    best = history[-1]["best_arch_id"] if history else None
    result = SearchResult(
        space=plan.space.name,
        algorithm=plan.config.algorithm,
        seed=plan.config.seed,
        objectives=[str(o) for o in plan.objectives],
        constraints=[str(c) for c in plan.constraints],
        best=next((arch_summary(r) for r in records if r.arch.arch_id == best), None),
        history=history,
        counts={
            "iterations": len(history),
            "evaluations": len(records),
            "feasible": statuses.count("ok"),
            "infeasible": statuses.count("infeasible"),
            "failed": statuses.count("failed"),
            "filtered": len(service.filtered),
        },
        stopped=stopped,
    )
    if len(plan.objectives) > 1:
        front, volume, reference = pareto_summary(records, plan.objectives)
        result.pareto_front, result.hypervolume, result.hypervolume_reference = front, volume, reference
    return result


def _check_metric_names(
    config: SearchConfig,
    evaluators: tuple[Evaluator, ...],
    objectives: tuple[Objective, ...],
    constraints: tuple[Constraint, ...],
) -> None:
    known = sorted({m for e in evaluators for m in e.metrics})
    for text, metric in [*((str(o), o.metric) for o in objectives), *((str(c), c.metric) for c in constraints)]:
        if metric not in known:
            raise ConfigError(
                f"unknown metric {metric!r} in {text!r}: the evaluators ({', '.join(config.evaluator_names())}) "
                f"provide {', '.join(known)}"
            )


def _check_cheap_constraints_satisfiable(plan: RunPlan) -> None:
    """Fail before the run starts when no arch we can find meets the cheap constraints (e.g. params<=1)."""
    probe = EvaluationService(evaluators=plan.evaluators, scorer=Scorer(plan.objectives, plan.constraints))
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
