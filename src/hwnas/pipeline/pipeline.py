"""`run_pipeline`: the HAT stages wired to the runner."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hwnas.hardware.busy import BusyPolicy
from hwnas.pipeline.baseline_stage import baselines_stage
from hwnas.pipeline.check import require_inputs
from hwnas.pipeline.config import PipelineConfig
from hwnas.pipeline.evaluate_stage import evaluate_stage
from hwnas.pipeline.latency_stages import latency_stage, predictor_stage
from hwnas.pipeline.model_stages import retrain_stage, search_stage, supernet_stage
from hwnas.pipeline.runner import PipelineOutcome, StageContext, StageFn, run_stages


def report_stage(ctx: StageContext) -> dict[str, Any]:
    from hwnas.report import build_report

    return {"report": str(build_report(ctx.run_dir))}


STAGE_FUNCTIONS: dict[str, StageFn] = {
    "supernet": supernet_stage,
    "latency": latency_stage,
    "predictor": predictor_stage,
    "search": search_stage,
    "baselines": baselines_stage,
    "retrain": retrain_stage,
    "evaluate": evaluate_stage,
    "report": report_stage,
}


def run_pipeline(
    config: PipelineConfig,
    *,
    start_from: str | None = None,
    quiet: bool = False,
    log: Callable[[str], None] | None = None,
    busy: BusyPolicy | None = None,
) -> PipelineOutcome:
    """Run (or resume) the pipeline in ``config.run_dir``; ``start_from`` re-runs that stage and every later one.
    Every input is checked first (:func:`require_inputs`), so a run that cannot start leaves no run directory."""
    require_inputs(config)
    return run_stages(config, STAGE_FUNCTIONS, start_from=start_from, quiet=quiet, log=log, busy=busy)
