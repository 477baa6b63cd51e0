"""The baselines stage: each configured baseline family's candidates predicted, measured on the device (all of them,
see :mod:`hwnas.pipeline.baseline_choice`) and ranked, one baseline chosen per budget, and the largest arch as the
reference for the speed-up goal.

Measurements and validation losses are cached in ``baselines/`` one line at a time, so a stage killed half-way
resumes without measuring anything twice; the candidate table (``baselines/NAME.json`` and the stage marker) keeps
every candidate's predicted and measured latency for the report.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hwnas.core.arch import Arch
from hwnas.core.files import write_json_atomic
from hwnas.core.space import SearchSpace
from hwnas.pipeline.baseline_choice import JsonlCache, Row, choose_baseline, measure_plan
from hwnas.pipeline.budget_check import Measurer
from hwnas.pipeline.latency_stages import measurer, torch_threads_restored
from hwnas.pipeline.outputs import BaselinesOutput, Choice, LatencyOutput, PredictorOutput, SupernetOutput
from hwnas.pipeline.progress import progress_bar
from hwnas.pipeline.runner import StageContext
from hwnas.spaces import get_space

LATENCY_CACHE = "measured.jsonl"  # baselines/: arch_id -> measured latency (ms)
LOSS_CACHE = "valid_loss.jsonl"  # baselines/: arch_id -> supernet validation loss


def _measurer(ctx: StageContext, latency: LatencyOutput, out: Path) -> Measurer | None:
    """The pipeline's measurer (None when latency is not measured here), cached on disk; the largest arch starts
    with the latency stage's figure, so the reference and the baseline candidate agree."""
    if not ctx.config.evaluate.measure_latency:
        return None
    measure = measurer(ctx, latency)
    if measure is None:
        return None
    cache = JsonlCache(out / LATENCY_CACHE)
    largest_ms = latency.largest_ms
    if largest_ms is not None:
        cache.get_or_compute(get_space(ctx.config.space).largest().arch_id, lambda: float(largest_ms))
    return lambda arch: cache.get_or_compute(arch.arch_id, lambda: measure(arch))


def _supernet_loss(ctx: StageContext, checkpoint: str, out: Path) -> Callable[[Arch], float] | None:
    """The supernet's validation loss, as the search computes it; None when no supernet checkpoint is at hand."""
    if not checkpoint or not Path(checkpoint).exists():
        return None
    cache = JsonlCache(out / LOSS_CACHE)
    holder: dict[str, Any] = {}

    def loss(arch: Arch) -> float:
        def compute() -> float:
            if "evaluator" not in holder:  # loaded only when a value is missing from the cache
                from hwnas.evaluate.supernet import SupernetEvaluator

                holder["evaluator"] = SupernetEvaluator(checkpoint, device=ctx.config.device)
            return float(holder["evaluator"].loss(arch))

        return cache.get_or_compute(arch.arch_id, compute)

    return loss


def _rows(predictor_file: str, archs: Sequence[Arch], space: SearchSpace) -> list[Row]:
    from hwnas.metrics import analytic_metrics
    from hwnas.pipeline.baselines import shrink_values
    from hwnas.predictors import load_predictor

    predicted = load_predictor(predictor_file, space=space).predict(archs)
    rows = []
    for arch, value in zip(archs, predicted, strict=True):
        metrics = analytic_metrics(arch, space)
        rows.append(
            {
                "arch_id": arch.arch_id,
                "arch": arch.to_dict(),
                "shrink": shrink_values(arch, space),
                "params": float(metrics["params"]),
                "flops": float(metrics["flops"]),
                "predicted_ms": float(value),
                "measured_ms": None,
                "valid_loss": None,
            }
        )
    return rows


def _fill(ctx: StageContext, rows: list[Row], wanted: list[bool], inputs: _Inputs, label: str) -> str:
    """Measure the wanted rows and score them with the supernet; returns the ranking rule that applies."""
    measure = _measurer(ctx, inputs.latency, inputs.out)
    loss = _supernet_loss(ctx, inputs.supernet.checkpoint, inputs.out)
    chosen = [row for row, want in zip(rows, wanted, strict=True) if want or measure is None]
    threads = (ctx.config.training.get("run") or {}).get("threads")
    with progress_bar(f"baseline {label}", total=len(chosen), quiet=ctx.quiet) as advance:
        for number, row in enumerate(chosen, start=1):
            arch = Arch.from_dict(row["arch"])
            if measure is not None:
                row["measured_ms"] = float(measure(arch))
            if loss is not None:
                with torch_threads_restored(None if threads is None else int(threads)):
                    row["valid_loss"] = loss(arch)
            advance(number)
    return "valid_loss" if loss is not None else "params"


@dataclass(frozen=True)
class _Inputs:
    """What the stage works from: the earlier stages' outputs and its own folder."""

    supernet: SupernetOutput
    latency: LatencyOutput
    predictor: PredictorOutput
    out: Path


def candidate_table(ctx: StageContext, name: str, inputs: _Inputs) -> dict[str, Any]:
    """Every candidate of baseline family ``name`` with its predicted / measured latency and ranking figures."""
    from hwnas.pipeline.baselines import baseline_archs

    space = get_space(ctx.config.space)
    rows = _rows(inputs.predictor.predictor_file, baseline_archs(name, space), space)
    wanted, plan = measure_plan([r["predicted_ms"] for r in rows], [b.budget_ms for b in inputs.predictor.budgets])
    rule = _fill(ctx, rows, wanted, inputs, name)
    measured = any(r["measured_ms"] is not None for r in rows)
    table = {"baseline": name, "rule": rule, "measured": plan if measured else "none measured: predictions only",
             "candidates": rows}  # fmt: skip
    write_json_atomic(inputs.out / f"{name}.json", table)
    return table


def reference(ctx: StageContext, predictor: PredictorOutput) -> Choice:
    """The largest arch of the space: the speed-up goal's yardstick (retrained like the others)."""
    from hwnas.metrics import analytic_metrics

    space = get_space(ctx.config.space)
    largest = predictor.largest
    arch = space.largest()
    return {
        "arch_id": arch.arch_id,
        "arch": arch.to_dict(),
        "predicted_ms": largest.get("predicted_ms"),
        "measured_ms": largest.get("measured_ms"),
        "metrics": {"params": analytic_metrics(arch, space)["params"]},
    }


def baselines_stage(
    ctx: StageContext, supernet: SupernetOutput, latency: LatencyOutput, predictor: PredictorOutput
) -> BaselinesOutput:
    """Per budget, each configured baseline's fair choice (see module doc) and the reference; nothing when the
    config names no baseline."""
    inputs = _Inputs(supernet, latency, predictor, ctx.stage_dir("baselines"))
    tables = {name: candidate_table(ctx, name, inputs) for name in ctx.config.baselines}
    per_budget: list[dict[str, Any]] = []
    for budget in predictor.budgets:
        chosen = {
            name: choose_baseline(table["candidates"], budget_ms=budget.budget_ms, limit_ms=budget.limit_ms,
                                  rule=table["rule"])
            for name, table in tables.items()
        }  # fmt: skip
        for name, choice in chosen.items():
            detail = "none" if choice is None else f"{choice['arch_id']} ({choice['selection']['reason']})"
            ctx.log(f"[baselines] {name} at {budget.budget_ms:.2f} ms: {detail}")
        per_budget.append({"budget_ms": budget.budget_ms, "limit_ms": budget.limit_ms, "baselines": chosen})
    return BaselinesOutput(tables, tuple(per_budget), reference(ctx, predictor) if tables else None)
