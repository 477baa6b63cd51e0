"""`hwnas latency collect` and `hwnas latency datasets`: measure a latency dataset on this machine, list the
embedded ones.

They are added to the ``latency`` sub-app by :func:`register_collect` (the sub-app itself lives in
``cli/latency_cmd.py``). Every flag maps to one collection setting; measurement settings not given come from the
space (sequence lengths) and the protocol's defaults. ``--max-load`` / ``--on-busy`` / ``--max-wait`` say what to do
on a busy machine (:mod:`hwnas.cli.busy_options`). ``--devices A,B --executor ray`` collects on several devices of a
Ray cluster at once, one dataset per device in the ``--out`` folder (:mod:`hwnas.hardware.pool_collect`).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from hwnas.cli.busy_options import busy_options, busy_policy
from hwnas.cli.common import fail, friendly_errors, print_json
from hwnas.cli.executor_options import executor_group, unit_executor
from hwnas.core.errors import ConfigError
from hwnas.core.files import check_writable

if TYPE_CHECKING:
    from hwnas.core.space import SearchSpace
    from hwnas.hardware.collector import CollectSummary
    from hwnas.hardware.pool_collect import DeviceResult


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
@executor_group(
    "Where archs are measured: serial (this machine, default) or ray (the --devices of a Ray cluster).",
    "an option of --executor ray, e.g. max_retries=3.",
)
def collect(
    busy: dict[str, Any],
    executor: dict[str, Any],
    space: str = typer.Option(..., "--space", help="Space name or YAML path (hat-* or gpt-* family)."),
    device: str = typer.Option("cpu", "--device", help="cpu, cuda or cuda:N."),
    n: int = typer.Option(..., "--n", help="Rows wanted in the CSV (a resumed run only measures what is missing)."),
    out: Path = typer.Option(
        ...,
        "--out",
        help="CSV to create or resume; provenance goes to the same name .json. With --devices: a folder, one "
        "DEVICE.csv each.",
    ),
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
    devices: str | None = typer.Option(
        None,
        "--devices",
        help="NAME,NAME: collect on these devices of a Ray cluster at once (nodes holding resource device:NAME), "
        "one dataset each in the --out folder; needs --executor ray.",
    ),
) -> None:
    """Measure archs of a space on this machine (or on a pool of devices) into resumable latency CSVs (HAT's
    columns + the full arch)."""
    from hwnas.hardware.busy import LoadGuard
    from hwnas.hardware.protocols import protocol_for
    from hwnas.spaces import get_space

    pool = _pool_request(executor, devices)
    check_writable(out, what="--out", folder=pool is not None)  # before any model is built or measured
    space_obj = get_space(space)
    settings = protocol_for(space_obj).default_settings(
        space_obj, device=device, dtype=dtype, threads=threads, warmup=warmup, runs=runs, batch=batch,
        seq_len=seq_len, beam=beam, estimator=estimator,
    )  # fmt: skip
    kwargs: dict[str, Any] = {"settings": settings, "n": n, "sampler": sampler, "seed": seed}
    kwargs.update(notes=notes, time_budget_s=max_seconds)
    if pool is not None:
        _collect_on_pool(space_obj, pool, out, busy_policy(busy), kwargs, as_json=as_json)
        return
    kwargs.update(out=out, guard=LoadGuard(busy_policy(busy), threads=settings.threads))
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


def _pool_request(executor: dict[str, Any], devices: str | None) -> Any:
    """(devices, validated PoolOptions) for --executor ray, None for this machine; one-line errors for flags that
    do not go together."""
    given = unit_executor(executor, what="the measurements")
    if given is None:
        if devices is not None:
            raise ConfigError("--devices collects on a Ray cluster's devices: add --executor ray")
        return None
    if devices is None:
        raise ConfigError(
            "--executor ray (or --ray-address) collects on a device pool: give --devices NAME,NAME "
            "(Ray resources device:NAME)"
        )
    from hwnas.contracts.options import validate_options
    from hwnas.hardware.pool_collect import PoolOptions
    from hwnas.hardware.ray_cluster import check_devices, split_devices

    names = check_devices(split_devices(devices), what="--devices")
    if not names:
        raise ConfigError("--devices is empty; give the pool's device names, e.g. --devices cpu-a,cpu-b")
    options = validate_options(PoolOptions, given, where="executor 'ray'")
    return names, options


def _collect_on_pool(
    space: SearchSpace, pool: Any, out: Path, policy: Any, kwargs: dict[str, Any], *, as_json: bool
) -> None:
    """Every device's dataset at once; one line per device (or JSON), exit code 2 when a device stopped early."""
    from hwnas.hardware.pool_collect import collect_on_devices

    devices, options = pool
    results = collect_on_devices(space, devices=devices, out_dir=out, policy=policy, options=options, **kwargs)
    _print_pool_summary(results, as_json=as_json)
    stopped = [r for r in results if r.error is not None]
    if stopped:
        raise fail(f"{len(stopped)} of {len(results)} devices stopped early; run the same command again to resume")


def _print_pool_summary(results: list[DeviceResult], *, as_json: bool) -> None:
    rows = []
    for result in results:
        row: dict[str, Any] = {"device": result.device, "out": str(result.out), "error": result.error}
        if result.summary is not None:
            summary = result.summary
            row.update(rows=summary.rows, measured=summary.measured, skipped=summary.skipped)
        rows.append(row)
    if as_json:
        print_json(rows)
        return
    for row in rows:
        if row["error"] is None:
            typer.echo(f"{row['device']}: {row['rows']} rows in {row['out']} ({row['measured']} measured now)")
        else:
            typer.echo(f"{row['device']}: stopped: {row['error']}", err=True)


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
