"""The latency half of the pipeline: latency data (measured here, or reused), the latency predictor (fitted with a
held-out parity check, or reused), the budgets it turns into, and the search limits under the safety margin.

A budget in milliseconds only means something on one machine, so budgets can also be given relative to it:
quantiles of the predicted latency of random archs ("the 30% fastest"), or fractions of the largest arch's
latency, measured here when latency is measured here ("at most 40% of the largest model").

Every measurement goes through one :class:`~hwnas.hardware.busy.LoadGuard` per stage with the run's busy policy
(``ctx.busy``: wait, refuse or ignore on a busy machine), and the predictor stage records a verdict on the latency
data (:mod:`hwnas.hardware.reliability`) that the goal checks, the report and the console summary repeat.
"""

from __future__ import annotations

import csv
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from hwnas.core.arch import Arch
from hwnas.core.errors import DataError
from hwnas.core.space import SearchSpace
from hwnas.pipeline.budget_check import Measurer, resolve_margin, search_limit
from hwnas.pipeline.outputs import Budget, LatencyOutput, PredictorOutput
from hwnas.pipeline.progress import progress_bar
from hwnas.pipeline.runner import StageContext
from hwnas.spaces import get_space

if TYPE_CHECKING:
    from hwnas.hardware.busy import LoadGuard

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
        space, device=stage.device, dtype=stage.dtype, threads=stage.threads, warmup=stage.warmup, runs=stage.runs,
        estimator=stage.estimator,
    )  # fmt: skip


def load_guard(ctx: StageContext, threads: int | None) -> LoadGuard:
    """The stage's guard against measuring on a busy machine (its messages go where the stage's lines go, or to
    stderr in quiet mode: a silent wait of minutes would look like a hang)."""
    from hwnas.hardware.busy import LoadGuard

    return LoadGuard(ctx.busy, threads=threads, say=None if ctx.quiet else ctx.log)


def measurer(ctx: StageContext, latency: LatencyOutput) -> Measurer | None:
    """Measured latency (ms) on this machine under the latency dataset's own settings (its estimator included),
    one value per arch for the whole stage (an arch that answers two budgets gets one figure), on a quiet machine
    (the run's busy policy); None when latency was not measured here."""
    settings = latency.settings
    if not latency.measured or settings is None:
        return None
    from hwnas.hardware.protocols import measure_guarded

    space = get_space(ctx.config.space)
    guard = load_guard(ctx, settings.threads)
    seen: dict[str, float] = {}

    def measure(arch: Arch) -> float:
        if arch.arch_id not in seen:
            with torch_threads_restored():
                seen[arch.arch_id] = float(measure_guarded(arch, space, settings, guard).latency_ms)
        return seen[arch.arch_id]

    return measure


def given_latency_file(value: str, *, key: str, space: SearchSpace, device: str) -> str:
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


def latency_stage(ctx: StageContext) -> LatencyOutput:
    """Measure ``latency.archs`` archs on this machine (resumable), or point at the given dataset / predictor."""
    stage = ctx.config.latency
    space = get_space(ctx.config.space)
    if stage.source == "predictor":
        path = given_latency_file(str(stage.predictor_file), key="predictor_file", space=space, device=stage.device)
        return LatencyOutput(source=stage.source, predictor_file=path)
    if stage.source == "dataset":
        path = given_latency_file(str(stage.dataset), key="dataset", space=space, device=stage.device)
        return LatencyOutput(source=stage.source, dataset=path)
    from hwnas.hardware import collect
    from hwnas.hardware.protocols import measure_guarded

    settings = measure_settings(ctx, space)
    guard = load_guard(ctx, settings.threads)
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
            guard=guard,
        )
    with torch_threads_restored():
        largest = float(measure_guarded(space.largest(), space, settings, guard).latency_ms)
    return LatencyOutput(source="measure", dataset=str(out), rows=summary.rows, settings=settings,
                         busy_policy=guard.policy.to_dict(), largest_ms=largest)  # fmt: skip


def _split_rows(n: int, holdout: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    order = rng.permutation(n)
    held = round(holdout * n) if n >= MIN_ROWS_FOR_HOLDOUT else 0
    return np.sort(order[held:]), np.sort(order[:held])


def _fit_predictor(ctx: StageContext, dataset_path: str, out_dir: Path) -> dict[str, Any]:
    """Fit on the training rows, score and plot on the held-out rows, then refit on every row and save."""
    from hwnas.hardware import load_latency_csv
    from hwnas.predictors import evaluate_on_dataset, fit_on_dataset, parity_plot

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


def resolve_budgets(
    ctx: StageContext, predictor_file: str, space: SearchSpace, *, largest_measured: float | None
) -> dict[str, Any]:
    """Budgets in ms: the configured ones, fractions of the largest arch's latency (measured if it was), or
    quantiles of the predicted latency of random archs."""
    from hwnas.predictors import load_predictor

    rng = np.random.default_rng(ctx.config.seed)
    archs: list[Arch] = [space.sample(rng) for _ in range(BUDGET_SAMPLES)]
    predictor = load_predictor(predictor_file, space=space)
    predicted = predictor.predict(archs)
    largest_predicted = float(predictor.predict([space.largest()])[0])
    largest = float(largest_measured) if largest_measured is not None else largest_predicted
    search = ctx.config.search
    if search.budgets_ms:
        budgets = sorted(float(b) for b in search.budgets_ms)
    elif search.budget_fractions:
        budgets = sorted(f * largest for f in search.budget_fractions)
    else:
        budgets = sorted(float(np.quantile(predicted, q)) for q in search.budget_quantiles)
    return {
        "budgets_ms": budgets,
        "predicted_range_ms": (float(predicted.min()), float(predicted.max())),
        "largest": {"predicted_ms": largest_predicted, "measured_ms": largest_measured},
    }


def latency_reliability(latency: LatencyOutput, space: SearchSpace, check: dict[str, Any] | None) -> Any:
    """The verdict on the latency data: the dataset's rows (measured here or given) and the held-out check."""
    from hwnas.hardware.reliability import assess, assess_dataset

    heldout = None if not check or check.get("in_sample") else float(check["mape"])
    if latency.dataset:
        return assess_dataset(latency.dataset, space, heldout_mape=heldout, largest_ms=latency.largest_ms)
    return assess(latency_ms=[], flops=[], heldout_mape=heldout, largest_ms=latency.largest_ms)


def predictor_stage(ctx: StageContext, latency: LatencyOutput) -> PredictorOutput:
    """The latency predictor the search constrains with, and the resolved budgets under the safety margin."""
    space = get_space(ctx.config.space)
    out_dir = ctx.stage_dir("predictor")
    if latency.predictor_file:
        target = out_dir / "predictor.npz"
        shutil.copyfile(latency.predictor_file, target)
        fitted: dict[str, Any] = {"predictor_file": str(target), "check": None}
    else:
        assert latency.dataset is not None  # measured or given: a latency stage without a predictor has a dataset
        fitted = _fit_predictor(ctx, latency.dataset, out_dir)
    check = fitted["check"]
    margin = resolve_margin(ctx.config, check)
    budgets = resolve_budgets(ctx, fitted["predictor_file"], space, largest_measured=latency.largest_ms)
    return PredictorOutput(
        predictor_file=fitted["predictor_file"],
        budgets=tuple(Budget.under(b, search_limit(b, margin)) for b in budgets["budgets_ms"]),
        latency_margin=margin,
        check=check,
        latency_reliability=latency_reliability(latency, space, check).to_dict(),
        predictor=fitted.get("predictor"),
        encoding=fitted.get("encoding"),
        predicted_range_ms=budgets["predicted_range_ms"],
        largest=budgets["largest"],
    )
