"""The end-to-end HAT pipeline: supernet training -> latency data -> latency predictor -> evolutionary search per
latency budget -> baselines measured on the device -> retrain from scratch -> BLEU -> report, resumable stage by
stage (see :mod:`hwnas.pipeline.runner`).

Entry points: :func:`run_pipeline` (a :class:`PipelineConfig`), :func:`load_pipeline_config` (a YAML path or the
name of a bundled config: quickstart, multi30k-gpu, wmt14-ende, iwslt14-deen...), :func:`check_pipeline` (every
input checked, nothing run), :func:`run_quickstart` (the bundled small config on this machine's CPU).
"""

from __future__ import annotations

from hwnas.pipeline.check import check_pipeline
from hwnas.pipeline.config import PipelineConfig, bundled_config_names, load_pipeline_config, parse_pipeline_config
from hwnas.pipeline.pipeline import run_pipeline
from hwnas.pipeline.quickstart import quickstart_config, run_quickstart, summary_rows
from hwnas.pipeline.runner import STAGES, PipelineOutcome

__all__ = [
    "STAGES",
    "PipelineConfig",
    "PipelineOutcome",
    "bundled_config_names",
    "check_pipeline",
    "load_pipeline_config",
    "parse_pipeline_config",
    "quickstart_config",
    "run_pipeline",
    "run_quickstart",
    "summary_rows",
]
