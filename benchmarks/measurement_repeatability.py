"""Measurement repeatability: the same archs measured in two separate runs (two fresh processes, one after the
other), compared arch by arch — on the quiet machine and under an artificial competing load, side by side.

For each arch the figure is the relative difference of the two runs' latencies, ``|a - b| / ((a + b) / 2)``; the
benchmark reports its median over the archs (goal: <= 3% on CPU, <= 1% on GPU), its 90th percentile, and the same
for each phase (encoder / decoder, or the forward pass), for each estimator: the median, HAT's trimmed mean and
the minimum (hwnas's default: interference only ever adds time). Archs come from ``hwnas.hardware.arch_stream``
(random sampler, fixed seed), measured with the collector and the space family's protocol (HAT's for hat-*
spaces), so this is the noise a latency dataset of the same settings carries.

Two conditions, each with its own two runs:

- ``quiet``: the machine as it is, measured through the collector's load guard (it waits while other processes use
  more than ``--max-load`` of the CPU), as ``hwnas latency collect`` does;
- ``loaded``: ``--load-procs`` busy-loop processes (default: one per core) started before the two runs and stopped
  after them, measured with ``on_busy=ignore`` (the load is the point); every row records the contention it saw.

``load_shift`` compares the first run of each condition: how far, and which way, the competing load moves each
estimator (``signed_mean`` > 0: slower under load).

    python benchmarks/measurement_repeatability.py --archs 50 --warmup 3 --runs 12 --threads 1   # CPU, ~40 min
    python benchmarks/measurement_repeatability.py --device cuda --runs 20 --warmup 5             # a GPU
    python benchmarks/measurement_repeatability.py --smoke         # plumbing only: tiny space, 4 archs, ~1 min
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine_info, write_result

GOALS = {"cpu": 0.03, "cuda": 0.01}
CONDITIONS = ("quiet", "loaded")
HEADLINE_ESTIMATOR = "min"  # hwnas's default estimator
STATISTICS = ("median", "mean", "min")  # CSV column stems; "mean" is HAT's trimmed mean
SMOKE = {"space": "tiny", "archs": 4, "warmup": 1, "runs": 3, "load_procs": 1}


def _args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--space", default="hat-wmt14ende")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--archs", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: 1 on CPU)")
    parser.add_argument("--dtype", default="fp32")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--conditions", default="quiet,loaded", help="quiet, loaded or both (comma-separated)")
    parser.add_argument("--load-procs", type=int, default=None, help="busy loops when loaded (default: one per core)")
    parser.add_argument("--max-load", type=float, default=0.25, help="quiet runs wait above this share of the CPU")
    parser.add_argument("--max-wait", type=float, default=900.0, help="quiet runs: seconds to wait, then fail")
    parser.add_argument("--smoke", action="store_true", help="tiny space, 4 archs, 1 busy loop; JSON not in results/")
    parser.add_argument("--out-dir", type=Path, default=None, help="where the JSON goes (default benchmarks/results)")
    parser.add_argument("--keep", type=Path, default=None, help="keep every run's CSV in this folder")
    parser.add_argument("--worker", type=Path, default=None, help="(internal) measure into this CSV and exit")
    parser.add_argument("--on-busy", default="wait", help="(internal) the worker's busy policy")
    args = parser.parse_args(argv)
    if args.smoke:
        for key, value in SMOKE.items():
            setattr(args, key, value)
    return args


def _worker(args: argparse.Namespace) -> None:
    from hwnas.hardware import collect, protocol_for
    from hwnas.hardware.busy import BusyPolicy, LoadGuard
    from hwnas.spaces import get_space

    space = get_space(args.space)
    settings = protocol_for(space).default_settings(
        space, device=args.device, warmup=args.warmup, runs=args.runs, threads=args.threads, dtype=args.dtype
    )
    policy = BusyPolicy(max_load=args.max_load, on_busy=args.on_busy, max_wait_s=args.max_wait)
    guard = LoadGuard(policy, threads=settings.threads)
    collect(space, settings=settings, n=args.archs, out=args.worker, sampler="random", seed=args.seed, guard=guard)


def _worker_argv(args: argparse.Namespace, on_busy: str, out: Path) -> list[str]:
    keys = ("space", "device", "archs", "warmup", "runs", "threads", "dtype", "seed", "max_load", "max_wait")
    argv = [f"--{k.replace('_', '-')}={getattr(args, k)}" for k in keys if getattr(args, k) is not None]
    return [sys.executable, __file__, *argv, f"--on-busy={on_busy}", "--worker", str(out)]


@contextmanager
def competing_load(procs: int) -> Iterator[list[subprocess.Popen[bytes]]]:
    """``procs`` processes spinning on a core each for the duration of the block (always stopped after it)."""
    spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(procs)]
    try:
        time.sleep(1.0 if procs else 0.0)  # let them get going before the first timed run
        yield spinners
    finally:
        for spinner in spinners:
            spinner.terminate()
        for spinner in spinners:
            spinner.wait(timeout=30)


def _phase_columns(rows: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """phase name -> {statistic: column} present in the rows."""
    first = next(iter(rows.values()))
    phases = ("encoder", "decoder") if "latency_median_encoder" in first else ("",)
    return {
        phase or "forward": {stat: f"latency_{stat}_{phase}" if phase else f"latency_{stat}" for stat in STATISTICS}
        for phase in phases
    }


def _relative_differences(a: np.ndarray, b: np.ndarray) -> dict[str, float]:
    """Per-arch |a - b| / mean: median, p90, max; and the signed mean, which shows a drift of the whole machine
    between the two runs (it moves every arch the same way) apart from per-arch noise."""
    diff = (a - b) / ((a + b) / 2)
    spread = np.abs(diff)
    return {
        "median": float(np.median(spread)),
        "p90": float(np.percentile(spread, 90)),
        "max": float(spread.max()),
        "signed_mean": float(diff.mean()),
    }


def _read(path: Path) -> dict[str, dict[str, str]]:
    from hwnas.hardware import read_latency_dataset

    return {row["arch_id"]: row for row in read_latency_dataset(path).rows}


def compare_runs(first: dict[str, dict[str, str]], second: dict[str, dict[str, str]]) -> dict[str, Any]:
    """Per-arch relative differences of two runs (matched by arch_id): ``first`` against ``second``."""
    runs = [first, second]
    ids = sorted(set(first) & set(second))
    columns = _phase_columns(first)
    figures: dict[str, Any] = {"archs": len(ids)}
    for stat in STATISTICS:
        name = "trimmed_mean" if stat == "mean" else stat
        totals = [np.array([sum(float(r[i][c[stat]]) for c in columns.values()) for i in ids]) for r in runs]
        figures[f"total_{name}"] = _relative_differences(*totals)
        for phase, cols in columns.items():
            values = [np.array([float(r[i][cols[stat]]) for i in ids]) for r in runs]
            figures[f"{phase}_{name}"] = _relative_differences(*values)
    first_total = np.array([sum(float(first[i][c["median"]]) for c in columns.values()) for i in ids])
    figures["latency_ms_range"] = [float(first_total.min()), float(first_total.max())]
    return figures


def _median_of(rows: dict[str, dict[str, str]], column: str) -> float | None:
    values = [float(r[column]) for r in rows.values() if r.get(column)]
    return float(np.median(values)) if values else None


def run_condition(args: argparse.Namespace, condition: str, folder: Path) -> tuple[dict[str, Any], list[Path]]:
    """Two fresh runs under one condition, and their comparison."""
    procs = 0 if condition == "quiet" else (args.load_procs or os.cpu_count() or 1)
    paths = [folder / f"{condition}{i}.csv" for i in (1, 2)]
    seconds = []
    with competing_load(procs):
        for path in paths:  # two fresh runs, never a resumed one
            path.unlink(missing_ok=True)
            path.with_suffix(".json").unlink(missing_ok=True)
            started = time.perf_counter()
            subprocess.run(_worker_argv(args, "wait" if condition == "quiet" else "ignore", path), check=True)
            seconds.append(time.perf_counter() - started)
    runs = [_read(path) for path in paths]
    figures = compare_runs(*runs)
    figures["load_1m_median_per_run"] = [_median_of(r, "load_1m") for r in runs]
    figures["contention_median_per_run"] = [_median_of(r, "contention") for r in runs]
    return {"load_procs": procs, "wall_s_per_run": seconds, "figures": figures}, paths


def main(argv: list[str] | None = None) -> None:
    args = _args(argv)
    if args.worker is not None:
        _worker(args)
        return
    conditions = [c.strip() for c in args.conditions.split(",") if c.strip()]
    if not conditions or any(c not in CONDITIONS for c in conditions):
        raise SystemExit(f"--conditions {args.conditions!r}: give quiet, loaded or both (comma-separated)")
    results: dict[str, Any] = {}
    first_runs: dict[str, Path] = {}
    with tempfile.TemporaryDirectory(prefix="hwnas-repeat-") as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        for condition in conditions:
            results[condition], paths = run_condition(args, condition, folder)
            first_runs[condition] = paths[0]
        shift = compare_runs(_read(first_runs["loaded"]), _read(first_runs["quiet"])) if len(results) == 2 else None
        provenance = _read_provenance(first_runs[conditions[0]]) or {}
    _report(args, conditions, results, shift, provenance)


def _read_provenance(path: Path) -> dict[str, Any] | None:
    from hwnas.hardware import read_latency_dataset

    return read_latency_dataset(path).provenance


def _report(
    args: argparse.Namespace,
    conditions: list[str],
    results: dict[str, Any],
    shift: dict[str, Any] | None,
    provenance: dict[str, Any],
) -> None:
    kind = args.device.split(":", 1)[0]
    main_condition = "quiet" if "quiet" in results else conditions[0]
    headline = results[main_condition]["figures"][f"total_{HEADLINE_ESTIMATOR}"]["median"]
    result = {
        "benchmark": "measurement_repeatability",
        "format": 2,  # conditions side by side (format 1: one "figures" for the quiet machine)
        "smoke": bool(args.smoke),
        "machine": machine_info(),
        "space": args.space,
        "settings": provenance.get("settings"),
        "device": provenance.get("device"),
        "conditions": results,
        "load_shift": shift,
        "headline": {
            "condition": main_condition,
            "estimator": HEADLINE_ESTIMATOR,
            "median_abs_rel_diff_total_latency": headline,
            "goal": GOALS.get(kind),
        },
        "meets_goal": headline <= GOALS.get(kind, 0.0),
    }
    out_dir = args.out_dir or (Path(tempfile.gettempdir()) / "hwnas-smoke" if args.smoke else None)
    path = write_result("measurement_repeatability", result, out_dir)
    for condition, data in results.items():
        figures = data["figures"]
        cells = ", ".join(f"{s} {figures[f'total_{s}']['median']:.2%}" for s in ("min", "median", "trimmed_mean"))
        print(f"{condition} ({data['load_procs']} busy loops): median |relative difference| over "
              f"{figures['archs']} archs: {cells}")  # fmt: skip
    print(f"-> {path}")


if __name__ == "__main__":
    main()
