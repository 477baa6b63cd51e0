"""Scale-out of the ``ray`` executor on one machine: throughput of a real ~100 ms evaluator with 1, 2, 4, ... Ray
actors against the local serial executor, and the Ray executor's overhead per arch on a near-free evaluator.

Both parts drive the executors through the executor API the search loop uses (``EXECUTORS.get(name)(specs, local,
options)``, then ``submit(EvaluationBatch)`` futures), so what is timed is the executor itself: no searcher, no
journal. Every run evaluates the same archs (random samples of the space, fixed seed), and each Ray run's outcomes
are compared with the serial run's (they must be equal).

1. **Throughput.** The evaluator is ``supernet`` (HAT's search fitness: the validation loss of each subnet with
   the supernet's weights) on the ``tiny`` space, on CPU, fp32, one torch thread per process. The script trains
   the checkpoint itself (a few steps on the synthetic reversal corpus: the weights' quality does not change the
   cost of scoring) and sets the validation pairs scored per arch (``valid_subset``) so that one arch costs about
   ``--target-ms`` here (a short calibration, or ``--valid-subset N``); the per-arch cost the serial executor
   then measures is recorded. Each executor first warms up (an actor starts and builds its evaluator, i.e. loads
   the checkpoint and tokenises the validation pairs, on its first batch; timed apart), then all batches of
   ``--batch-size`` archs are submitted at once and the wall time until the last outcome is the measurement.
   Speed-up = archs/s with k actors / archs/s of the serial executor; efficiency = speed-up / k.
   Goal: efficiency >= 0.8 for every k up to the machine's cores.
2. **Overhead.** The ``analytic`` evaluator (params and FLOPs from the arch, ~0.05 ms) on batches of
   ``--overhead-batch`` archs, serial against one Ray actor (one actor: no parallelism hides the cost of shipping
   archs and outcomes and of the round trip): (Ray wall - serial wall) / archs, the median of ``--repeats``
   passes. Goal: < 2 ms per arch.

One local Ray instance (``ray.init`` in this process, ``--max-workers`` CPUs or the machine's, whichever is more)
serves the whole run; its start is timed apart and excluded from every figure.

Load: timings on a busy machine are noise, so around each measurement the script records the 1-minute load
average (before its actors start, after its last outcome) and the share of the CPU other processes used in the
second before it (``/proc/stat``). The load average counts this benchmark's own busy processes too, so the script
subtracts an estimate of its own share (the kernel's exponential average, tau = 60 s, of the processes it kept
busy); a measurement is flagged ``noisy`` when the rest exceeds 0.5 per core, before or after, or when other
processes used more than half the CPU just before it. The goals are computed either way and say whether a noisy
measurement is among them; nothing is asserted.

    python benchmarks/scaleout.py                     # 320 archs, actors 1, 2, 4, ... up to the CPU count
    python benchmarks/scaleout.py --max-workers 16    # e.g. a 16-core machine
    python benchmarks/scaleout.py --quick             # plumbing: 16 archs, actors 1-2; JSON in a temp folder
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

GOAL_EFFICIENCY = 0.8  # x linear, for every actor count up to the cores
GOAL_OVERHEAD_MS = 2.0  # per arch, batched cheap evaluations
NOISY_LOAD_PER_CORE = 0.5  # others' load (1-min average) per core above which a timing is noise
NOISY_CPU_SHARE = 0.5  # others' share of the CPU just before a measurement
LOAD_TAU_S = 60.0  # time constant of Linux's 1-minute load average
SPACE = "tiny"
OVERHEAD_SPACE = "hat-wmt14ende"
QUICK = {"archs": 16, "max_workers": 2, "overhead_archs": 400, "repeats": 1, "calibration_archs": 3}


# ---------------------------------------------------------------------------------------------------------- figures


def worker_counts(max_workers: int) -> list[int]:
    """1, 2, 4, ... up to ``max_workers``, and ``max_workers`` itself when it is no power of two."""
    counts, k = [], 1
    while k <= max_workers:
        counts.append(k)
        k *= 2
    if counts[-1] != max_workers:
        counts.append(max_workers)
    return counts


def scaling_rows(serial_rate: float, rates: dict[int, float]) -> list[dict[str, float]]:
    """One row per actor count: archs/s, speed-up against the serial executor, efficiency (speed-up / actors)."""
    rows = []
    for workers, rate in sorted(rates.items()):
        speedup = rate / serial_rate
        rows.append({"workers": workers, "archs_per_s": rate, "speedup": speedup, "efficiency": speedup / workers})
    return rows


def scaling_goal(rows: Sequence[dict[str, Any]], cores: int, goal: float = GOAL_EFFICIENCY) -> dict[str, Any]:
    """Met when every actor count up to ``cores`` reaches ``goal`` x linear; counts beyond the cores are shown, not
    judged. ``met`` is None when no such count was measured."""
    judged = [r for r in rows if r["workers"] <= cores]
    worst = min(judged, key=lambda r: r["efficiency"]) if judged else None
    return {
        "goal_efficiency": goal,
        "up_to_workers": cores,
        "judged_workers": [r["workers"] for r in judged],
        "worst_efficiency": None if worst is None else worst["efficiency"],
        "worst_at_workers": None if worst is None else worst["workers"],
        "met": None if worst is None else worst["efficiency"] >= goal,
        "noisy": any(r.get("noisy") for r in judged),
    }


def overhead_per_arch_ms(serial_s: float, ray_s: float, archs: int) -> float:
    return (ray_s - serial_s) / archs * 1000.0


def overhead_goal(per_arch_ms: float, noisy: bool, goal: float = GOAL_OVERHEAD_MS) -> dict[str, Any]:
    return {"goal_ms": goal, "per_arch_ms": per_arch_ms, "met": per_arch_ms < goal, "noisy": noisy}


# ------------------------------------------------------------------------------------------------------------- load


@dataclass
class OwnLoad:
    """This benchmark's own share of the 1-minute load average, modelled as the kernel computes it: an exponential
    average (tau 60 s) of the processes it keeps busy (the serial executor: 1; k actors: k; none in between)."""

    value: float = 0.0
    at: float = field(default_factory=time.monotonic)

    def advance(self, busy: float, now: float | None = None) -> float:
        now = time.monotonic() if now is None else now
        decay = math.exp(-(now - self.at) / LOAD_TAU_S)
        self.value = self.value * decay + busy * (1.0 - decay)
        self.at = now
        return self.value


def _load_1m() -> float | None:
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else None


def _others_share() -> float | None:
    """Share of the machine's CPU that other processes used over the last second (None where unknown)."""
    from hwnas.hardware.load import resolve_probe, sample

    return sample(resolve_probe(None), 1.0).others


def noisy(load: dict[str, Any], cores: int) -> bool:
    """Whether a measurement ran under load (see the module doc)."""
    limit = NOISY_LOAD_PER_CORE * cores
    others = [load.get("others_load_1m_before"), load.get("others_load_1m_after")]
    if any(v is not None and v > limit for v in others):
        return True
    share = load.get("others_cpu_share_before")
    return share is not None and share > NOISY_CPU_SHARE


class LoadWatch:
    """Load before and after each measurement (``with watch.measuring(busy) as load: ...``)."""

    def __init__(self, cores: int) -> None:
        self.cores, self.own = cores, OwnLoad()

    def before(self) -> dict[str, Any]:
        share = _others_share()
        own = self.own.advance(0.0)
        load = _load_1m()
        return {
            "load_1m_before": load,
            "own_load_1m_before": own,
            "others_load_1m_before": None if load is None else max(0.0, load - own),
            "others_cpu_share_before": share,
        }

    def after(self, record: dict[str, Any], busy: float) -> dict[str, Any]:
        own = self.own.advance(busy)
        load = _load_1m()
        record.update(
            load_1m_after=load,
            own_load_1m_after=own,
            others_load_1m_after=None if load is None else max(0.0, load - own),
        )
        return record


# -------------------------------------------------------------------------------------------------------- executors


def _batches(archs: Sequence[Any], size: int, evaluator: str) -> list[Any]:
    from hwnas.contracts.executor import EvaluationBatch

    return [EvaluationBatch((evaluator,), tuple(archs[i : i + size])) for i in range(0, len(archs), size)]


def _run_all(executor: Any, batches: Sequence[Any]) -> tuple[float, list[Any]]:
    """Submit every batch at once; seconds until the last outcome, and the outcomes in order."""
    started = time.perf_counter()
    futures = [executor.submit(batch) for batch in batches]
    wait(futures)
    seconds = time.perf_counter() - started
    outcomes = [outcome for future in futures for outcome in future.result()]
    failed = [o.error for o in outcomes if o.error]
    if failed:
        raise SystemExit(f"{len(failed)} evaluations failed; first: {failed[0]}")
    return seconds, outcomes


def _executor(name: str, specs: Sequence[Any], local: dict[str, Any], options: dict[str, Any]) -> Any:
    from hwnas.contracts.executor import EXECUTORS

    return EXECUTORS.get(name)(specs, local, EXECUTORS.options(name, options))


def _ray_options(actors: int) -> dict[str, Any]:
    return {"actors": actors, "num_cpus": 1, "threads": 1}


@dataclass
class Workload:
    """An evaluator (its spec and the instance built here), the archs, and how they are batched."""

    spec: Any
    local: Any
    archs: list[Any]
    batch_size: int

    def batches(self) -> list[Any]:
        return _batches(self.archs, self.batch_size, self.spec.name)


def measure(
    workload: Workload,
    executor: str,
    workers: int,
    watch: LoadWatch,
    *,
    reference: list[Any] | None = None,
    say: Callable[[str], None] = print,
) -> tuple[dict[str, Any], list[Any]]:
    """One executor on the workload: warm-up (one arch per worker, so every actor has built its evaluator), then
    every batch at once. Returns the record and the outcomes."""
    load = watch.before()
    started = time.perf_counter()
    options = {} if executor == "serial" else _ray_options(workers)
    runner = _executor(executor, [workload.spec], {workload.spec.name: workload.local}, options)
    try:
        warm = _batches(workload.archs[:1] * workers, 1, workload.spec.name)
        _run_all(runner, warm)
        warmup_s = time.perf_counter() - started
        seconds, outcomes = _run_all(runner, workload.batches())
    finally:
        runner.close()
    watch.after(load, busy=workers)
    record = {
        "executor": executor,
        "workers": workers,
        "archs": len(workload.archs),
        "batch_size": workload.batch_size,
        "warmup_s": warmup_s,
        "wall_s": seconds,
        "archs_per_s": len(workload.archs) / seconds,
        "ms_per_arch": seconds / len(workload.archs) * 1000.0,
        "same_outcomes_as_serial": None if reference is None else _same(outcomes, reference),
        "load": load,
        "noisy": noisy(load, watch.cores),
    }
    flag = " (noisy: machine under load)" if record["noisy"] else ""
    say(f"  {executor} x{workers}: {record['archs_per_s']:.2f} archs/s ({record['ms_per_arch']:.1f} ms/arch), "
        f"warm-up {warmup_s:.1f} s{flag}")  # fmt: skip
    return record, outcomes


def _same(outcomes: Sequence[Any], reference: Sequence[Any]) -> bool:
    return [(o.metrics, o.error) for o in outcomes] == [(o.metrics, o.error) for o in reference]


# ------------------------------------------------------------------------------------------------------ the workload


def train_checkpoint(folder: Path, *, valid_pairs: int, steps: int) -> tuple[Path, float]:
    """A tiny supernet trained for ``steps`` steps on the synthetic reversal corpus (CPU, 1 thread)."""
    from hwnas.train.config import parse_config
    from hwnas.train.loop import train
    from hwnas.train.synthetic import write_reversal_corpus

    started = time.perf_counter()
    corpus = write_reversal_corpus(folder / "corpus", train_pairs=64, valid_pairs=valid_pairs)
    config = {
        "space": SPACE,
        "run_dir": str(folder / "supernet"),
        "data": {"corpus": None, **corpus, "vocab_size": 100},
        "optim": {"lr": 3e-3, "warmup_steps": 1, "max_tokens": 512},
        "run": {"max_steps": steps, "log_every": steps, "valid_every": steps, "threads": 1, "device": "cpu"}
        | {"quiet": True},
    }
    result = train(parse_config(config))
    if result.checkpoint is None:
        raise SystemExit("training the tiny supernet wrote no checkpoint")
    return Path(result.checkpoint), time.perf_counter() - started


def supernet_options(checkpoint: Path, valid_subset: int) -> dict[str, Any]:
    return {"checkpoint": str(checkpoint), "device": "cpu", "valid_subset": valid_subset, "bf16": False}


def calibrate(checkpoint: Path, archs: Sequence[Any], target_ms: float, most: int, probe: int = 200) -> dict[str, Any]:
    """The ``valid_subset`` that makes one arch cost about ``target_ms`` here: ``probe`` pairs timed on ``archs``,
    scaled linearly (scoring is one pass over the pairs), within [1, most]."""
    from hwnas.search.evaluator import build_evaluator
    from hwnas.spaces import get_space

    evaluator = build_evaluator("supernet", get_space(SPACE), supernet_options(checkpoint, probe))
    evaluator.evaluate(list(archs[:1]))  # warm-up
    started = time.perf_counter()
    evaluator.evaluate(list(archs))
    per_arch_ms = (time.perf_counter() - started) / len(archs) * 1000.0
    chosen = max(1, min(most, round(probe * target_ms / per_arch_ms)))
    return {"probe_pairs": probe, "probe_ms_per_arch": per_arch_ms, "valid_subset": chosen, "target_ms": target_ms}


def start_ray(num_cpus: int) -> tuple[Any, float]:
    """One local Ray for the whole benchmark (the executors find it initialised and leave it running)."""
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    from hwnas.hardware.ray_cluster import import_ray

    ray = import_ray("benchmarks/scaleout.py")
    started = time.perf_counter()
    ray.init(num_cpus=num_cpus, include_dashboard=False, configure_logging=False, log_to_driver=False)
    return ray, time.perf_counter() - started


# ------------------------------------------------------------------------------------------------------------- main


def _args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-workers", type=int, default=None, help="most Ray actors (default: the CPU count)")
    parser.add_argument("--archs", type=int, default=320, help="archs per throughput measurement")
    parser.add_argument("--batch-size", type=int, default=2, help="archs per batch in the throughput part")
    parser.add_argument("--target-ms", type=float, default=100.0, help="aimed-at cost of the evaluator per arch")
    parser.add_argument("--valid-subset", type=int, default=None, help="validation pairs per arch (no calibration)")
    parser.add_argument("--valid-pairs", type=int, default=5000, help="validation pairs written (the most usable)")
    parser.add_argument("--train-steps", type=int, default=5, help="training steps of the tiny supernet")
    parser.add_argument("--calibration-archs", type=int, default=5)
    parser.add_argument("--overhead-archs", type=int, default=2000, help="archs per overhead pass")
    parser.add_argument("--overhead-batch", type=int, default=100, help="archs per batch in the overhead part")
    parser.add_argument("--repeats", type=int, default=3, help="overhead passes (the median is reported)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="16 archs, actors 1-2; JSON in a temp folder")
    parser.add_argument("--out-dir", type=Path, default=None, help="where the JSON goes (default benchmarks/results)")
    args = parser.parse_args(argv)
    if args.quick:
        for key, value in QUICK.items():
            if key != "max_workers" or args.max_workers is None:
                setattr(args, key, value)
        args.max_workers = min(args.max_workers, QUICK["max_workers"])
    args.max_workers = args.max_workers or os.cpu_count() or 1
    return args


def _samples(space_name: str, n: int, seed: int) -> list[Any]:
    import numpy as np

    from hwnas.spaces import get_space

    space = get_space(space_name)
    rng = np.random.default_rng(seed)
    return [space.sample(rng) for _ in range(n)]


def throughput(args: argparse.Namespace, watch: LoadWatch, folder: Path) -> tuple[dict[str, Any], list[dict]]:
    from hwnas.contracts.executor import EvaluatorSpec
    from hwnas.search.evaluator import spec_evaluator

    steps = args.train_steps
    checkpoint, train_s = train_checkpoint(folder, valid_pairs=args.valid_pairs, steps=steps)
    archs = _samples(SPACE, args.archs, args.seed)
    if args.valid_subset is None:
        calibration = calibrate(checkpoint, archs[: args.calibration_archs], args.target_ms, args.valid_pairs)
        valid_subset = calibration["valid_subset"]
    else:
        calibration, valid_subset = None, args.valid_subset
    spec = EvaluatorSpec("supernet", SPACE, supernet_options(checkpoint, valid_subset))
    workload = Workload(spec, spec_evaluator(spec), archs, args.batch_size)
    watch.own.advance(1.0)  # training, calibrating and building kept this process busy
    print(f"supernet on {SPACE}: {valid_subset} validation pairs per arch (checkpoint trained in {train_s:.1f} s)")
    serial, reference = measure(workload, "serial", 1, watch)
    records = [serial]
    for workers in worker_counts(args.max_workers):
        record, _ = measure(workload, "ray", workers, watch, reference=reference)
        records.append(record)
    rows = scaling_rows(serial["archs_per_s"], {r["workers"]: r["archs_per_s"] for r in records[1:]})
    for row, record in zip(rows, records[1:], strict=True):
        record.update(speedup=row["speedup"], efficiency=row["efficiency"])
    evaluator = {
        "name": "supernet",
        "space": SPACE,
        "options": {k: v for k, v in spec.options.items() if k != "checkpoint"},
        "checkpoint": f"tiny supernet, {steps} training steps on the synthetic reversal corpus (vocab 100)",
        "train_s": train_s,
        "calibration": calibration,
        "serial_ms_per_arch": serial["ms_per_arch"],
    }
    return evaluator, records


def overhead(args: argparse.Namespace, watch: LoadWatch) -> dict[str, Any]:
    from hwnas.contracts.executor import EvaluatorSpec
    from hwnas.search.evaluator import spec_evaluator

    spec = EvaluatorSpec("analytic", OVERHEAD_SPACE)
    workload = Workload(spec, spec_evaluator(spec), _samples(OVERHEAD_SPACE, args.overhead_archs, args.seed + 1),
                        args.overhead_batch)  # fmt: skip
    passes = []
    for _ in range(args.repeats):
        serial, reference = measure(workload, "serial", 1, watch)
        ray_run, _ = measure(workload, "ray", 1, watch, reference=reference)
        per_arch = overhead_per_arch_ms(serial["wall_s"], ray_run["wall_s"], len(workload.archs))
        passes.append({"serial": serial, "ray": ray_run, "per_arch_ms": per_arch})
    median = statistics.median(p["per_arch_ms"] for p in passes)
    return {
        "evaluator": "analytic",
        "space": OVERHEAD_SPACE,
        "archs": len(workload.archs),
        "batch_size": args.overhead_batch,
        "actors": 1,
        "passes": passes,
        "per_arch_ms": median,
        "per_batch_ms": median * args.overhead_batch,
        "noisy": any(p["serial"]["noisy"] or p["ray"]["noisy"] for p in passes),
    }


def main(argv: list[str] | None = None) -> Path:
    args = _args(argv)
    import torch

    torch.set_num_threads(1)
    for variable in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[variable] = "1"
    from common import machine_info, package_versions, write_result

    cores = os.cpu_count() or 1
    machine = machine_info()
    watch = LoadWatch(cores)
    ray_cpus = max(cores, args.max_workers)
    ray, ray_start_s = start_ray(ray_cpus)
    print(f"ray {ray.__version__}: local instance with {ray_cpus} CPUs started in {ray_start_s:.1f} s")
    try:
        with tempfile.TemporaryDirectory(prefix="hwnas-scaleout-") as tmp:
            evaluator, records = throughput(args, watch, Path(tmp))
        cost = overhead(args, watch)
    finally:
        ray.shutdown()
    goals = {
        "scaling": scaling_goal([r for r in records if r["executor"] == "ray"], cores),
        "overhead": overhead_goal(cost["per_arch_ms"], cost["noisy"]),
    }
    result = {
        "benchmark": "scaleout",
        "format": 1,
        "quick": bool(args.quick),
        "command": " ".join(["python", "benchmarks/scaleout.py", *(argv if argv is not None else sys.argv[1:])]),
        "machine": machine,
        "load_average_at_end": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "versions": package_versions(["hwnas", "ray", "torch", "numpy"]),
        "settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "ray": {"num_cpus": ray_cpus, "start_s": ray_start_s, "actor_num_cpus": 1, "actor_threads": 1},
        "evaluator": evaluator,
        "throughput": records,
        "overhead": cost,
        "goals": goals,
        "noisy": any(r["noisy"] for r in records) or cost["noisy"],
    }
    out_dir = args.out_dir or (Path(tempfile.gettempdir()) / "hwnas-smoke" if args.quick else None)
    path = write_result("scaleout", result, out_dir)
    _summary(result)
    print(f"-> {path}")
    return path


def _verdict(goal: dict[str, Any]) -> str:
    met = {True: "met", False: "not met", None: "not measured"}[goal["met"]]
    return met + (" (noisy: measured under load)" if goal["noisy"] else "")


def _summary(result: dict[str, Any]) -> None:
    scaling, cost = result["goals"]["scaling"], result["goals"]["overhead"]
    worst = scaling["worst_efficiency"]
    worst_text = "-" if worst is None else f"{worst:.2f} at {scaling['worst_at_workers']} actors"
    print(f"scaling: worst efficiency up to {scaling['up_to_workers']} actors {worst_text}; goal >= "
          f"{scaling['goal_efficiency']} -> {_verdict(scaling)}")  # fmt: skip
    print(f"overhead: {cost['per_arch_ms']:.3f} ms per arch (batches of {result['overhead']['batch_size']}); goal < "
          f"{cost['goal_ms']} ms -> {_verdict(cost)}")  # fmt: skip


if __name__ == "__main__":
    main()
