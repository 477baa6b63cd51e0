"""The latency half of the pipeline: latency data (measured here, or reused), the latency predictor (fitted with a
held-out parity check, or reused) and the budgets it turns into.

Budgets given as quantiles are resolved against the predicted latency of random archs of the space, because a
budget in milliseconds only means something on one machine: "the 30% fastest" travels across CPUs.
"""

from __future__ import annotations

import csv
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from hwnas.core.arch import Arch
from hwnas.core.errors import DataError
from hwnas.core.space import SearchSpace
from hwnas.pipeline.progress import progress_bar
from hwnas.pipeline.runner import StageContext
from hwnas.spaces import get_space

SHIPPED = "shipped"  # latency.dataset / latency.predictor_file value: the files shipped for the space and device
BUDGET_SAMPLES = 500  # random archs whose predicted latency sets quantile budgets
MIN_ROWS_FOR_HOLDOUT = 6  # fewer measured archs: the parity plot is in-sample (and says so)


@contextmanager
def torch_threads_restored(threads: int | None = None) -> Iterator[None]:
    """Run with ``threads`` torch threads (None: leave as is) and restore the count afterwards: latency
    measurement pins it (e.g. 1 for steady CPU timings) and later stages run in the same process. On a busy
    2-core machine 2 threads can run 30x slower than 1, so search and BLEU use the training's count."""
    import torch

    before = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def measure_settings(ctx: StageContext, space: SearchSpace) -> Any:
    from hwnas.hardware import protocol_for

    stage = ctx.config.latency
    return protocol_for(space).default_settings(
        space, device=stage.device, threads=stage.threads, warmup=stage.warmup, runs=stage.runs
    )


def _given_file(value: str, *, key: str, space: SearchSpace, device: str) -> str:
    """A user's latency file, or with ``shipped`` the dataset / predictor shipped for (space, device kind)."""
    if value == SHIPPED and key == "predictor_file":
        from hwnas.hardware.evaluators import default_predictor_path

        return str(default_predictor_path(space, device))
    if value == SHIPPED:
        from hwnas.hardware import default_dataset

        return str(default_dataset(space.name, device).csv_path)
    if not Path(value).is_file():
        raise DataError(f"latency.{key} {value!r} does not exist; give a file or {SHIPPED!r}")
    return value


def latency_stage(ctx: StageContext) -> dict[str, Any]:
    """Measure ``latency.archs`` archs on this machine (resumable), or point at the given dataset / predictor."""
    stage = ctx.config.latency
    space = get_space(ctx.config.space)
    if stage.source != "measure":
        key = "predictor_file" if stage.source == "predictor" else "dataset"
        path = _given_file(str(getattr(stage, key)), key=key, space=space, device=stage.device)
        return {"source": stage.source, "dataset": path if key == "dataset" else None, key: path}
    from hwnas.hardware import collect

    settings = measure_settings(ctx, space)
    out = ctx.stage_dir("latency") / "latency.csv"
    with torch_threads_restored(), progress_bar("measuring latency", total=stage.archs, quiet=ctx.quiet) as advance:
        summary = collect(
            space,
            settings=settings,
            n=stage.archs,
            out=out,
            sampler=stage.sampler,
            seed=ctx.config.seed,
            on_row=lambda done, _wanted, _m: advance(done),
        )
    return {"source": "measure", "dataset": str(out), "rows": summary.rows, "settings": settings.to_dict()}


def _split_rows(n: int, holdout: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    order = rng.permutation(n)
    held = round(holdout * n) if n >= MIN_ROWS_FOR_HOLDOUT else 0
    return np.sort(order[held:]), np.sort(order[:held])


def _fit_predictor(ctx: StageContext, dataset_path: str, out_dir: Path) -> dict[str, Any]:
    """Fit on the training rows, score and plot on the held-out rows, then refit on every row and save."""
    from hwnas.predictors import evaluate_on_dataset, fit_on_dataset, load_latency_csv, parity_plot

    stage = ctx.config.latency
    dataset = load_latency_csv(dataset_path)
    train_rows, test_rows = _split_rows(len(dataset), stage.holdout, np.random.default_rng(ctx.config.seed))
    in_sample = len(test_rows) == 0
    check_rows = train_rows if in_sample else test_rows
    knobs: dict[str, Any] = {"model": stage.model, "encoding": stage.encoding, "seed": ctx.config.seed}
    partial = fit_on_dataset(dataset.subset(train_rows), **knobs)
    scores, predicted = evaluate_on_dataset(partial, dataset.subset(check_rows))
    measured = dataset.latency[check_rows]
    with (out_dir / "parity.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["measured_ms", "predicted_ms"])
        writer.writerows(zip(measured.tolist(), np.asarray(predicted).tolist(), strict=True))
    title = f"{'in-sample' if in_sample else 'held-out'}: MAPE {scores['mape']:.2%}, n={scores['n']}"
    parity_plot(measured, predicted, out_dir / "parity.png", title=title)
    final = fit_on_dataset(dataset, **knobs)
    final.save(out_dir / "predictor.npz")
    return {
        "predictor_file": str(out_dir / "predictor.npz"),
        "predictor": final.name,
        "encoding": final.encoding,
        "check": {"in_sample": in_sample, **{k: float(v) for k, v in scores.items()}},
    }


def resolve_budgets(ctx: StageContext, predictor_file: str, space: SearchSpace) -> dict[str, Any]:
    """Budgets in ms: the configured ones, or quantiles of the predicted latency of random archs."""
    from hwnas.hardware.evaluators import predict_latency
    from hwnas.predictors import load_predictor

    rng = np.random.default_rng(ctx.config.seed)
    archs: list[Arch] = [space.sample(rng) for _ in range(BUDGET_SAMPLES)]
    latency = predict_latency(load_predictor(predictor_file), archs, space)
    search = ctx.config.search
    if search.budgets_ms:
        budgets = sorted(float(b) for b in search.budgets_ms)
    else:
        budgets = sorted(float(np.quantile(latency, q)) for q in search.budget_quantiles)
    return {"budgets_ms": budgets, "predicted_range_ms": [float(latency.min()), float(latency.max())]}


def predictor_stage(ctx: StageContext) -> dict[str, Any]:
    """The latency predictor the search constrains with, and the resolved budgets."""
    space = get_space(ctx.config.space)
    out_dir = ctx.stage_dir("predictor")
    latency = ctx.done["latency"]
    if latency.get("predictor_file"):
        target = out_dir / "predictor.npz"
        shutil.copyfile(latency["predictor_file"], target)
        outputs: dict[str, Any] = {"predictor_file": str(target), "check": None}
    else:
        outputs = _fit_predictor(ctx, latency["dataset"], out_dir)
    return {**outputs, **resolve_budgets(ctx, outputs["predictor_file"], space)}
