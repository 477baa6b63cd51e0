"""Quickstart wall time: `hwnas quickstart` run as a user runs it, in a fresh run folder, timed per stage and in
total, with the machine and how busy it was (the load average before and after, the CPU time the run got), so every
time the README and the docs quote comes from here.

The command runs in a child process (``python -m hwnas quickstart ... --quiet``); the per-stage times are the
``wall_s`` each stage writes into its ``stage.done`` marker. ``cpu_s / wall_s`` near the number of threads the run
uses (one) means it had the CPU to itself; well below means it waited for other processes.

    python benchmarks/quickstart_time.py                 # hwnas quickstart --smoke (about a minute on 2 busy cores)
    python benchmarks/quickstart_time.py --full          # hwnas quickstart: run it on a quiet machine
    python benchmarks/quickstart_time.py --on-busy ignore   # passed on: measure latency even on a busy machine
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine_info, package_versions, write_result

RUN_DIR = "RUN_DIR"  # the fresh folder of the run, as the recorded command shows it
STAGES = ("supernet", "latency", "predictor", "search", "baselines", "retrain", "evaluate", "report")


def _args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="the full quickstart (default: --smoke)")
    parser.add_argument("--on-busy", choices=("wait", "refuse", "ignore"), default=None, help="passed to quickstart")
    parser.add_argument("--keep", type=Path, default=None, help="run in this (new) folder and keep it")
    parser.add_argument("--timeout", type=float, default=3600.0, help="give up after this many seconds")
    return parser.parse_args(argv)


def quickstart_command(run_dir: Path, *, full: bool, on_busy: str | None) -> list[str]:
    """The user's command (``hwnas quickstart``), started with this interpreter."""
    command = [sys.executable, "-m", "hwnas", "quickstart", "--out", str(run_dir), "--quiet"]
    if not full:
        command.insert(4, "--smoke")
    if on_busy is not None:
        command += ["--on-busy", on_busy]
    return command


def stage_times(run_dir: Path) -> dict[str, float | None]:
    """Seconds per stage from the stage markers (None for a stage that did not finish)."""
    times: dict[str, float | None] = {}
    for stage in STAGES:
        marker = run_dir / stage / "stage.done"
        times[stage] = float(json.loads(marker.read_text(encoding="utf-8"))["wall_s"]) if marker.is_file() else None
    return times


def run_threads(run_dir: Path) -> int | None:
    """The torch threads the run's training and measurement used (its stored config), for the cpu_s / wall_s
    reading."""
    stored = run_dir / "pipeline.yaml"
    if not stored.is_file():
        return None
    config = yaml.safe_load(stored.read_text(encoding="utf-8")) or {}
    threads = ((config.get("training") or {}).get("run") or {}).get("threads")
    return None if threads is None else int(threads)


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_quickstart(run_dir: Path, *, full: bool, on_busy: str | None, timeout: float) -> dict[str, Any]:
    """Run the quickstart once into ``run_dir`` (which must not exist: a resumed run would skip stages)."""
    if run_dir.exists():
        raise SystemExit(f"{run_dir} exists; the timing needs a fresh run folder")
    command = quickstart_command(run_dir, full=full, on_busy=on_busy)
    load_before, cpu_before = list(os.getloadavg()), _children_cpu_s()
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    wall = time.perf_counter() - started
    cpu = _children_cpu_s() - cpu_before
    if done.returncode != 0:  # a failed run times nothing the docs could quote: no result file
        print(done.stderr[-2000:], file=sys.stderr)
        raise SystemExit(f"{' '.join(command)} failed (exit {done.returncode}); no result written")
    return {
        "mode": "full" if full else "smoke",
        "command": ["hwnas", *(RUN_DIR if part == str(run_dir) else part for part in command[3:])],
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "stages_s": stage_times(run_dir),
        "threads": run_threads(run_dir),
        "load_average_before": load_before,  # 1, 5, 15 min
        "load_average_after": list(os.getloadavg()),
    }


def main(argv: list[str] | None = None) -> None:
    args = _args(argv)
    with tempfile.TemporaryDirectory(prefix="hwnas-quickstart-time-") as tmp:
        run_dir = args.keep or Path(tmp) / "run"
        timing = time_quickstart(run_dir, full=args.full, on_busy=args.on_busy, timeout=args.timeout)
    result = {
        "benchmark": "quickstart_time",
        **timing,
        "machine": machine_info(),
        "versions": package_versions(["hwnas", "torch", "numpy"]),
    }
    path = write_result("quickstart_time", result)
    print(f"quickstart {timing['mode']}: {timing['wall_s']:.1f} s wall, {timing['cpu_s']:.1f} s CPU -> {path}")


if __name__ == "__main__":
    main()
