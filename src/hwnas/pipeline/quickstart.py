"""`hwnas quickstart`: the pipeline on a bundled small config (Multi30k En->De, the `tiny` hat-family space, this
machine's CPU measured live), and the summary table it prints.

The bundled YAML files live in ``hwnas/configs/pipeline/`` so that ``hwnas pipeline`` can run the very same file
and users can copy it as a starting point.
"""

from __future__ import annotations

from pathlib import Path

from hwnas.hardware.busy import BusyPolicy
from hwnas.pipeline.config import PipelineConfig, load_pipeline_config
from hwnas.pipeline.pipeline import run_pipeline
from hwnas.pipeline.runner import PipelineOutcome
from hwnas.pipeline.summary_table import SUMMARY_COLUMNS, summary_rows

__all__ = ["SUMMARY_COLUMNS", "quickstart_config", "run_quickstart", "summary_rows"]

QUICKSTART_NAME = "quickstart"  # bundled configs (hwnas/configs/pipeline/NAME.yaml)
SMOKE_NAME = "quickstart-smoke"


def quickstart_config(*, smoke: bool = False, out: str | Path | None = None) -> PipelineConfig:
    """The bundled quickstart config (``smoke``: the CI-sized one), with ``run_dir`` set to ``out`` when given."""
    return load_pipeline_config(SMOKE_NAME if smoke else QUICKSTART_NAME, run_dir=None if out is None else str(out))


def run_quickstart(
    *,
    smoke: bool = False,
    out: str | Path | None = None,
    quiet: bool = False,
    start_from: str | None = None,
    busy: BusyPolicy | None = None,
) -> PipelineOutcome:
    """The bundled run; ``busy``: what latency measurement does on a busy machine (default: wait, then refuse)."""
    return run_pipeline(quickstart_config(smoke=smoke, out=out), quiet=quiet, start_from=start_from, busy=busy)
