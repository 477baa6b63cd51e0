"""The one search run loop: ask -> cheap constraints -> journal lookup -> batched evaluation -> journal -> tell.

With a fitness schedule the loop switches phase at the scheduled iteration: the searcher's kept archs are
evaluated under the new fitness first (:func:`_enter_phase`), then the loop goes on as before.

:func:`plan_search` validates everything and writes nothing; :func:`execute` runs the plan. Resuming is replaying:
the searcher is rebuilt from the same seed and told the same records (taken from the journal instead of being
evaluated again), so it asks for the same archs and the run ends exactly as an uninterrupted one would. A searcher
whose picks depend on more than that (:class:`Replayable`: an LLM whose failed requests were not cached) is handed
each journaled iteration before it asks it again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from hwnas import __version__
from hwnas.contracts.executor import EXECUTORS, Executor
from hwnas.contracts.searcher import Replayable, Reporting
from hwnas.core.arch import Arch
from hwnas.core.errors import ConstraintError, DataError
from hwnas.search.base import Feasibility, Searcher
from hwnas.search.config import SearchConfig
from hwnas.search.journal import Journal
from hwnas.search.outcome import build_result, build_timings
from hwnas.search.phases import Phase, PhasedEvaluation, phase_at
from hwnas.search.plan import RunPlan, plan_search
from hwnas.search.records import Record
from hwnas.search.result import SearchResult, history_entry
from hwnas.search.rundir import (
    BEST_ARCH_FILE,
    JOURNAL_FILE,
    TIMINGS_FILE,
    JournalState,
    create_run_dir,
    journal_state,
    write_result,
)
from hwnas.search.seeding import SeededSearcher

__all__ = ["RunOutcome", "RunPlan", "execute", "plan_search", "run_search"]

ProgressFn = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class RunOutcome:
    result: SearchResult
    run_dir: Path
    new_evaluations: int  # evaluated by this process (the rest came from the journal)
    timings: dict[str, Any] = field(default_factory=dict)  # as written to timings.json
    # every arch evaluated in the phase the run ended in (journal hits included), in first-use order: what
    # ``result.best`` was chosen from, for callers that pick among the runners-up (the pipeline's budget check)
    records: tuple[Record, ...] = ()


def run_search(config: SearchConfig, *, on_iteration: ProgressFn | None = None) -> RunOutcome:
    return execute(plan_search(config), on_iteration=on_iteration)


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
    seeded: SeededSearcher | None = None


def execute(plan: RunPlan, *, on_iteration: ProgressFn | None = None) -> RunOutcome:
    out = create_run_dir(plan.config)
    state = journal_state(out)
    # fsync per append only where an entry is worth more than re-computing it (see Journal: cheap runs flush only)
    sync = not all(evaluator.cheap for evaluator in plan.evaluators)
    with Journal.open(out / JOURNAL_FILE, sync=sync) as journal, closing(_executor(plan)) as executor:
        started = datetime.now(UTC).isoformat(timespec="seconds")
        journal.append({"kind": "session", "started": started, "replayed": state.evaluations, "hwnas": __version__})
        run = _start(plan, journal, state, executor, on_iteration)
        history, stopped = _iterate(run)
    return _finish(run, out, history, stopped)


def _start(
    plan: RunPlan, journal: Journal, state: JournalState, executor: Executor, on_iteration: ProgressFn | None
) -> _Run:
    """The session's evaluation (journal outcomes known) and its searcher, rebuilt from the seed."""
    config = plan.config
    phased = PhasedEvaluation(
        plan.phases[0],
        constraints=plan.constraints,
        executor=executor,
        journal=journal,
        known=state.outcomes,
        batch_size=config.batch_size,
        max_evaluations=config.max_evaluations,
        scheduled=bool(config.fitness_schedule),
    )
    rng = np.random.default_rng(np.random.SeedSequence(config.seed))
    feasible = Feasibility(phased.is_cheap_feasible, phased.cheap_feasible_many)
    searcher = plan.searcher_class.from_config(plan.space, config, rng=rng, feasible=feasible)
    seeded = SeededSearcher(searcher, plan.init_archs, feasible=feasible) if plan.init_archs else None
    return _Run(plan, seeded or searcher, phased, journal, state, on_iteration, seeded=seeded)


def _finish(run: _Run, out: Path, history: list[dict[str, Any]], stopped: str) -> RunOutcome:
    """``result.json`` (deterministic), ``best_arch.json`` and ``timings.json`` (wall-clock)."""
    plan = run.plan
    result = build_result(
        algorithm=plan.config.algorithm,
        space=plan.space.name,
        seed=plan.config.seed,
        phases=plan.phases,
        phased=run.phased,
        history=history,
        stopped=stopped,
        init_counts=run.seeded.counts if run.seeded else None,
        searcher_report=_searcher_report(run),
    )
    write_result(out, result.to_dict())
    if result.best is not None:  # an arch file every `--arch FILE` option reads (train, metrics, latency predict)
        write_result(out, result.best["arch"], BEST_ARCH_FILE)
    timings = build_timings(plan.phases, run.seconds)
    write_result(out, timings, TIMINGS_FILE)
    records = tuple(run.phased.current.evaluated_records())
    return RunOutcome(result, out, run.phased.new_evaluations, timings, records)


def _searcher_report(run: _Run) -> dict[str, Any] | None:
    """The searcher's account of itself, for searchers that give one (``report()``, e.g. lm-searcher's paths)."""
    searcher = run.seeded.searcher if run.seeded is not None else run.searcher
    return dict(searcher.report()) if isinstance(searcher, Reporting) else None


def _executor(plan: RunPlan) -> Executor:
    """The run's executor; it reuses the evaluators the plan built here (replica 0 of each) where it can."""
    local = dict(zip((spec.name for spec in plan.specs), plan.evaluators, strict=True))
    return EXECUTORS.get(plan.config.executor.name)(plan.specs, local, plan.config.executor_options())


def _iterate(run: _Run) -> tuple[list[dict[str, Any]], str]:
    history: list[dict[str, Any]] = []
    scheduled = bool(run.plan.config.fitness_schedule)
    for iteration in range(run.plan.config.iterations):
        started = time.perf_counter()
        phase = phase_at(run.plan.phases, iteration)
        if phase.index != run.phased.phase.index:
            _enter_phase(run, phase)
        if iteration in run.state.asked and isinstance(run.searcher, Replayable):
            run.searcher.replay(run.state.asked[iteration], run.state.reports.get(iteration))
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
            report = _searcher_report(run)
            extra = {"searcher": report} if report is not None else {}
            run.journal.append({"kind": "iteration", "asked": asked, **entry, "seconds": round(seconds, 6), **extra})
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
