"""Few-shot latency transfer on NASFLAT's public tasks (N0, F0-F5): every hwnas method side by side, next to the
published numbers of NASFLAT, MultiPredict and HELP.

Protocol (``hwnas.fewshot.protocol.compare_methods``): per task and seed, one model is pretrained on the source
devices (the GNN with that seed); per target device and sample size, ``random`` draws the archs to measure (seed
= the seed), the model is adapted to them, and every method predicts all archs of the space from the same
adaptation. Spearman's rho with average ranks for ties, over all archs (NASFLAT's figure: the samples included)
and over the archs not sampled; mean and standard deviation over seeds per target; the task's figure is the mean
over its targets. CPU seconds per task: pretraining, adaptation and prediction of the default method (``stack``)
summed over seeds, targets and sample sizes (one torch thread).

Published numbers (typed from the papers, with their protocols: they are not reruns):
- NASFLAT (Akhauri & Abdelfattah, MLSys 2024), 20 samples, its own sampler (arch2vec + CATE + ZCP encodings,
  k-means + cosine), Spearman over all archs, mean over targets and trials;
- MultiPredict and HELP at 10 samples as NASFLAT's paper reports them (NB201 N0, FBNet mean of F0-F5);
- HELP's own README (HayeonLee/HELP @ 45f70eb), 10 samples, its own protocol (meta-test archs only): N0 and F0.

    python benchmarks/fewshot.py                      # N0, F0-F5, 5/10/20 samples, seeds 0-2 (~15-30 min)
    python benchmarks/fewshot.py --quick              # F0 only, 5/20 samples, one seed, no GNN (seconds)
    python benchmarks/fewshot.py --kind samplers      # the default method with every sampler
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import machine_info, package_versions, write_result

TASKS = ["N0", "F0", "F1", "F2", "F3", "F4", "F5"]
METHODS = [
    "flops",
    "params",
    "best-source",
    "ridge-transfer",
    "opcount-ridge",
    "op-sum",
    "ridge-all",
    "gbdt-all",
    "gnn",
    "stack",
]
TRIVIAL = ["flops", "params", "best-source"]
DEFAULT = "stack"
VERSIONS = ["hwnas", "torch", "numpy", "scipy", "scikit-learn"]

PUBLISHED: dict[str, Any] = {
    "nasflat@20": {
        "source": "NASFLAT, Akhauri & Abdelfattah, MLSys 2024, few-shot table (20 samples)",
        "tasks": {"N0": 0.959, "F0": 0.961, "F1": 0.809, "F2": 0.871, "F3": 0.814, "F4": 0.734, "F5": 0.577},
        "fbnet_mean": 0.794,
    },
    "help@10 (NASFLAT's report)": {
        "source": "NASFLAT's paper, HELP at 10 samples",
        "tasks": {"N0": 0.948},
        "fbnet_mean": 0.638,
    },
    "multipredict@10 (NASFLAT's report)": {
        "source": "NASFLAT's paper, MultiPredict at 10 samples",
        "tasks": {"N0": 0.885},
        "fbnet_mean": 0.655,
    },
    "help@10 (own protocol)": {
        "source": "HayeonLee/HELP @ 45f70eb README: meta-test archs only, not all archs",
        "tasks": {"N0": 0.932, "F0": 0.910},
        "fbnet_mean": None,
    },
}
GOALS = {"n0_at_20": 0.97, "fbnet_mean_at_20": 0.85, "cpu_s_per_task": 300.0}


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="F0, 5/20 samples, one seed, no GNN")
    parser.add_argument("--tasks", default=None, help="comma-separated (default: " + ",".join(TASKS) + ")")
    parser.add_argument("--samples", default="5,10,20")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--sampler", default="random")
    parser.add_argument("--results-dir", type=Path, default=None, help="default: benchmarks/results/")
    parser.add_argument(
        "--kind",
        choices=["main", "samplers", "ceiling"],
        default="main",
        help="main: every method with one "
        "sampler; samplers: the default method with every sampler (fewshot_samplers-*.json); ceiling: how well "
        "each target can be predicted at all, by models fitted on half of its archs (fewshot_ceiling-*.json)",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.tasks, args.samples, args.seeds = args.tasks or "F0", "5,20", 1
    args.tasks = (args.tasks or ",".join(TASKS)).split(",")
    args.samples = [int(v) for v in args.samples.split(",")]
    return args


def _at(records: list[dict[str, Any]], n: int) -> dict[str, Any]:
    return next(r for r in records if r["target"] == "mean" and r["samples"] == n)


def goals(tasks: dict[str, Any], samples: list[int]) -> dict[str, Any]:
    """The issue's goals at 20 samples for the default method (assessed only on the tasks that ran)."""
    if 20 not in samples:
        return {"assessed": False, "reason": "20 samples not run"}
    score = {t: _at(r["methods"][DEFAULT], 20)["spearman_all"] for t, r in tasks.items()}
    fbnet = [score[t] for t in score if t.startswith("F")]
    nasflat = PUBLISHED["nasflat@20"]["tasks"]
    behind_trivial = {
        t: [m for m in TRIVIAL if _at(r["methods"][m], 20)["spearman_all"] >= score[t]]
        for t, r in tasks.items()
        if m_present(r)
    }
    out: dict[str, Any] = {
        "assessed": True,
        "default": DEFAULT,
        "n0_at_20": {
            "value": score.get("N0"),
            "goal": GOALS["n0_at_20"],
            "met": None if "N0" not in score else score["N0"] >= GOALS["n0_at_20"],
        },
        "fbnet_mean_at_20": {
            "value": float(np.mean(fbnet)) if len(fbnet) == 6 else None,
            "goal": GOALS["fbnet_mean_at_20"],
            "met": None if len(fbnet) != 6 else float(np.mean(fbnet)) >= GOALS["fbnet_mean_at_20"],
        },
        "ahead_of_nasflat": {t: score[t] > nasflat[t] for t in score},
        "ahead_of_trivial": {t: not v for t, v in behind_trivial.items()},
        "not_ahead_of": {t: v for t, v in behind_trivial.items() if v},
        "cpu_s": {t: r["cpu_s"] for t, r in tasks.items()},
        "cpu_met": all(r["cpu_s"] < GOALS["cpu_s_per_task"] for r in tasks.values()),
    }
    return out


def m_present(record: dict[str, Any]) -> bool:
    return all(m in record["methods"] for m in TRIVIAL)


def run_task(name: str, args: argparse.Namespace, methods: list[str]) -> dict[str, Any]:
    from hwnas.fewshot.model import FewShotOptions
    from hwnas.fewshot.protocol import compare_methods
    from hwnas.fewshot.tables import help_table
    from hwnas.fewshot.tasks import get_task

    task = get_task(name)
    task.check_runnable()
    table = help_table(task.space)
    options = FewShotOptions(gnn="gnn" in methods)
    started = time.process_time()
    records = compare_methods(table, task.source, task.target, methods, samples=args.samples,
                              seeds=range(args.seeds), options=options, sampler=args.sampler)  # fmt: skip
    total = time.process_time() - started
    cpu = sum(r["cpu_s"] for r in records[DEFAULT] if r["target"] != "mean")
    line = "  ".join(f"{m} {_at(records[m], max(args.samples))['spearman_all']:.3f}" for m in methods)
    print(f"{name}: @{max(args.samples)} {line}  (cpu {cpu:.0f} s of {total:.0f} s)", flush=True)
    return {"space": task.space, "source": list(task.source), "target": list(task.target), "methods": records,
            "cpu_s": cpu, "cpu_s_all_methods": total}  # fmt: skip


HAT_SOURCES = ["raspberrypi", "xeon", "titanxp"]
HAT_TARGET = "amd-epyc"
SCRATCH = {"hat-mlp": {"seed": 0}, "cost-l2": {}}  # HAT's own predictors, fitted on the target's samples only


def run_hat(args: argparse.Namespace, methods: list[str]) -> dict[str, Any]:
    """HAT's three CSVs -> the project's own CPU dataset: every method, and HAT's predictors from scratch on the
    same samples (what a user without transfer would fit)."""
    from hwnas.fewshot.devices import compare
    from hwnas.fewshot.model import FewShotOptions
    from hwnas.fewshot.tables import hat_devices
    from hwnas.predictors import make_predictor
    from hwnas.predictors.metrics import mape, spearman

    started = time.process_time()
    used = [m for m in methods if m != "gnn"]  # HAT's sources are features, not graphs
    records = compare(
        "hat-wmt14ende",
        HAT_SOURCES,
        [HAT_TARGET],
        used,
        samples=args.samples,
        seeds=range(args.seeds),
        options=FewShotOptions(gnn=False),
        sampler="random",
    )
    target = hat_devices()[HAT_TARGET]
    assert target.features is not None
    scratch: dict[str, list[dict[str, Any]]] = {}
    for name, options in SCRATCH.items():
        scratch[name] = []
        for n in args.samples:
            scores = []
            for seed in range(args.seeds):
                rows = np.sort(np.random.default_rng(seed).choice(len(target), size=n, replace=False))
                rest = np.setdiff1d(np.arange(len(target)), rows)
                model = make_predictor(name, **options).fit(target.features[rows], target.latency[rows])
                predicted = model.predict(target.features)
                scores.append(
                    (
                        spearman(target.latency, predicted),
                        spearman(target.latency[rest], predicted[rest]),
                        mape(target.latency[rest], predicted[rest]),
                    )
                )
            values = np.array(scores)
            scratch[name].append(
                {
                    "target": "mean",
                    "samples": n,
                    "spearman_all": float(values[:, 0].mean()),
                    "spearman_unseen": float(values[:, 1].mean()),
                    "spearman_unseen_std": float(values[:, 1].std()),
                    "mape_unseen": float(values[:, 2].mean()),
                    "seeds": args.seeds,
                }
            )
    total = time.process_time() - started
    at = max(args.samples)
    line = "  ".join(
        f"{m} {_at(r, at)['spearman_unseen']:.3f}/{_at(r, at)['mape_unseen']:.1%}"
        for m, r in {**records, **scratch}.items()
    )
    print(f"HAT {','.join(HAT_SOURCES)} -> {HAT_TARGET}: @{at} unseen Spearman/MAPE {line}  (cpu {total:.0f} s)")
    return {
        "space": "hat-wmt14ende",
        "source": HAT_SOURCES,
        "target": [HAT_TARGET],
        "methods": records,
        "scratch": scratch,
        "cpu_s_all_methods": total,
        "note": "HAT's CSVs hold 10 averaged features and no archs, so they are sources only; the target is "
        "the project's own dataset (300 archs, AMD EPYC, hwnas latency collect), the sampler random "
        "(the same draw for every method; scratch models use numpy's draw with the same seed)",
    }


def run_samplers(args: argparse.Namespace) -> dict[str, Any]:
    """The default method with each sampler, on every task (no GNN: the default does not use it)."""
    from hwnas.fewshot.devices import compare
    from hwnas.fewshot.model import FewShotOptions
    from hwnas.fewshot.samplers import SAMPLERS
    from hwnas.fewshot.tasks import get_task

    out: dict[str, Any] = {}
    for name in args.tasks:
        task = get_task(name)
        out[name] = {}
        for sampler in SAMPLERS:
            records = compare(
                task.space,
                task.source,
                task.target,
                [DEFAULT],
                samples=args.samples,
                seeds=range(args.seeds),
                options=FewShotOptions(),
                sampler=sampler,
            )[DEFAULT]
            out[name][sampler] = records
            at = max(args.samples)
            print(f"{name} {sampler}: @{at} {_at(records, at)['spearman_all']:.3f}", flush=True)
    return out


CEILING_MODELS = {
    "sources": "ridge on the sources' log latencies",
    "op-counts": "ridge on the per-decision option counts (log)",
    "op-sum": "op-sum (pooled op counts, ms, non-negative least squares)",
    "everything": "ridge on sources, option counts, their pairwise products and log FLOPs / params (log)",
}


def run_ceiling(args: argparse.Namespace) -> dict[str, Any]:
    """How well each target can be predicted at all: models fitted on a random half of the target's archs (seed 0)
    scored by Spearman on the other half. A few-shot method cannot be expected above the best of them, so the
    column tells a noisy table (pixel2) from a weak method."""
    from sklearn.linear_model import RidgeCV

    from hwnas.fewshot.features import SourceBank, arch_features, index_matrix
    from hwnas.fewshot.methods import RIDGE_ALPHAS, op_sum
    from hwnas.fewshot.tables import help_table
    from hwnas.fewshot.tasks import get_task
    from hwnas.predictors.metrics import spearman
    from hwnas.spaces import get_space

    out: dict[str, Any] = {}
    for name in args.tasks:
        task = get_task(name)
        task.check_runnable()
        table, space = help_table(task.space), get_space(task.space)
        bank = SourceBank(space, task.source, index_matrix(table.archs, space), table.columns(task.source))
        features = arch_features(table.archs, bank)
        pairs = np.einsum("ni,nj->nij", features.options, features.options).reshape(len(table.archs), -1)
        counts = [] if features.counts is None else [features.counts]
        inputs = {"sources": features.sources, "op-counts": features.options,
                  "everything": np.hstack([features.sources, features.options, pairs, *counts])}  # fmt: skip
        order = np.random.default_rng(0).permutation(len(table.archs))
        fit, held = order[: len(order) // 2], order[len(order) // 2 :]
        out[name] = {}
        for target in task.target:
            logy = np.log(table.device(target).latency)
            scores = {key: spearman(logy[held], RidgeCV(alphas=RIDGE_ALPHAS).fit(x[fit], logy[fit]).predict(x[held]))
                      for key, x in inputs.items()}  # fmt: skip
            scores["op-sum"] = spearman(logy[held], op_sum(features.take(fit), logy[fit], features.take(held)))
            out[name][target] = {key: float(scores[key]) for key in CEILING_MODELS}
            print(f"{name} {target}: " + "  ".join(f"{k} {v:.3f}" for k, v in out[name][target].items()), flush=True)
    return out


def _provenance(name: str, args: argparse.Namespace, argv: Sequence[str] | None) -> dict[str, Any]:
    """What every result of this script starts with: what ran, how, where, with which versions."""
    command = shlex.join(["python", *sys.argv]) if argv is None else shlex.join(["fewshot.py", *argv])
    return {
        "benchmark": name,
        "quick": bool(args.quick),
        "command": command,
        "machine": machine_info(),
        "versions": package_versions(VERSIONS),
    }


def main(argv: Sequence[str] | None = None) -> Path:
    import torch

    args = parse_args(argv)
    torch.set_num_threads(1)
    if args.kind == "samplers":
        started = time.perf_counter()
        result = {
            **_provenance("fewshot_samplers", args, argv),
            "settings": {
                "tasks": args.tasks,
                "samples": args.samples,
                "seeds": list(range(args.seeds)),
                "method": DEFAULT,
            },
            "tasks": run_samplers(args),
        }
        result["wall_s"] = time.perf_counter() - started
        path = write_result("fewshot_samplers", result, args.results_dir)
        print(f"wrote {path}")
        return path
    if args.kind == "ceiling":
        started = time.perf_counter()
        result = {
            **_provenance("fewshot_ceiling", args, argv),
            "settings": {"tasks": args.tasks, "split": "half of each target's archs, seed 0", "models": CEILING_MODELS},
            "tasks": run_ceiling(args),
        }
        result["wall_s"] = time.perf_counter() - started
        path = write_result("fewshot_ceiling", result, args.results_dir)
        print(f"wrote {path}")
        return path
    methods = [m for m in METHODS if not (args.quick and m == "gnn")]
    started = time.perf_counter()
    tasks = {name: run_task(name, args, methods) for name in args.tasks}
    hat = None if args.quick else run_hat(args, methods)
    result = {
        **_provenance("fewshot", args, argv),
        "settings": {
            "tasks": args.tasks,
            "samples": args.samples,
            "seeds": list(range(args.seeds)),
            "sampler": args.sampler,
            "methods": methods,
            "default": DEFAULT,
        },
        "published": PUBLISHED,
        "goals": goals(tasks, args.samples),
        "tasks": tasks,
        "hat": hat,
        "wall_s": time.perf_counter() - started,
    }
    path = write_result("fewshot", result, args.results_dir)
    print(f"wrote {path} ({result['wall_s']:.0f} s)")
    print(json.dumps(result["goals"], indent=1))
    return path


if __name__ == "__main__":
    main()
