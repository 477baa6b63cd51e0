"""Latency predictors: HAT's MLP against every other predictor, on HAT's CSVs and the project's own datasets.

For each dataset, training size (50, 100, 200, 400, 1600; the rest of the rows held out) and seed (5), every
predictor is fitted on the training rows and scored (MAPE, Kendall tau-b, Spearman, RMSE) on the held-out rows.
Datasets: HAT's TITAN Xp, Xeon and Raspberry Pi files, the Raspberry Pi file without its ~108 encoder-latency
artefacts (> 3x the median), and every ``src/hwnas/hardware/datasets/*.csv`` with >= 150 rows (where a file has
full archs, ``gbdt-onehot`` also runs: boosted trees on the one-hot per-layer genes).

HAT's MLP (``hat-mlp``) is trained with HAT's recipe exactly, 5,000 steps included (``--hat-steps``; the README
calls the column "HAT MLP" only when a file's ``hat_steps`` is HAT's 5,000). Every run is also read off after
``--hat-also`` steps (default 2,000) and recorded as its own predictor, ``hat-mlp@2000``: a cheaper recipe at no
extra cost (the model after step k is exactly the k-step model), labelled "HAT MLP, 2k steps" wherever it appears,
with the fitting time up to that step as its ``fit_s``. Each HAT run's held-out MAPE is tracked along the way
(``hat_mape_by_step``; mean over seeds in ``hat_mlp_mape_by_step``), and the goal is checked against each HAT
variant (``goal``). Also estimated: the noise floor of each dataset (:mod:`hwnas.predictors.noise`) and how close
each predictor gets to its corrected near-pair estimate (``mape_over_floor``).

Time: HAT's MLP is ~90% of it: 115 fits of 5,000 steps (575k steps; the 2,000-step variant costs nothing more).
A step takes ~6.5 ms of one core here (6.4-8.6 ms of CPU time per step measured at 50-1,600 rows with the load
average at 8-10, where contention inflates it), so ~65 min of CPU: ~30-35 min with ``--jobs 2`` on an idle 2-core
machine, about twice that with other jobs holding the load average ~3 (as the committed 2,000-step run had: 28
min). The README takes each dataset from the newest file that covers it, so a run may be split by ``--datasets``.

    python benchmarks/latency_predictors.py            # full (see Time above)
    python benchmarks/latency_predictors.py --quick    # smoke run, < 1 min
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine_info, write_result
from latency_predictors_summary import (
    HAT,
    HAT_RECIPE_STEPS,
    aggregate,
    best_by_cell,
    floor_ratio,
    goal_check,
    hat_variant,
    learning_curves,
)

from hwnas.encodings.hat import HAT_FEATURE_NORM
from hwnas.hardware import load_latency_csv
from hwnas.predictors import (
    DEFAULT_PREDICTOR,
    LatencyDataset,
    drop_encoder_artefacts,
    hat_dataset,
    make_predictor,
    score,
)
from hwnas.predictors.hat_mlp import HAT_LATENCY_NORM
from hwnas.predictors.noise import near_pair_floor, run_std_floor

ROOT = Path(__file__).resolve().parents[1]
PROJECT_DATASETS = ROOT / "src" / "hwnas" / "hardware" / "datasets"
PREDICTORS = (HAT, "cost-l2", "cost-mape", "gbdt", "mlp-ensemble", "auto")
CURVE_STEPS = (500, 1000, 2000, 3000, 4000)  # where each HAT run's held-out MAPE is tracked (and at its end)
MIN_ROWS = 150
NEAR_PAIR_REFERENCE = "cost-mape"  # the model whose predicted pair differences the corrected floor subtracts


def load_datasets(names: list[str] | None) -> dict[str, tuple[LatencyDataset, float | None]]:
    """name -> (dataset, HAT's latency norm for it or None)."""
    out: dict[str, tuple[LatencyDataset, float | None]] = {}
    for device in ("titanxp", "xeon", "raspberrypi"):
        out[device] = (hat_dataset(device), HAT_LATENCY_NORM[device])
    out["raspberrypi-clean"] = (drop_encoder_artefacts(out["raspberrypi"][0]), HAT_LATENCY_NORM["raspberrypi"])
    for path in sorted(PROJECT_DATASETS.glob("*.csv")):
        dataset = load_latency_csv(path)
        if len(dataset) >= MIN_ROWS:
            out[path.stem] = (dataset, None)
    return {k: v for k, v in out.items() if names is None or k in names}


def usable_sizes(sizes: list[int], rows: int) -> list[int]:
    """Sizes that leave at least max(50, 10%) rows held out."""
    return [s for s in sizes if rows - s >= max(50, rows // 10)]


Fit = tuple[str, np.ndarray, float, dict[str, Any]]  # (record name, held-out prediction, fit seconds, extra keys)


def _hat_mlp(args: argparse.Namespace, norm: float | None, seed: int, X: np.ndarray, y: np.ndarray,
             train: np.ndarray, test: np.ndarray) -> list[Fit]:  # fmt: skip
    """One HAT run of ``--hat-steps``: ``hat-mlp`` with its MAPE curve, and ``hat-mlp@K`` for each ``--hat-also``."""
    model = make_predictor(HAT, seed=seed, steps=args.hat_steps, latency_norm=norm)
    at = sorted({*CURVE_STEPS, *args.hat_also, args.hat_steps} & set(range(1, args.hat_steps + 1)))
    snapshots = model.fit_tracking(X[train], y[train], X_eval=X[test], at_steps=at)  # type: ignore[attr-defined]
    seconds = model.snapshot_seconds_  # type: ignore[attr-defined]
    curve = {s: float(np.mean(np.abs(p / y[test] - 1))) for s, p in snapshots.items()}
    fits: list[Fit] = [(HAT, snapshots[args.hat_steps], seconds[args.hat_steps], {"hat_mape_by_step": curve})]
    return fits + [(hat_variant(k), snapshots[k], seconds[k], {}) for k in args.hat_also]


def _fit(args: argparse.Namespace, predictor: str, seed: int, norm: float | None, X: np.ndarray,
         onehot: np.ndarray | None, y: np.ndarray, train: np.ndarray, test: np.ndarray) -> list[Fit]:  # fmt: skip
    if predictor == HAT:
        return _hat_mlp(args, norm, seed, X, y, train, test)
    start = time.perf_counter()
    if predictor == "gbdt-onehot":  # full per-layer genes, where the dataset has archs
        model = make_predictor("gbdt", seed=seed, encoding="onehot")
        prediction = model.fit(onehot[train], y[train]).predict(onehot[test])  # type: ignore[index]
    else:
        model = make_predictor(predictor, seed=seed, **_light(args, predictor))
        prediction = model.fit(X[train], y[train]).predict(X[test])
    return [(predictor, prediction, time.perf_counter() - start, {})]


def run_cell(args: argparse.Namespace, name: str, seed: int) -> list[dict[str, Any]]:
    """Every predictor at every size for one dataset and seed (one worker task)."""
    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(args.threads)
    dataset, norm = load_datasets([name])[name]
    X, y = dataset.encode("hat10-raw"), dataset.latency
    onehot = dataset.encode("onehot") if dataset.archs is not None else None
    predictors = list(args.predictors) + (["gbdt-onehot"] if onehot is not None else [])
    order = np.random.default_rng(seed).permutation(len(y))
    records = []
    with threadpool_limits(args.threads):
        for size in usable_sizes(args.sizes, len(y)):
            train, test = order[:size], order[size:]
            for predictor in predictors:
                for label, prediction, fit_s, extra in _fit(args, predictor, seed, norm, X, onehot, y, train, test):
                    record = {"dataset": name, "size": size, "seed": seed, "predictor": label}
                    record.update(score(y[test], prediction), fit_s=fit_s, **extra)
                    records.append(record)
            print(f"  {name} seed {seed} size {size} done", file=sys.stderr, flush=True)
    return records


def _light(args: argparse.Namespace, predictor: str) -> dict[str, Any]:
    return {"steps": 200} if args.quick and predictor == "mlp-ensemble" else {}


def noise_floors(datasets: dict[str, tuple[LatencyDataset, float | None]]) -> dict[str, Any]:
    out = {}
    for name, (dataset, _) in datasets.items():
        X = dataset.encode("hat10-raw")
        reference = make_predictor(NEAR_PAIR_REFERENCE).fit(X, dataset.latency).predict(X)
        near = near_pair_floor(X / np.asarray(HAT_FEATURE_NORM), dataset.latency, reference=reference)
        floor: dict[str, Any] = {"rows": len(dataset), "near_pairs": {**near, "reference": NEAR_PAIR_REFERENCE}}
        if dataset.latency_std is not None:
            floor["run_std"] = run_std_floor(dataset.latency, dataset.latency_std)
        out[name] = floor
    return out


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smoke run: 2 datasets, sizes 50/200, 1 seed, 300 steps")
    parser.add_argument("--sizes", type=lambda s: [int(v) for v in s.split(",")], default=[50, 100, 200, 400, 1600])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--hat-steps", type=int, default=HAT_RECIPE_STEPS, help="HAT MLP steps (HAT's recipe: 5000)")
    parser.add_argument(
        "--hat-also", type=_steps, default=[2000], help="cheaper HAT MLPs read off each run, e.g. 2000 or '' for none"
    )
    parser.add_argument("--datasets", type=lambda s: s.split(","), default=None)
    parser.add_argument("--predictors", type=lambda s: s.split(","), default=list(PREDICTORS))
    parser.add_argument("--default", default=DEFAULT_PREDICTOR, help="predictor the goal is checked for")
    parser.add_argument("--threads", type=int, default=1, help="torch / OpenMP threads per worker")
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1), help="worker processes")
    args = parser.parse_args()
    if args.quick:
        args.sizes, args.seeds, args.hat_steps, args.hat_also = [50, 200], 1, 300, [100]
        args.datasets = args.datasets or ["titanxp", "raspberrypi-clean"]
    if any(not 0 < k < args.hat_steps for k in args.hat_also):
        parser.error(f"--hat-also {args.hat_also}: every value must be in 1..{args.hat_steps - 1} (below --hat-steps)")
    return args


def _steps(text: str) -> list[int]:
    return sorted({int(v) for v in text.split(",") if v.strip()})


def _portable(source: str) -> str:
    """A dataset path without this machine's folders: relative to $HWNAS_DATA_DIR or to the repository."""
    path = Path(source).resolve()
    for root, label in ((os.environ.get("HWNAS_DATA_DIR"), "$HWNAS_DATA_DIR"), (str(ROOT), ".")):
        if root and path.is_relative_to(Path(root).resolve()):
            return f"{label}/{path.relative_to(Path(root).resolve())}"
    return path.name


def _machine(args: argparse.Namespace, load_before: tuple[float, float, float]) -> dict[str, Any]:
    import scipy
    import sklearn

    return {
        **machine_info(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "sklearn": sklearn.__version__,
        "threads_per_worker": args.threads,
        "jobs": args.jobs,
        "loadavg_before": load_before,
        "loadavg_after": os.getloadavg(),
    }


def main() -> None:
    args = parse_args()
    started, load_before = time.perf_counter(), os.getloadavg()
    datasets = load_datasets(args.datasets)
    tasks = [(name, seed) for name in datasets for seed in range(args.seeds)]
    print(f"{len(tasks)} tasks ({', '.join(datasets)}; seeds {args.seeds}; jobs {args.jobs})", file=sys.stderr)
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        futures = [pool.submit(run_cell, args, name, seed) for name, seed in tasks]
        records = [r for f in futures for r in f.result()]
    table = aggregate(records)
    floors = noise_floors(datasets)
    baselines = [HAT, *map(hat_variant, args.hat_also)] if HAT in args.predictors else []
    result = {
        "benchmark": "latency_predictors",
        "machine": _machine(args, load_before),
        "settings": {k: v for k, v in vars(args).items()},
        "datasets": {
            name: {"rows": len(d), "source": _portable(d.source), "hat_latency_norm": n}
            for name, (d, n) in datasets.items()
        },
        "default_predictor": args.default,
        "goal": {baseline: goal_check(table, args.default, baseline) for baseline in baselines},
        "best_by_dataset_and_size": best_by_cell(table),
        "noise_floor": floors,
        "mape_over_floor": floor_ratio(table, floors),
        "summary": table,
        "hat_mlp_mape_by_step": learning_curves(records),
        "records": records,
        "wall_s": time.perf_counter() - started,
    }
    path = write_result("latency_predictors_quick" if args.quick else "latency_predictors", result)
    print(f"wrote {path} in {result['wall_s']:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
