"""`hwnas pipeline`, `hwnas quickstart`, `hwnas report`: thin shells over hwnas.pipeline / hwnas.report.

With ``--quiet`` they print only the report path (one line, for scripts); otherwise stage lines, progress bars,
the summary table and the report path.
"""

from __future__ import annotations

from pathlib import Path

import typer

from hwnas.cli.common import friendly_errors

_FROM = typer.Option(
    None, "--from", help="Re-run from this stage: supernet, latency, predictor, search, retrain, evaluate, report."
)
_QUIET = typer.Option(False, "--quiet", help="No progress output; print only the report path.")


def register(app: typer.Typer) -> None:
    app.command("pipeline")(pipeline_cmd)
    app.command("quickstart")(quickstart_cmd)
    app.command("report")(report_cmd)


def _print_summary(run_dir: Path, report: Path, quiet: bool) -> None:
    if quiet:
        typer.echo(str(report))
        return
    from rich.console import Console
    from rich.table import Table

    from hwnas.pipeline.quickstart import SUMMARY_COLUMNS, summary_rows

    table = Table(title="searched models, one per latency budget")
    for column in SUMMARY_COLUMNS:
        table.add_column(column, justify="left" if column == "arch_id" else "right")
    for row in summary_rows(run_dir):
        table.add_row(*row)
    Console().print(table)
    typer.echo(f"report: {report}")


def _check_from(stage: str | None) -> str | None:
    from hwnas.pipeline.runner import check_stage

    return None if stage is None else check_stage(stage)


@friendly_errors
def pipeline_cmd(
    config: Path = typer.Argument(..., help="Pipeline config YAML (see src/hwnas/configs/pipeline/)."),
    start_from: str | None = _FROM,
    run_dir: str | None = typer.Option(None, "--run-dir", help="Output folder (config key run_dir)."),
    quiet: bool = _QUIET,
) -> None:
    """Train a supernet, learn the device's latency, search one arch per latency budget, retrain it, score BLEU,
    and write a report. A killed run resumes: run the same command again."""
    from hwnas.pipeline import load_pipeline_config, run_pipeline

    loaded = load_pipeline_config(config, run_dir=run_dir)
    outcome = run_pipeline(loaded, start_from=_check_from(start_from), quiet=quiet)
    _print_summary(outcome.run_dir, Path(outcome.markers["report"]["report"]), quiet)


@friendly_errors
def quickstart_cmd(
    smoke: bool = typer.Option(False, "--smoke", help="CI-sized run (<= 5 minutes): plumbing only, not results."),
    out: str | None = typer.Option(None, "--out", help="Output folder (default runs/quickstart[-smoke])."),
    start_from: str | None = _FROM,
    quiet: bool = _QUIET,
) -> None:
    """The whole HAT loop on Multi30k En->De and this machine's CPU, in <= 15 minutes on 2 cores."""
    from hwnas.pipeline import run_quickstart

    outcome = run_quickstart(smoke=smoke, out=out, quiet=quiet, start_from=_check_from(start_from))
    _print_summary(outcome.run_dir, Path(outcome.markers["report"]["report"]), quiet)


@friendly_errors
def report_cmd(
    run_dir: Path = typer.Argument(..., help="A pipeline run directory."),
    quiet: bool = _QUIET,
) -> None:
    """(Re)write RUN_DIR/report: report.md, summary.json and the PNGs."""
    from hwnas.report import build_report

    report = build_report(run_dir)
    _print_summary(run_dir, report, quiet)
