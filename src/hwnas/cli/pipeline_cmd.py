"""`hwnas pipeline`, `hwnas quickstart`, `hwnas report`: thin shells over hwnas.pipeline / hwnas.report.

With ``--quiet`` they print only the report path (one line, for scripts); otherwise stage lines, progress bars,
the summary table, the verdict on the latency data and the report path. ``--max-load`` / ``--on-busy`` /
``--max-wait`` say what latency measurement does on a busy machine (not config keys: they describe this
invocation, so changing them never blocks a resume). ``--executor`` / ``--executor-opt`` / ``--ray-address`` set the
config's ``search.executor`` (which does not block a resume either: a search's result does not depend on it).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from hwnas.cli.busy_options import busy_options, busy_policy
from hwnas.cli.common import fail, friendly_errors
from hwnas.cli.executor_options import executor_block, executor_group

_FROM = typer.Option(
    None,
    "--from",
    help="Re-run from this stage: supernet, latency, predictor, search, baselines, retrain, evaluate, report.",
)
_QUIET = typer.Option(False, "--quiet", help="No progress output; print only the report path.")


def register(app: typer.Typer) -> None:
    app.command("pipeline")(pipeline_cmd)
    app.command("quickstart")(quickstart_cmd)
    app.command("report")(report_cmd)


def _table(title: str, columns: tuple[str, ...], rows: list[tuple[str, ...]]) -> object:
    from rich.table import Table

    table = Table(title=title)
    for column in columns:
        arch = column == "arch_id"
        table.add_column(column, justify="left" if arch else "right", no_wrap=arch)
    for row in rows:
        table.add_row(*row)
    return table


def _print_summary(run_dir: Path, report: Path, quiet: bool) -> None:
    if quiet:
        typer.echo(str(report))
        return
    from rich.console import Console

    from hwnas.pipeline.summary_table import (
        BASELINE_COLUMNS,
        SUMMARY_COLUMNS,
        baseline_rows,
        goal_lines,
        reliability_line,
        summary_rows,
    )

    console = Console()
    console.print(_table("searched models, one per latency budget", SUMMARY_COLUMNS, summary_rows(run_dir)))
    for name, rows in baseline_rows(run_dir).items():
        console.print(
            _table(f"baseline {name}, measured within budget (gap = searched - baseline)", BASELINE_COLUMNS, rows)
        )
    reliability = reliability_line(run_dir)
    if reliability is not None:
        typer.echo(reliability)
    for line in goal_lines(run_dir):
        typer.echo(f"goal: {line}")
    typer.echo(f"report: {report}")


def _dry_run(loaded: object) -> None:
    """Print every check; exit 2 when an input is missing or corrupted (warnings, e.g. no GPU here, do not fail)."""
    from hwnas.pipeline.check import FAILED, check_pipeline
    from hwnas.pipeline.config import PipelineConfig

    assert isinstance(loaded, PipelineConfig)
    checks = check_pipeline(loaded)
    for check in checks:
        typer.echo(f"{check.status:<8} {check.subject}: {check.detail}")
    failed = [c for c in checks if c.status in FAILED]
    if failed:
        if loaded.description:
            typer.echo(f"about this config: {loaded.description}")
        kinds = " or ".join(s for s in FAILED if any(c.status == s for c in failed))
        raise fail(f"{len(failed)} input(s) {kinds}, first: {failed[0].subject}; nothing was run")
    typer.echo("config OK: every input is in place (nothing was run)")


def _check_from(stage: str | None) -> str | None:
    from hwnas.pipeline.runner import check_stage

    return None if stage is None else check_stage(stage)


@friendly_errors
@busy_options
@executor_group(
    "Who runs the searches' evaluation batches: serial, process or ray; overrides the config's search.executor.",
    "an option of the executor, merged over search.executor's, e.g. actors=4 (ray), workers=4 (process).",
)
def pipeline_cmd(
    busy: dict[str, Any],
    executor: dict[str, Any],
    config: str = typer.Argument(
        ..., help="Pipeline config: a YAML path, or a bundled config's name (quickstart, multi30k-gpu, ...)."
    ),
    start_from: str | None = _FROM,
    run_dir: str | None = typer.Option(None, "--run-dir", help="Output folder (config key run_dir)."),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Check the config and every input it needs (corpora, files, devices); run nothing."
    ),
    quiet: bool = _QUIET,
) -> None:
    """Train a supernet, learn the device's latency, search one arch per latency budget, retrain it, score BLEU,
    and write a report. A killed run resumes: run the same command again."""
    from hwnas.pipeline import load_pipeline_config, run_pipeline

    loaded = load_pipeline_config(config, run_dir=run_dir, executor=executor_block(executor))
    if dry_run:
        _dry_run(loaded)
        return
    outcome = run_pipeline(loaded, start_from=_check_from(start_from), quiet=quiet, busy=busy_policy(busy))
    _print_summary(outcome.run_dir, Path(outcome.outputs.report.report), quiet)


@friendly_errors
@busy_options
def quickstart_cmd(
    busy: dict[str, Any],
    smoke: bool = typer.Option(False, "--smoke", help="CI-sized run of the same stages: plumbing only, not results."),
    out: str | None = typer.Option(None, "--out", help="Output folder (default runs/quickstart[-smoke])."),
    start_from: str | None = _FROM,
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Check the bundled config and every input it needs (corpus, device); run nothing."
    ),
    quiet: bool = _QUIET,
) -> None:
    """The whole HAT loop on Multi30k En->De and this machine's CPU (its measured wall time, full and --smoke, is in
    the README's quickstart-times block)."""
    from hwnas.pipeline import quickstart_config, run_quickstart

    if dry_run:
        _dry_run(quickstart_config(smoke=smoke, out=out))
        return

    outcome = run_quickstart(
        smoke=smoke, out=out, quiet=quiet, start_from=_check_from(start_from), busy=busy_policy(busy)
    )
    _print_summary(outcome.run_dir, Path(outcome.outputs.report.report), quiet)


@friendly_errors
def report_cmd(
    run_dir: Path = typer.Argument(..., help="A pipeline run directory, or a suite folder of `hwnas bench run`."),
    quiet: bool = _QUIET,
) -> None:
    """(Re)write RUN_DIR/report: report.md, summary.json and the PNGs (of a suite: report.md and the hypervolume,
    attainment and front PNGs)."""
    from hwnas.core.errors import DataError
    from hwnas.pipeline.runner import CONFIG_FILE, is_run_dir
    from hwnas.report import build_report
    from hwnas.studies.results import is_suite_folder

    if run_dir.is_dir() and is_suite_folder(run_dir):
        _suite_report(run_dir, quiet)
        return
    if run_dir.is_dir() and not is_run_dir(run_dir):
        raise DataError(
            f"{str(run_dir)!r} is not a pipeline run directory (no {CONFIG_FILE}, no stage marker); "
            "give the run_dir of `hwnas pipeline` or `hwnas quickstart`"
        )
    report = build_report(run_dir)
    _print_summary(run_dir, report, quiet)


def _suite_report(suite_dir: Path, quiet: bool) -> None:
    """A suite folder of `hwnas bench run`: its table, then the report path."""
    from hwnas.report import build_suite_report
    from hwnas.studies.results import table_lines

    written = build_suite_report(suite_dir)
    if not quiet:
        for line in table_lines(written.entry):
            typer.echo(line)
        typer.echo(f"figures: {', '.join(str(p) for p in written.figures.values())}")
        typer.echo("report: ", nl=False)
    typer.echo(str(written.report))
