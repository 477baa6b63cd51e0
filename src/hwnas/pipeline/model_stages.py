"""The model half of the pipeline: supernet training, the per-budget evolutionary search (supernet validation loss
as fitness, predicted latency as constraint), from-scratch retraining of each found arch, and its BLEU.

Training and search resume inside a stage from their own checkpoints and journals, so a pipeline killed in the
middle of a long stage loses at most one checkpoint interval.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hwnas.core.arch import Arch
from hwnas.pipeline.config import RetrainStage, SupernetStage, train_config
from hwnas.pipeline.latency_stages import torch_threads_restored
from hwnas.pipeline.progress import progress_bar
from hwnas.pipeline.runner import StageContext, write_json_atomic
from hwnas.spaces import get_space


def _train(ctx: StageContext, run_dir: Path, arch: dict[str, Any] | None, length: SupernetStage | RetrainStage) -> Any:
    from hwnas.train import train

    config = train_config(ctx.config, run_dir=run_dir, arch=arch, length=length, quiet=ctx.quiet)
    result = train(config, resume=(run_dir / "checkpoints").is_dir())
    return result


def _training_threads(ctx: StageContext) -> int | None:
    threads = (ctx.config.training.get("run") or {}).get("threads")
    return None if threads is None else int(threads)


def supernet_stage(ctx: StageContext) -> dict[str, Any]:
    result = _train(ctx, ctx.stage_dir("supernet"), None, ctx.config.supernet)
    return {"checkpoint": str(result.checkpoint), "steps": result.steps, "last_loss": result.last_loss}


def _search_one(ctx: StageContext, budget: float, out: Path) -> dict[str, Any] | None:
    from hwnas.search import build_config, run_search

    search = ctx.config.search
    config = build_config(
        {
            "space": ctx.config.space,
            "fitness": "supernet",
            "checkpoint": ctx.done["supernet"]["checkpoint"],
            "latency_model": ctx.done["predictor"]["predictor_file"],
            "device": ctx.config.device,
            "constraints": [f"latency<={budget!r}"],
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
    with progress_bar(f"search <= {budget:.2f} ms", total=search.iterations, quiet=ctx.quiet) as advance:
        outcome = run_search(config, on_iteration=lambda entry: advance(int(entry["iteration"]) + 1))
    best: dict[str, Any] | None = outcome.result.best
    return best


def search_stage(ctx: StageContext) -> dict[str, Any]:
    """One search per budget (tightest first); ``best`` is None when no arch met a budget."""
    found = []
    for index, budget in enumerate(ctx.done["predictor"]["budgets_ms"]):
        out = ctx.run_dir / "search" / f"budget-{index}"
        with torch_threads_restored(_training_threads(ctx)):
            best = _search_one(ctx, budget, out)
        if best is None:
            ctx.log(f"[search] no arch meets latency <= {budget:.3f} ms")
        found.append({"budget_ms": budget, "search_dir": str(out), "best": best})
    return {"found": found}


def retrain_stage(ctx: StageContext) -> dict[str, Any]:
    """Train each distinct found arch from scratch (budgets that found the same arch share one model)."""
    models: dict[str, str] = {}
    for item in ctx.done["search"]["found"]:
        best = item["best"]
        if best is None or best["arch_id"] in models:
            continue
        result = _train(ctx, ctx.stage_dir("retrain") / best["arch_id"], best["arch"], ctx.config.retrain)
        models[best["arch_id"]] = str(result.checkpoint)
    return {"models": models}


def _measured_latency(ctx: StageContext, arch: Arch) -> float | None:
    """This device's latency of ``arch`` under the dataset's own settings (None when latency was not measured)."""
    latency = ctx.done["latency"]
    if latency.get("source") != "measure" or not ctx.config.evaluate.measure_latency:
        return None
    from hwnas.hardware import MeasureSettings, measure_arch

    settings = MeasureSettings.from_dict(latency["settings"])
    with torch_threads_restored():
        return float(measure_arch(arch, get_space(ctx.config.space), settings).latency_ms)


def _score(ctx: StageContext, checkpoint: str, arch: Arch) -> dict[str, Any]:
    """BLEU of one retrained model on the configured split, and its measured latency."""
    from hwnas.evaluate.checkpoint import evaluate_checkpoint

    stage = ctx.config.evaluate
    with torch_threads_restored(_training_threads(ctx)):
        scored = evaluate_checkpoint(
            checkpoint,
            arch=None,
            metric="bleu",
            split=stage.split,
            max_sentences=stage.max_sentences,
            beam=stage.beam,
            device=ctx.config.device,
        )
    return {"bleu": scored["bleu"], "split": scored["split"], "measured_ms": _measured_latency(ctx, arch)}


def evaluate_stage(ctx: StageContext) -> dict[str, Any]:
    """BLEU on the test split and measured latency for each budget's retrained model (scored once per arch)."""
    models, found = ctx.done["retrain"]["models"], ctx.done["search"]["found"]
    by_arch: dict[str, dict[str, Any]] = {}
    rows = []
    with progress_bar("BLEU + latency", total=len(found), quiet=ctx.quiet) as advance:
        for number, item in enumerate(found, start=1):
            best = item["best"]
            row: dict[str, Any] = {"budget_ms": item["budget_ms"], "arch_id": best["arch_id"] if best else None}
            if best is not None:
                arch_id = best["arch_id"]
                if arch_id not in by_arch:
                    by_arch[arch_id] = _score(ctx, models[arch_id], Arch.from_dict(best["arch"]))
                metrics = best["metrics"]
                row.update(arch=best["arch"], predicted_ms=metrics.get("latency"), valid_loss=metrics.get("valid_loss"))
                row.update(params=metrics.get("params"), **by_arch[arch_id])
            rows.append(row)
            advance(number)
    write_json_atomic(ctx.stage_dir("evaluate") / "results.json", rows)
    return {"results": rows}
