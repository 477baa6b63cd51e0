"""`hwnas quickstart`: the pipeline on a bundled small config (Multi30k En->De, the `tiny` hat-family space, this
machine's CPU measured live), and the summary table it prints.

The bundled YAML files live in ``hwnas/configs/pipeline/`` so that ``hwnas pipeline`` can run the very same file
and users can copy it as a starting point.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from hwnas.pipeline.config import PipelineConfig, parse_pipeline_config
from hwnas.pipeline.pipeline import run_pipeline
from hwnas.pipeline.runner import PipelineOutcome

QUICKSTART_FILE = "quickstart.yaml"
SMOKE_FILE = "quickstart-smoke.yaml"
SUMMARY_COLUMNS = ("budget (ms)", "arch_id", "predicted (ms)", "measured (ms)", "BLEU")


def quickstart_config(*, smoke: bool = False, out: str | Path | None = None) -> PipelineConfig:
    """The bundled quickstart config (``smoke``: the CI-sized one), with ``run_dir`` set to ``out`` when given."""
    name = SMOKE_FILE if smoke else QUICKSTART_FILE
    text = resources.files("hwnas.configs.pipeline").joinpath(name).read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    if out is not None:
        data["run_dir"] = str(out)
    return parse_pipeline_config(data, source=f"bundled {name}")


def run_quickstart(
    *, smoke: bool = False, out: str | Path | None = None, quiet: bool = False, start_from: str | None = None
) -> PipelineOutcome:
    return run_pipeline(quickstart_config(smoke=smoke, out=out), quiet=quiet, start_from=start_from)


def _cell(value: Any, pattern: str) -> str:
    return "-" if value is None else format(value, pattern)


def summary_rows(run_dir: str | Path) -> list[tuple[str, ...]]:
    """The rows of the summary table (one per budget) from ``report/summary.json``."""
    import json

    summary = json.loads((Path(run_dir) / "report" / "summary.json").read_text(encoding="utf-8"))
    rows = [
        (
            _cell(m["budget_ms"], ".2f"),
            str(m["arch_id"]),
            _cell(m.get("predicted_ms"), ".2f"),
            _cell(m.get("measured_ms"), ".2f"),
            _cell(m.get("bleu"), ".2f"),
        )
        for m in summary["models"]
    ]
    rows += [(_cell(b, ".2f"), "(none met the budget)", "-", "-", "-") for b in summary["budgets_without_model"]]
    return sorted(rows, key=lambda r: float(r[0]))
