"""The model half of the pipeline: supernet training (or a reused supernet), the per-budget evolutionary search
(supernet validation loss as fitness, predicted latency under the safety margin as constraint) with the chosen
arch re-measured on the device, and from-scratch retraining of every chosen arch: searched, baselines and reference
(BLEU is :mod:`hwnas.pipeline.evaluate_stage`).

Training and search resume inside a stage from their own checkpoints and journals, so a pipeline killed in the
middle of a long stage loses at most one checkpoint interval.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from hwnas.core.errors import DataError
from hwnas.pipeline.budget_check import Measurer, choose_within_budget, search_candidates
from hwnas.pipeline.config import RetrainStage, SupernetStage, expand_path, train_config
from hwnas.pipeline.latency_stages import measurer, torch_threads_restored
from hwnas.pipeline.outputs import (
    BaselinesOutput,
    Budget,
    BudgetSearch,
    Choice,
    LatencyOutput,
    PredictorOutput,
    RetrainOutput,
    SearchOutput,
    SupernetOutput,
)
from hwnas.pipeline.progress import progress_bar
from hwnas.pipeline.runner import StageContext

if TYPE_CHECKING:
    from hwnas.search import RunOutcome


def _train(ctx: StageContext, run_dir: Path, arch: dict[str, Any] | None, length: SupernetStage | RetrainStage) -> Any:
    """Train (or resume: one line says from which step, or that the model is already trained)."""
    from hwnas.train import train

    config = train_config(ctx.config, run_dir=run_dir, arch=arch, length=length, quiet=ctx.quiet)
    who = f"[{run_dir.parent.name}] {run_dir.name}" if arch is not None else f"[{run_dir.name}]"
    result = train(config, resume=(run_dir / "checkpoints").is_dir(), say=lambda line: ctx.log(f"{who}: {line}"))
    return result


def _training_threads(ctx: StageContext) -> int | None:
    threads = (ctx.config.training.get("run") or {}).get("threads")
    return None if threads is None else int(threads)


def supernet_stage(ctx: StageContext) -> SupernetOutput:
    given = ctx.config.supernet.checkpoint
    if given is not None:
        path = Path(expand_path(given))
        if not path.exists():
            raise DataError(f"supernet.checkpoint {given!r} does not exist ({path}); train one or remove the key")
        return SupernetOutput(str(path), reused=True)
    result = _train(ctx, ctx.stage_dir("supernet"), None, ctx.config.supernet)
    return SupernetOutput(str(result.checkpoint), steps=result.steps, last_loss=result.last_loss)


def _search_one(ctx: StageContext, checkpoint: str, predictor_file: str, budget: Budget, out: Path) -> RunOutcome:
    from hwnas.search import build_config, run_search
    from hwnas.search.config import SEARCH_BLOCKS

    search = ctx.config.search
    config = build_config(
        {
            "space": ctx.config.space,
            "fitness": "supernet",
            "checkpoint": checkpoint,
            "latency_model": predictor_file,
            "device": ctx.config.device,
            "constraints": [budget.constraint],
            "iterations": search.iterations,
            "population": search.population,
            "parents": search.parents,
            "mutation_size": search.mutation_size,
            "crossover_size": search.crossover_size,
            "mutation_prob": search.mutation_prob,
            "seed": ctx.config.seed,
            "out": str(out),
            "resume": True,
            **search.model_dump(include=set(SEARCH_BLOCKS), exclude_none=True),  # another searcher, options...
        }
    )
    _say_resumed_search(ctx, out, search.iterations)
    with progress_bar(f"search <= {budget.limit_ms:.2f} ms", total=search.iterations, quiet=ctx.quiet) as advance:
        return run_search(config, on_iteration=lambda entry: advance(int(entry["iteration"]) + 1))


def _say_resumed_search(ctx: StageContext, out: Path, iterations: int) -> None:
    """A search found in its folder continues from its journal (replayed, nothing evaluated twice): say how far."""
    from hwnas.search.rundir import JOURNAL_FILE, journal_state

    if (out / JOURNAL_FILE).is_file():
        done = len(journal_state(out).asked)
        ctx.log(f"[search] {out.name}: resumed from its journal, {done} of {iterations} iterations done")


def _max_measures(ctx: StageContext) -> int:
    return ctx.config.search.max_remeasures if ctx.config.evaluate.measure_latency else 0


def search_stage(
    ctx: StageContext, supernet: SupernetOutput, latency: LatencyOutput, predictor: PredictorOutput
) -> SearchOutput:
    """One search per budget (tightest first) under the budget less the safety margin, the chosen arch
    re-measured (with fallback) among the search's records; ``best`` is None when no arch met a budget. The
    baselines for the same budgets are the next stage's (:mod:`hwnas.pipeline.baseline_stage`)."""
    measure = measurer(ctx, latency) if _max_measures(ctx) > 0 else None
    found = []
    for index, budget in enumerate(predictor.budgets):
        out = ctx.run_dir / "search" / f"budget-{index}"
        with torch_threads_restored(_training_threads(ctx)):
            outcome = _search_one(ctx, supernet.checkpoint, predictor.predictor_file, budget, out)
        found.append(BudgetSearch(budget, str(out), _choose(ctx, outcome, budget, measure)))
    return SearchOutput(tuple(found))


def _choose(ctx: StageContext, outcome: RunOutcome, budget: Budget, measure: Measurer | None) -> Choice | None:
    """The budget's arch among the search's records: its best, re-measured, else the next feasible one."""
    best = outcome.result.best
    if best is None:
        limit, total = f"{budget.limit_ms:.3f} ms", f"{budget.budget_ms:.3f} ms"
        ctx.log(f"[search] no arch meets predicted latency <= {limit} (budget {total})")
    candidates = search_candidates(outcome.records, None if best is None else best["arch_id"], budget.constraint)
    chosen = choose_within_budget(
        candidates, budget_ms=budget.budget_ms, measure=measure, max_measures=_max_measures(ctx)
    )
    if chosen is not None and chosen["within_budget"] is False:
        ctx.log(f"[search] budget {budget.budget_ms:.3f} ms: no measured candidate within it; kept {chosen['arch_id']}")
    return chosen


def retrain_stage(ctx: StageContext, search: SearchOutput, baselines: BaselinesOutput) -> RetrainOutput:
    """Train each distinct arch from scratch with one recipe: the searched ones first, then the reference and the
    baselines (archs chosen twice share one model)."""
    wanted = [item.best for item in search.found] + baselines.choices()
    models: dict[str, str] = {}
    for choice in wanted:
        if choice is None or choice["arch_id"] in models:
            continue
        result = _train(ctx, ctx.stage_dir("retrain") / choice["arch_id"], choice["arch"], ctx.config.retrain)
        models[choice["arch_id"]] = str(result.checkpoint)
    return RetrainOutput(models)
