"""`hwnas bench list|fit|query`: HW-GPT-Bench's GPT spaces (gpt-s / gpt-m / gpt-l) as a benchmark API over the
measured table and its surrogates (:class:`hwnas.bench.benchmark.Benchmark`).

``bench_app`` is the ``hwnas bench`` sub-app; ``cli/bench_measure_cmd.py`` adds ``measure`` and ``add-device`` to
it. Every flag is checked (space, metric, device, mode, the archs file) before anything is fitted or written, and a
bad one is one line naming the flag, the value and what is allowed.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from hwnas.cli.common import friendly_errors, print_json
from hwnas.core.errors import ConfigError, UnknownNameError

if TYPE_CHECKING:
    from hwnas.bench.benchmark import Benchmark, QueryResult

SCALES = ("gpt-s", "gpt-m", "gpt-l")
QUERY_MODES = ("mean", "interval", "sample")

bench_app = typer.Typer(
    help="HW-GPT-Bench's GPT spaces as a benchmark: list, fit and query metrics per device; measure and add your own.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(bench_app, name="bench")


def scales(space: str | None) -> tuple[str, ...]:
    """The scales ``--space`` names (every scale when not given); an unknown one is an error naming them."""
    if space is None:
        return SCALES
    if space not in SCALES:
        raise UnknownNameError("--space (benchmark space)", space, list(SCALES))
    return (space,)


def open_benchmark(space: str) -> Benchmark:
    from hwnas.bench.benchmark import Benchmark

    return Benchmark(scales(space)[0])


def check_metric_device(bench: Benchmark, metric: str, device: str | None) -> None:
    """``--metric`` and ``--device`` against what the scale provides, before any file is read or model fitted."""
    if metric not in bench.metrics:
        raise UnknownNameError(f"--metric (space {bench.scale})", metric, list(bench.metrics))
    devices = bench.metric_devices(metric)
    if devices and device is None:
        raise ConfigError(f"--metric {metric!r} is per device; give --device, one of: {', '.join(devices)}")
    if not devices and device is not None:
        raise ConfigError(f"--metric {metric!r} does not depend on the device; drop --device {device!r}")
    if device is not None and device not in devices:
        raise UnknownNameError(f"--device (metric {metric}, space {bench.scale})", device, list(devices))


def describe(bench: Benchmark) -> dict[str, Any]:
    """One scale's metrics (unit, devices) and the devices its user measured (``hwnas bench add-device``)."""
    from hwnas.bench.catalog import unit_of

    user, shipped = set(bench.user_devices) - set(bench.shipped_devices), set(bench.shipped_devices)
    metrics = [{"metric": m, "unit": unit_of(m), "devices": list(bench.metric_devices(m))} for m in bench.metrics]
    return {
        "space": bench.scale,
        "metrics": metrics,
        "shipped_devices": [d for d in bench.devices if d in shipped],
        "user_devices": [d for d in bench.devices if d in user],
    }


@bench_app.command("list")
@friendly_errors
def list_benchmarks(
    space: str | None = typer.Option(None, "--space", help="gpt-s, gpt-m or gpt-l (default: all three)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """The benchmark's spaces, their metrics (with units) and each metric's devices; * marks devices you measured,
    + those hwnas measured and ships."""
    entries = [describe(open_benchmark(scale)) for scale in scales(space)]
    if as_json:
        print_json(entries)
        return
    for entry in entries:
        typer.echo(f"{entry['space']}:")
        mark = {d: "*" for d in entry["user_devices"]} | {d: "+" for d in entry["shipped_devices"]}
        for row in entry["metrics"]:
            devices = ", ".join(f"{d}{mark.get(d, '')}" for d in row["devices"]) or "(device-free)"
            typer.echo(f"  {row['metric']} [{row['unit']}]: {devices}")
    if any(entry["user_devices"] for entry in entries):
        typer.echo("* measured by you (hwnas bench add-device)")
    if any(entry["shipped_devices"] for entry in entries):
        typer.echo("+ measured by the hwnas project, shipped with it (provenance: docs/bench.md)")


@bench_app.command("fit")
@friendly_errors
def fit(
    space: str | None = typer.Option(None, "--space", help="gpt-s, gpt-m or gpt-l (default: all three)."),
    metric: str | None = typer.Option(None, "--metric", help="Only this metric (default: every one)."),
    device: str | None = typer.Option(None, "--device", help="Only this device (default: every one)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Fit and cache the surrogates now (a query otherwise fits what it needs on first use)."""
    benches = [open_benchmark(scale) for scale in scales(space)]
    for bench in benches:
        if metric is not None and device is not None:
            check_metric_device(bench, metric, device)
        elif metric is not None and metric not in bench.metrics:
            raise UnknownNameError(f"--metric (space {bench.scale})", metric, list(bench.metrics))
        elif device is not None and device not in bench.devices:
            raise UnknownNameError(f"--device (space {bench.scale})", device, list(bench.devices))
    fitted: list[dict[str, Any]] = [
        {"space": bench.scale, "fitted": _fit_rows(bench, metric, device)} for bench in benches
    ]
    if as_json:
        print_json(fitted)
        return
    for entry in fitted:
        for row in entry["fitted"]:
            typer.echo(_fit_line(entry["space"], row))
    if not any(entry["fitted"] for entry in fitted):
        typer.echo("nothing to fit: params and flops are counted, exactly, for every arch")


def _fit_line(space: str, row: dict[str, Any]) -> str:
    """One surrogate: what it answers, its rows, its out-of-fold quality, and whether the cache had it."""
    name = row["metric"] if row.get("device") is None else f"{row['metric']} {row['device']}"
    where = "cached" if row.get("cached") else "fitted now"
    quality = f"out-of-fold MAPE {row['cv_mape']:.2f}%, Kendall tau {row['cv_kendall']:.3f}"
    return f"{space} {name}: {row['rows']} rows, {quality} ({where})"


def _fit_rows(bench: Benchmark, metric: str | None, device: str | None) -> list[Any]:
    return [_plain(item) for item in bench.fit(metric, device)]


def _plain(item: Any) -> Any:
    """A fit summary as JSON-ready data (a dataclass, a mapping or a value)."""
    import dataclasses

    if dataclasses.is_dataclass(item) and not isinstance(item, type):
        return dataclasses.asdict(item)
    return item


@bench_app.command("query")
@friendly_errors
def query(
    space: str = typer.Option(..., "--space", help="gpt-s, gpt-m or gpt-l."),
    metric: str = typer.Option(..., "--metric", help="e.g. perplexity, latency, energy (hwnas bench list)."),
    archs: Path = typer.Option(
        ..., "--archs", help="CSV (.csv/.csv.gz) in the table's arch columns, or JSONL (.jsonl) of arch files."
    ),
    device: str | None = typer.Option(None, "--device", help="Device of a per-device metric, e.g. h100, a100."),
    mode: str = typer.Option("mean", "--mode", help="mean, interval ([low, mean, high]) or sample (seeded draw)."),
    level: float = typer.Option(0.8, "--level", help="interval: the central share the interval holds."),
    seed: int | None = typer.Option(None, "--seed", help="sample: the draw's seed (default 0)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON list, one entry per arch, in file order."),
) -> None:
    """Query one metric of every arch of a file: the table's value where the arch is a row, else the surrogate's."""
    from hwnas.bench.inputs import read_query_archs

    if mode not in QUERY_MODES:
        raise ConfigError(f"--mode {mode!r} is unknown; allowed: {', '.join(QUERY_MODES)}")
    if mode == "interval" and not 0.0 < level < 1.0:
        raise ConfigError(f"--level {level!r} must lie strictly between 0 and 1")
    bench = open_benchmark(space)
    check_metric_device(bench, metric, device)
    arch_list = read_query_archs(archs, bench.space)
    result = bench.query(arch_list, metric, device, mode=mode, seed=seed, level=level)
    rows = query_rows(result)
    if as_json:
        typer.echo(json.dumps(rows))
        return
    label = metric if device is None else f"{metric} on {device}"
    typer.echo(f"# {label} [{result.unit}], mode {mode}; * = a row of the table")
    for row, exact in zip(rows, result.exact, strict=True):
        typer.echo(" ".join(_text(v) for v in (row if isinstance(row, list) else [row])) + (" *" if exact else ""))


def query_rows(result: QueryResult) -> list[Any]:
    """One value per arch, or ``[low, mean, high]`` per arch for an interval; non-finite values as null."""
    means = [_finite(v) for v in result.values]
    if result.low is None or result.high is None:
        return means
    return [[_finite(lo), mean, _finite(hi)] for lo, mean, hi in zip(result.low, means, result.high, strict=True)]


def _finite(value: Any) -> float | None:
    number = float(value)
    return number if math.isfinite(number) else None


def _text(value: float | None) -> str:
    return "nan" if value is None else f"{value:.6g}"
