"""Measurement repeatability: the same archs measured in two separate runs (two fresh processes, one after the
other), compared arch by arch.

For each arch the figure is the relative difference of the two runs' latencies, ``|a - b| / ((a + b) / 2)``; the
benchmark reports its median over the archs (goal: <= 3% on CPU, <= 1% on GPU), its 90th percentile, and the same
for each phase (encoder / decoder, or the forward pass) and for the trimmed mean and the minimum instead of the
median (the minimum is the estimator least moved by a busy machine: interference only ever adds time). Archs come
from ``hwnas.hardware.arch_stream`` (random sampler, fixed seed), measured with the collector and the space
family's protocol (HAT's for hat-* spaces), so this is the noise a latency dataset of the same settings carries.

    python benchmarks/measurement_repeatability.py --runs 4 --warmup 1 --threads 1         # this CPU, ~8 min
    python benchmarks/measurement_repeatability.py --device cuda --runs 20 --warmup 5      # a GPU
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine_info, write_result

GOALS = {"cpu": 0.03, "cuda": 0.01}


def _args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--space", default="hat-wmt14ende")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--archs", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--dtype", default="fp32")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", type=Path, default=None, help="keep the two runs' CSVs in this folder")
    parser.add_argument("--worker", type=Path, default=None, help="(internal) measure into this CSV and exit")
    return parser.parse_args(argv)


def _worker(args: argparse.Namespace) -> None:
    from hwnas.hardware import collect, protocol_for
    from hwnas.spaces import get_space

    space = get_space(args.space)
    settings = protocol_for(space).default_settings(
        space, device=args.device, warmup=args.warmup, runs=args.runs, threads=args.threads, dtype=args.dtype
    )
    collect(space, settings=settings, n=args.archs, out=args.worker, sampler="random", seed=args.seed)


def _run_worker(argv: list[str], out: Path) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, __file__, *argv, "--worker", str(out)], check=True)
    return time.perf_counter() - started


STATISTICS = ("median", "mean", "min")  # CSV column stems; "mean" is HAT's trimmed mean


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


def compare(first: Path, second: Path) -> dict[str, Any]:
    """Per-arch relative differences of two runs' CSVs (matched by arch_id)."""
    from hwnas.hardware import read_latency_dataset

    runs = [{row["arch_id"]: row for row in read_latency_dataset(p).rows} for p in (first, second)]
    ids = sorted(set(runs[0]) & set(runs[1]))
    columns = _phase_columns(runs[0])
    figures: dict[str, Any] = {"archs": len(ids)}
    for stat in STATISTICS:
        name = "trimmed_mean" if stat == "mean" else stat
        totals = [np.array([sum(float(r[i][c[stat]]) for c in columns.values()) for i in ids]) for r in runs]
        figures[f"total_{name}"] = _relative_differences(*totals)
        for phase, cols in columns.items():
            values = [np.array([float(r[i][cols[stat]]) for i in ids]) for r in runs]
            figures[f"{phase}_{name}"] = _relative_differences(*values)
    first_total = np.array([sum(float(runs[0][i][c["median"]]) for c in columns.values()) for i in ids])
    figures["latency_ms_range"] = [float(first_total.min()), float(first_total.max())]
    figures["load_1m_median_per_run"] = [_median_load(r) for r in runs]  # how busy the machine was
    return figures


def _median_load(rows: dict[str, dict[str, str]]) -> float | None:
    loads = [float(r["load_1m"]) for r in rows.values() if r.get("load_1m")]
    return float(np.median(loads)) if loads else None


def main(argv: list[str] | None = None) -> None:
    args = _args(argv)
    if args.worker is not None:
        _worker(args)
        return
    forwarded = list(argv if argv is not None else sys.argv[1:])
    with tempfile.TemporaryDirectory(prefix="hwnas-repeat-") as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        paths = [folder / f"run{i}.csv" for i in (1, 2)]
        for path in paths:  # two fresh runs, never a resumed one
            path.unlink(missing_ok=True)
            path.with_suffix(".json").unlink(missing_ok=True)
        seconds = [_run_worker(forwarded, path) for path in paths]
        figures = compare(*paths)
        from hwnas.hardware import read_latency_dataset

        provenance = read_latency_dataset(paths[0]).provenance or {}
    kind = args.device.split(":", 1)[0]
    headline = figures["total_median"]["median"]
    result = {
        "benchmark": "measurement_repeatability",
        "machine": machine_info(),
        "space": args.space,
        "settings": provenance.get("settings"),
        "device": provenance.get("device"),
        "wall_s_per_run": seconds,
        "figures": figures,
        "headline": {"median_abs_rel_diff_total_latency": headline, "goal": GOALS.get(kind)},
        "meets_goal": headline <= GOALS.get(kind, 0.0),
    }
    path = write_result("measurement_repeatability", result)
    print(f"median |relative difference| of total latency over {figures['archs']} archs: {headline:.2%} -> {path}")


if __name__ == "__main__":
    main()
