"""`hwnas latency collect` and `hwnas latency datasets`: measure a latency dataset on this machine, list the
embedded ones.

They are added to the ``latency`` sub-app by :func:`register_collect` (the sub-app itself lives in
``cli/latency_cmd.py``). Every flag maps to one collection setting; measurement settings not given come from the
space (sequence lengths) and the protocol's defaults. ``--max-load`` / ``--on-busy`` / ``--max-wait`` say what to do
on a busy machine (:mod:`hwnas.cli.busy_options`).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from hwnas.cli.busy_options import busy_options, busy_policy
from hwnas.cli.common import friendly_errors, print_json
from hwnas.core.files import check_writable

if TYPE_CHECKING:
    from hwnas.core.space import SearchSpace
    from hwnas.hardware.collector import CollectSummary


def register_collect(latency_app: typer.Typer) -> None:
    """Add ``collect`` and ``datasets`` to the ``hwnas latency`` sub-app."""
    latency_app.command("collect")(collect)
    latency_app.command("datasets")(datasets)


def _progress_bar() -> Any:
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    return Progress(
        TextColumn("measuring"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[last]}"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=False,
    )


@friendly_errors
@busy_options
def collect(
    busy: dict[str, Any],
    space: str = typer.Option(..., "--space", help="Space name or YAML path (hat-* or gpt-* family)."),
    device: str = typer.Option("cpu", "--device", help="cpu, cuda or cuda:N."),
    n: int = typer.Option(..., "--n", help="Rows wanted in the CSV (a resumed run only measures what is missing)."),
    out: Path = typer.Option(..., "--out", help="CSV to create or resume; provenance goes to the same name .json."),
    sampler: str = typer.Option("random", "--sampler", help="random (HAT's) or stratified (even over FLOPs)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the arch stream (same seed, same archs, same order)."),
    warmup: int = typer.Option(5, "--warmup", help="Untimed runs per phase."),
    runs: int = typer.Option(20, "--runs", help="Timed runs per phase (min, median and HAT's trimmed mean kept)."),
    estimator: str = typer.Option(
        "min", "--estimator", help="The arch's latency: min (least moved by other processes), median, trimmed-mean."
    ),
    threads: int | None = typer.Option(None, "--threads", help="torch threads (default: 1 on CPU; recorded)."),
    dtype: str = typer.Option("fp32", "--dtype", help="fp32, bf16 (or fp16 on CUDA)."),
    batch: int | None = typer.Option(None, "--batch", help="Batch (default: 1 for MT, HW-GPT-Bench's for gpt-*)."),
    seq_len: int | None = typer.Option(None, "--seq-len", help="gpt-*: tokens per sequence (default block_size)."),
    beam: int | None = typer.Option(None, "--beam", help="hat-*: hypotheses in the decoder steps (default 5)."),
    notes: str | None = typer.Option(None, "--notes", help="Free text stored in the provenance sidecar."),
    max_seconds: float | None = typer.Option(
        None, "--max-seconds", help="Stop after this long (resume later with the same command)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON summary at the end."),
) -> None:
    """Measure archs of a space on this machine into a resumable latency CSV (HAT's columns + the full arch)."""
    from hwnas.hardware.busy import LoadGuard
    from hwnas.hardware.protocols import protocol_for
    from hwnas.spaces import get_space

    check_writable(out, what="--out")  # before any model is built or measured
    space_obj = get_space(space)
    settings = protocol_for(space_obj).default_settings(
        space_obj, device=device, dtype=dtype, threads=threads, warmup=warmup, runs=runs, batch=batch,
        seq_len=seq_len, beam=beam, estimator=estimator,
    )  # fmt: skip
    guard = LoadGuard(busy_policy(busy), threads=settings.threads)
    kwargs: dict[str, Any] = {"settings": settings, "n": n, "out": out, "sampler": sampler, "seed": seed}
    kwargs.update(notes=notes, time_budget_s=max_seconds, guard=guard)
    summary = run_collect_with_progress(space_obj, kwargs, show_progress=not as_json and sys.stderr.isatty())
    _print_summary(summary, as_json=as_json)


def run_collect_with_progress(space: SearchSpace, kwargs: dict[str, Any], *, show_progress: bool) -> CollectSummary:
    """The collection, with a progress bar on stderr when a person watches it (a terminal, no --json); shared with
    ``hwnas bench measure``."""
    from hwnas.hardware.collector import collect as run_collect

    if not show_progress:
        return run_collect(space, **kwargs)
    with _progress_bar() as progress:
        task = progress.add_task("collect", total=kwargs["n"], last="")

        def on_row(done: int, total: int, measurement: Any) -> None:
            last = "" if measurement is None else f"last {measurement.latency_ms:,.1f} ms"
            progress.update(task, completed=done, total=total, last=last)

        return run_collect(space, on_row=on_row, **kwargs)


def _print_summary(summary: CollectSummary, *, as_json: bool) -> None:
    result = {"out": str(summary.out), "rows": summary.rows, "measured": summary.measured, "skipped": summary.skipped}
    if as_json:
        print_json(result)
    else:
        typer.echo(f"{summary.rows} rows in {summary.out} ({summary.measured} measured now)")


@friendly_errors
def datasets(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """List the latency datasets shipped with hwnas (the defaults used without measuring anything)."""
    from hwnas.hardware.embedded import embedded_datasets

    entries = [d.summary() for d in embedded_datasets()]
    if as_json:
        print_json(entries)
        return
    for entry in entries:
        typer.echo(
            f"{entry['name']}: space {entry['space']}, {entry['device']} ({entry['hardware']}), {entry['rows']} rows"
        )
