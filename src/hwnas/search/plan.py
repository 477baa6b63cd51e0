"""Planning a run: everything is validated and built (space, searcher class, evaluators, phases, init archs, the
run folder's state) without writing anything, so a command with bad input leaves nothing behind."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np

from hwnas.contracts.evaluator import Evaluator, Outcome
from hwnas.contracts.executor import EvaluatorSpec, preflight_executor
from hwnas.contracts.screening import ConstraintScreen
from hwnas.core.arch import Arch
from hwnas.core.errors import ConfigError, ConstraintError
from hwnas.core.objectives import Constraint, Objective
from hwnas.core.space import SearchSpace
from hwnas.search.base import SearcherClass, accept_all
from hwnas.search.config import SearchConfig
from hwnas.search.evaluator import spec_evaluator
from hwnas.search.phases import Phase, build_phases, fitness_objective
from hwnas.search.registry import get_searcher_class
from hwnas.search.rundir import check_run_dir
from hwnas.search.seeding import load_init_archs
from hwnas.spaces import get_space


@dataclass(frozen=True)
class RunPlan:
    """A validated run: everything :func:`hwnas.search.loop.execute` needs, built without touching the disk."""

    config: SearchConfig
    space: SearchSpace
    objectives: tuple[Objective, ...]  # the last phase's (the only phase's without a fitness schedule)
    constraints: tuple[Constraint, ...]
    evaluators: tuple[Evaluator, ...]  # every evaluator of the run, in the order of config.evaluator_names()
    searcher_class: SearcherClass
    phases: tuple[Phase, ...]  # one without a fitness schedule
    init_archs: tuple[Arch, ...] = ()
    specs: tuple[EvaluatorSpec, ...] = ()  # how to build each evaluator elsewhere (an executor's workers)


def plan_search(config: SearchConfig) -> RunPlan:
    """Validate the space, names, metrics, searcher options, run directory, init archs and the satisfiability of
    the cheap constraints."""
    space = get_space(config.space)
    searcher_class = get_searcher_class(config.searcher.name)
    specs = tuple(config.evaluator_specs())
    by_name = {spec.name: spec_evaluator(spec) for spec in specs}
    config = _with_default_objective(config, by_name[config.fitness] if config.fitness else None)
    phases = build_phases(config, by_name)
    constraints = config.parsed_constraints()
    for phase in phases:
        _check_metric_names(phase, constraints, scheduled=bool(config.fitness_schedule))
    if config.fitness_schedule and not _can_rescore(searcher_class):
        raise ConfigError(
            f"searcher {config.searcher.name!r} cannot follow a fitness_schedule: it does not implement "
            "retained() / rescore() (hwnas.contracts.searcher.Rescorable) to re-rank what it keeps when the fitness "
            "changes"
        )
    # A searcher draws nothing when built (contracts.searcher.SearcherClass): this checks its options against the run.
    searcher_class.from_config(space, config, rng=np.random.default_rng(0), feasible=accept_all)
    init_archs = load_init_archs(config.init_archs, space) if config.init_archs else ()
    check_run_dir(config)
    preflight_executor(config.executor.name, config.executor_options())  # e.g. Ray installed, for --executor ray
    evaluators = tuple(by_name[spec.name] for spec in specs)
    plan = RunPlan(
        config, space, phases[-1].objectives, constraints, evaluators, searcher_class, phases, init_archs, specs
    )
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
    screen = ConstraintScreen(plan.constraints, plan.evaluators)
    if not screen.constraints:
        return
    space, tries = plan.space, plan.config.max_retries
    rng = np.random.default_rng(np.random.SeedSequence(plan.config.seed).spawn(1)[0])
    candidates = itertools.chain([space.smallest(), space.largest()], (space.sample(rng) for _ in range(tries)))
    if any(screen.verdict(arch) is not False for arch in candidates):
        return
    smallest = _cheap_metrics_or_fail(plan, space.smallest())
    seen = ", ".join(f"{c.metric}={smallest[c.metric]:.4g}" for c in screen.constraints)
    raise ConstraintError(
        f"constraints {', '.join(map(str, screen.constraints))} cannot be met in space {space.name!r}: none of "
        f"its smallest, largest and {tries} random archs meets them (smallest arch: {seen})"
    )


def _cheap_metrics_or_fail(plan: RunPlan, arch: Any) -> dict[str, float]:
    metrics: dict[str, float] = {}
    for name, evaluator in zip(plan.config.evaluator_names(), plan.evaluators, strict=True):
        if not evaluator.cheap:
            continue
        try:
            answer = evaluator.evaluate([arch])[0]
        except Exception as exc:
            raise ConfigError(f"evaluator {name!r} cannot evaluate space {plan.space.name!r}: {exc}") from None
        if isinstance(answer, Outcome) and answer.error is not None:
            raise ConfigError(f"evaluator {name!r} cannot evaluate space {plan.space.name!r}: {answer.error}")
        metrics.update(answer.metrics if isinstance(answer, Outcome) else answer)
    return metrics
