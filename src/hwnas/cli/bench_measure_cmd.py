"""`hwnas bench measure` and `hwnas bench add-device`: measure the benchmark's workload on this machine, then make
the measurements a device of the benchmark, queried and searched like the table's own.

They are added to the ``bench`` sub-app by :func:`register_measure`. ``measure`` is ``hwnas latency collect`` with
the table's workload: the gpt family's ``lm-forward`` protocol (one forward pass of a batch of random tokens, batch
8 / 4 / 1 x 1024 tokens on gpt-s / m / l), wall-clock with warm-up and synchronisation, through the same collector
(a resumable CSV + provenance sidecar) and the same busy-machine checks (``--max-load`` / ``--on-busy`` /
``--max-wait``). ``--batch`` / ``--seq-len`` shrink the workload for a small machine; the sidecar's settings record
them (and its notes say they differ from the table's).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from hwnas.cli.bench_cmd import open_benchmark, scales
from hwnas.cli.busy_options import busy_options, busy_policy
from hwnas.cli.common import friendly_errors, print_json
from hwnas.core.errors import ConfigError, DataError
from hwnas.core.files import check_writable

if TYPE_CHECKING:
    from hwnas.core.space import SearchSpace
    from hwnas.hardware.collector import CollectSummary
    from hwnas.hardware.settings import MeasureSettings

TABLE_RUNS = 10  # HW-GPT-Bench timed 10 forward passes per arch and device


def register_measure(bench_app: typer.Typer) -> None:
    """Add ``measure`` and ``add-device`` to the ``hwnas bench`` sub-app."""
    bench_app.command("measure")(measure)
    bench_app.command("add-device")(add_device)


def default_dtype(device: str) -> str:
    """The table's precision: bf16 autocast on its recent GPUs, fp32 on CPUs."""
    return "bf16" if device.startswith("cuda") else "fp32"


def workload_notes(space: str, batch: int, seq_len: int, table: tuple[int, int], notes: str | None) -> str:
    """The sidecar's notes: what was measured, and whether it is the table's workload."""
    text = f"hwnas bench measure on {space}: one forward pass of batch {batch} x {seq_len} random tokens"
    if (batch, seq_len) != table:
        text += f" (NOT the table's workload, batch {table[0]} x {table[1]}: latencies are not comparable with it)"
    return text + (f"; {notes}" if notes else "")


@friendly_errors
@busy_options
def measure(
    busy: dict[str, Any],
    space: str = typer.Option(..., "--space", help="gpt-s, gpt-m or gpt-l."),
    device: str = typer.Option("cpu", "--device", help="cpu, cuda or cuda:N."),
    n: int = typer.Option(..., "--n", help="Rows wanted in the CSV (a resumed run measures what is missing)."),
    out: Path = typer.Option(..., "--out", help="CSV to create or resume; provenance goes to the same name .json."),
    batch: int | None = typer.Option(None, "--batch", help="Sequences per forward pass (default: the table's)."),
    seq_len: int | None = typer.Option(None, "--seq-len", help="Tokens per sequence (default: the table's 1024)."),
    dtype: str | None = typer.Option(None, "--dtype", help="fp32, bf16 or fp16 (default: bf16 on CUDA, else fp32)."),
    warmup: int = typer.Option(5, "--warmup", help="Untimed forward passes per arch."),
    runs: int = typer.Option(TABLE_RUNS, "--runs", help="Timed forward passes per arch (the table: 10)."),
    threads: int | None = typer.Option(None, "--threads", help="torch threads (default: 1 on CPU; recorded)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the arch stream (same seed, same archs, same order)."),
    notes: str | None = typer.Option(None, "--notes", help="Free text added to the sidecar's notes."),
    max_seconds: float | None = typer.Option(None, "--max-seconds", help="Stop after this long (resume later)."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON summary at the end."),
) -> None:
    """Measure the benchmark's workload for random archs of a space on this machine (resumable CSV + sidecar)."""
    from hwnas.cli.collect_cmd import run_collect_with_progress
    from hwnas.hardware.busy import LoadGuard
    from hwnas.spaces import get_space

    check_writable(out, what="--out")  # before any model is built or measured
    if n < 1:
        raise ConfigError(f"--n {n} must be >= 1 (the rows wanted in the CSV)")
    space_obj = get_space(scales(space)[0])
    sizes = {"device": device, "dtype": dtype or default_dtype(device), "threads": threads, "warmup": warmup,
             "runs": runs, "batch": batch, "seq_len": seq_len}  # fmt: skip
    settings, text = measure_settings(space_obj, sizes, notes)
    guard = LoadGuard(busy_policy(busy), threads=settings.threads)
    kwargs: dict[str, Any] = {"settings": settings, "n": n, "out": out, "sampler": "random", "seed": seed}
    kwargs.update(notes=text, time_budget_s=max_seconds, guard=guard)
    summary = run_collect_with_progress(space_obj, kwargs, show_progress=not as_json and sys.stderr.isatty())
    _print_measured(summary, space_obj.name, as_json=as_json)


def measure_settings(space: SearchSpace, sizes: dict[str, Any], notes: str | None) -> tuple[MeasureSettings, str]:
    """The ``lm-forward`` settings of the table's workload with the flags given (None: the table's), the trimmed
    mean as the arch's latency (the estimator closest to the table's mean of 10 repeats), and the sidecar's notes."""
    from hwnas.hardware.protocols import protocol_for

    protocol = protocol_for(space)
    table = protocol.default_settings(space)
    settings = protocol.default_settings(space, estimator="trimmed-mean", **sizes)
    assert settings.seq_len is not None and table.seq_len is not None  # lm-forward requires it
    return settings, workload_notes(space.name, settings.batch, settings.seq_len, (table.batch, table.seq_len), notes)


def _print_measured(summary: CollectSummary, space: str, *, as_json: bool) -> None:
    result = {"out": str(summary.out), "rows": summary.rows, "measured": summary.measured, "skipped": summary.skipped}
    if as_json:
        print_json(result)
        return
    typer.echo(f"{summary.rows} rows in {summary.out} ({summary.measured} measured now)")
    typer.echo(f"add it to the benchmark: hwnas bench add-device NAME --space {space} --from {summary.out}")


@friendly_errors
def add_device(
    name: str = typer.Argument(..., help="The new device's name in queries and searches (e.g. my_laptop)."),
    space: str = typer.Option(..., "--space", help="gpt-s, gpt-m or gpt-l: the space the CSV was measured on."),
    from_csv: Path = typer.Option(..., "--from", help="CSV written by `hwnas bench measure` (with its sidecar)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Add a device you measured (`hwnas bench measure`) to the benchmark: queried and searched like the table's."""
    from hwnas.bench.catalog import TABLE_DEVICES
    from hwnas.bench.devices import check_name, shipped_devices

    scale = scales(space)[0]
    check_name(name, TABLE_DEVICES, tuple(d.name for d in shipped_devices(scale)))
    check_measured(from_csv, scale)
    bench = open_benchmark(space)
    added = bench.add_device(name, from_csv)
    summary = {"space": bench.scale, "device": name, "from": str(from_csv), "added": _plain(added)}
    if as_json:
        print_json(summary)
        return
    typer.echo(f"device {name!r} added to {bench.scale} from {from_csv}")
    typer.echo(f"query it: hwnas bench query --space {bench.scale} --metric latency --device {name} --archs FILE")


def check_measured(path: Path, space: str) -> None:
    """``--from`` must be a CSV `hwnas bench measure` wrote for ``space`` (its sidecar says so)."""
    from hwnas.hardware.dataset_files import read_sidecar, sidecar_path

    if not path.is_file():
        raise DataError(f"--from {str(path)!r}: file not found")
    sidecar = read_sidecar(path)
    if sidecar is None:
        raise DataError(
            f"--from {str(path)!r} has no provenance sidecar {str(sidecar_path(path))!r}; give a CSV written by "
            "`hwnas bench measure` (with its .json)"
        )
    if sidecar.get("space") != space:
        raise DataError(f"--from {str(path)!r} was measured on space {sidecar.get('space')!r}, not {space!r}")


def _plain(value: Any) -> Any:
    import dataclasses

    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {k: str(v) if isinstance(v, Path) else v for k, v in dataclasses.asdict(value).items()}
    return str(value) if isinstance(value, Path) else value
