"""The end-to-end HAT pipeline: supernet training -> latency data -> latency predictor -> evolutionary search per
latency budget -> retrain from scratch -> BLEU -> report, resumable stage by stage (see :mod:`hwnas.pipeline.runner`).

Entry points: :func:`run_pipeline` (a :class:`PipelineConfig`), :func:`load_pipeline_config` (YAML),
:func:`run_quickstart` (the bundled small config on this machine's CPU).
"""

from __future__ import annotations

from hwnas.pipeline.config import PipelineConfig, load_pipeline_config, parse_pipeline_config
from hwnas.pipeline.pipeline import run_pipeline
from hwnas.pipeline.quickstart import quickstart_config, run_quickstart, summary_rows
from hwnas.pipeline.runner import STAGES, PipelineOutcome

__all__ = [
    "STAGES",
    "PipelineConfig",
    "PipelineOutcome",
    "load_pipeline_config",
    "parse_pipeline_config",
    "quickstart_config",
    "run_pipeline",
    "run_quickstart",
    "summary_rows",
]
