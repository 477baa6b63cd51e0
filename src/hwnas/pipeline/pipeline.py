"""`run_pipeline`: the HAT stages wired to the runner, each stage given the typed outputs of the stages it needs."""

from __future__ import annotations

from collections.abc import Callable

from hwnas.hardware.busy import BusyPolicy
from hwnas.pipeline.baseline_stage import baselines_stage
from hwnas.pipeline.check import require_inputs
from hwnas.pipeline.config import PipelineConfig
from hwnas.pipeline.evaluate_stage import evaluate_stage
from hwnas.pipeline.latency_stages import latency_stage, predictor_stage
from hwnas.pipeline.model_stages import retrain_stage, search_stage, supernet_stage
from hwnas.pipeline.outputs import (
    BaselinesOutput,
    EvaluateOutput,
    LatencyOutput,
    PipelineOutputs,
    PredictorOutput,
    ReportOutput,
    RetrainOutput,
    SearchOutput,
    SupernetOutput,
)
from hwnas.pipeline.runner import PipelineOutcome, StageContext, StageRunner


def report_stage(ctx: StageContext) -> ReportOutput:
    from hwnas.report import build_report

    return ReportOutput(str(build_report(ctx.run_dir)))


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
    runner = StageRunner(config, start_from=start_from, quiet=quiet, log=log, busy=busy)
    ctx = runner.ctx
    supernet = runner.stage("supernet", SupernetOutput, lambda: supernet_stage(ctx))
    latency = runner.stage("latency", LatencyOutput, lambda: latency_stage(ctx))
    predictor = runner.stage("predictor", PredictorOutput, lambda: predictor_stage(ctx, latency))
    search = runner.stage("search", SearchOutput, lambda: search_stage(ctx, supernet, latency, predictor))
    baselines = runner.stage("baselines", BaselinesOutput, lambda: baselines_stage(ctx, supernet, latency, predictor))
    retrain = runner.stage("retrain", RetrainOutput, lambda: retrain_stage(ctx, search, baselines))
    evaluate = runner.stage(
        "evaluate", EvaluateOutput, lambda: evaluate_stage(ctx, latency, predictor, search, baselines, retrain)
    )
    report = runner.stage("report", ReportOutput, lambda: report_stage(ctx))
    outputs = PipelineOutputs(supernet, latency, predictor, search, baselines, retrain, evaluate, report)
    return runner.outcome(outputs)
