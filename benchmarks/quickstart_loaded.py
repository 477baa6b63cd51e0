"""The quickstart on a busy machine: what a user gets when other processes hold the CPU while hwnas measures latency.

One busy loop per core (``--load-procs``) runs for the whole benchmark, and `hwnas quickstart` runs twice into fresh
folders:

1. with its defaults (``--on-busy wait``): it must wait (bounded by ``--max-wait``, default 300 s) and then refuse
   with one line, leaving no measurement behind;
2. with ``--on-busy ignore``: it must complete, and its summary must say the latency data is unreliable (the
   reasons) and call the latency goals not assessable rather than answering them.

The JSON records each run's exit code, wall time, last stderr line, and for the completed run the reliability
verdict and the goal lines; the README renders them next to the quiet timings. (The quiet timings are
``benchmarks/quickstart_time.py``.)

    python benchmarks/quickstart_loaded.py            # the full quickstart (~5 min wait, then ~25 min under load)
    python benchmarks/quickstart_loaded.py --smoke    # the same with --smoke (plumbing; about 7 min)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine_info, package_versions, write_result
from measurement_repeatability import competing_load


def _args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="run `hwnas quickstart --smoke` (plumbing)")
    parser.add_argument("--load-procs", type=int, default=None, help="busy loops (default: one per core)")
    parser.add_argument("--timeout", type=float, default=5400.0, help="give up on one run after this many seconds")
    return parser.parse_args(argv)


def run_quickstart(run_dir: Path, extra: list[str], *, smoke: bool, timeout: float) -> dict[str, Any]:
    """One quickstart into ``run_dir``: exit code, wall time, the last line it printed on stderr."""
    command = [sys.executable, "-m", "hwnas", "quickstart", "--out", str(run_dir), *extra]
    command += ["--smoke"] if smoke else []
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    return {
        "command": ["hwnas", "quickstart", *extra, *(["--smoke"] if smoke else [])],
        "exit_code": done.returncode,
        "wall_s": round(time.perf_counter() - started, 1),
        "last_stderr_line": lines[-1] if lines else "",
        "stdout_tail": done.stdout.splitlines()[-12:],
    }


def verdict(run_dir: Path) -> dict[str, Any] | None:
    """The completed run's latency reliability and goal lines (None when it left no summary)."""
    path = run_dir / "report" / "summary.json"
    if not path.is_file():
        return None
    summary = json.loads(path.read_text(encoding="utf-8"))
    return {"latency_reliability": summary.get("latency_reliability"), "goals": summary.get("goals")}


def main(argv: list[str] | None = None) -> None:
    args = _args(argv)
    procs = args.load_procs or os.cpu_count() or 1
    runs = {}
    with tempfile.TemporaryDirectory(prefix="hwnas-quickstart-loaded-") as tmp, competing_load(procs):
        time.sleep(5)  # let the load average see the busy loops
        load_start = list(os.getloadavg())
        runs["default"] = run_quickstart(Path(tmp) / "default", [], smoke=args.smoke, timeout=args.timeout)
        runs["default"]["left_behind"] = sorted(str(p.relative_to(tmp)) for p in Path(tmp).rglob("*"))
        ignore_dir = Path(tmp) / "ignore"
        runs["ignore"] = run_quickstart(ignore_dir, ["--on-busy", "ignore"], smoke=args.smoke, timeout=args.timeout)
        runs["ignore"]["verdict"] = verdict(ignore_dir)
    result = {
        "benchmark": "quickstart_loaded",
        "mode": "smoke" if args.smoke else "full",
        "load_procs": procs,
        "load_average_with_load": load_start,
        "runs": runs,
        "machine": machine_info(),
        "versions": package_versions(["hwnas", "torch", "numpy"]),
    }
    path = write_result("quickstart_loaded", result)
    for name, run in runs.items():
        print(f"{name}: exit {run['exit_code']} after {run['wall_s']:.0f} s: {run['last_stderr_line']}")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
