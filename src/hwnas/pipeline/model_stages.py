"""The model half of the pipeline: supernet training (or a reused supernet), the per-budget evolutionary search
(supernet validation loss as fitness, predicted latency under the safety margin as constraint) with the chosen
arch re-measured on the device, and from-scratch retraining of every chosen arch: searched, baselines and reference
(BLEU is :mod:`hwnas.pipeline.evaluate_stage`).

Training and search resume inside a stage from their own checkpoints and journals, so a pipeline killed in the
middle of a long stage loses at most one checkpoint interval.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hwnas.core.errors import DataError
from hwnas.pipeline.budget_check import choose_within_budget, search_candidates
from hwnas.pipeline.config import RetrainStage, SupernetStage, expand_path, train_config
from hwnas.pipeline.latency_stages import measurer, torch_threads_restored
from hwnas.pipeline.progress import progress_bar
from hwnas.pipeline.runner import StageContext


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


def supernet_stage(ctx: StageContext) -> dict[str, Any]:
    given = ctx.config.supernet.checkpoint
    if given is not None:
        path = Path(expand_path(given))
        if not path.exists():
            raise DataError(f"supernet.checkpoint {given!r} does not exist ({path}); train one or remove the key")
        return {"checkpoint": str(path), "steps": None, "last_loss": None, "reused": True}
    result = _train(ctx, ctx.stage_dir("supernet"), None, ctx.config.supernet)
    return {"checkpoint": str(result.checkpoint), "steps": result.steps, "last_loss": result.last_loss}


def _search_one(ctx: StageContext, limit: float, out: Path) -> dict[str, Any] | None:
    from hwnas.search import build_config, run_search

    search = ctx.config.search
    config = build_config(
        {
            "space": ctx.config.space,
            "fitness": "supernet",
            "checkpoint": ctx.done["supernet"]["checkpoint"],
            "latency_model": ctx.done["predictor"]["predictor_file"],
            "device": ctx.config.device,
            "constraints": [f"latency<={limit!r}"],
            "iterations": search.iterations,
            "population": search.population,
            "parents": search.parents,
            "mutation_size": search.mutation_size,
            "crossover_size": search.crossover_size,
            "mutation_prob": search.mutation_prob,
            "seed": ctx.config.seed,
            "out": str(out),
            "resume": True,
        }
    )
    _say_resumed_search(ctx, out, search.iterations)
    with progress_bar(f"search <= {limit:.2f} ms", total=search.iterations, quiet=ctx.quiet) as advance:
        outcome = run_search(config, on_iteration=lambda entry: advance(int(entry["iteration"]) + 1))
    best: dict[str, Any] | None = outcome.result.best
    return best


def _say_resumed_search(ctx: StageContext, out: Path, iterations: int) -> None:
    """A search found in its folder continues from its journal (replayed, nothing evaluated twice): say how far."""
    from hwnas.search.rundir import JOURNAL_FILE, journal_state

    if (out / JOURNAL_FILE).is_file():
        done = len(journal_state(out).asked)
        ctx.log(f"[search] {out.name}: resumed from its journal, {done} of {iterations} iterations done")


def _max_measures(ctx: StageContext) -> int:
    return ctx.config.search.max_remeasures if ctx.config.evaluate.measure_latency else 0


def search_stage(ctx: StageContext) -> dict[str, Any]:
    """One search per budget (tightest first) under the budget less the safety margin, the chosen arch
    re-measured (with fallback); ``best`` is None when no arch met a budget. The baselines for the same budgets
    are the next stage's (:mod:`hwnas.pipeline.baseline_stage`)."""
    predictor = ctx.done["predictor"]
    limits = predictor.get("search_limits_ms") or predictor["budgets_ms"]
    measure = measurer(ctx) if _max_measures(ctx) > 0 else None
    found = []
    for index, (budget, limit) in enumerate(zip(predictor["budgets_ms"], limits, strict=True)):
        out = ctx.run_dir / "search" / f"budget-{index}"
        with torch_threads_restored(_training_threads(ctx)):
            best = _search_one(ctx, limit, out)
        if best is None:
            ctx.log(f"[search] no arch meets predicted latency <= {limit:.3f} ms (budget {budget:.3f} ms)")
        candidates = search_candidates(out, best, limit)
        chosen = choose_within_budget(candidates, budget_ms=budget, measure=measure, max_measures=_max_measures(ctx))
        if chosen is not None and chosen["within_budget"] is False:
            ctx.log(f"[search] budget {budget:.3f} ms: no measured candidate within it; kept {chosen['arch_id']}")
        found.append({"budget_ms": budget, "limit_ms": limit, "search_dir": str(out), "best": chosen})
    return {"found": found}


def retrain_stage(ctx: StageContext) -> dict[str, Any]:
    """Train each distinct arch from scratch with one recipe: the searched ones first, then the reference and the
    baselines (archs chosen twice share one model)."""
    baselines = ctx.done["baselines"]
    wanted = [item["best"] for item in ctx.done["search"]["found"]]
    wanted.append(baselines.get("reference"))
    wanted += [choice for item in baselines["per_budget"] for choice in item["baselines"].values()]
    models: dict[str, str] = {}
    for choice in wanted:
        if choice is None or choice["arch_id"] in models:
            continue
        result = _train(ctx, ctx.stage_dir("retrain") / choice["arch_id"], choice["arch"], ctx.config.retrain)
        models[choice["arch_id"]] = str(result.checkpoint)
    return {"models": models}
