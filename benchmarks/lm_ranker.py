"""LM-Searcher's ranker, made and measured offline: ranking data from some spaces and devices, a LoRA adapter of the
embedded model (SmolLM2-135M-Instruct) trained on it, and pick quality on held-out samples from others, for a random
pick, the untuned model and the tuned one. Every step is a ``hwnas lm-searcher`` command, so this is also the
end-to-end check of the user's path.

Split (nothing of a test group is seen in training):

* train: gpt-s (HW-GPT-Bench through the ``bench`` evaluator: perplexity and latency on six devices), NB201 on 18 of
  HELP's 27 devices, the HAT space on the project's own AMD EPYC dataset;
* test, unseen: gpt-m (same metrics, another scale), FBNet (another space, HELP's 27 devices), NB201 on HELP's other
  9 devices; test, seen distribution: fresh gpt-s samples (another seed), for reference.

Pick quality: top-1 accuracy (the pick is the pool's best) and mean rank of the pick (1 best, 10 worst) over the
held-out samples, beside a random pick's exact expectation. Steps whose output exists are not redone (a killed run
resumes; the fine-tuning itself checkpoints too). The adapter's folder is written under ``--work``; ``--ship``
copies it to ``--ship-to`` (small: about 2 MB) with its provenance file.

    python benchmarks/lm_ranker.py --work WORKDIR              # ~60 min on one CPU core
    python benchmarks/lm_ranker.py --work WORKDIR --quick      # a few samples per group (minutes)
    python benchmarks/lm_ranker.py --work WORKDIR --device cuda  # fine-tuning and scoring on a GPU (bf16 autocast)

``--device`` (default auto: CUDA when torch sees one, else the CPU) goes to ``finetune --device`` and ``eval-picks
--llm-device``; a stored evaluation made on another device is not reused silently (its model id says where it ran).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import machine_info, package_versions, portable_path, write_result

from hwnas.llm.devices import CUDA_TAG

GPT_DEVICES = "a100,h100,rtx2080,v100,cpu_xeon_gold,cpu_amd_7502"
NB201_TRAIN = [
    "1080ti_1",
    "1080ti_256",
    "2080ti_1",
    "2080ti_32",
    "essential_ph_1",
    "eyeriss",
    "gold_6226",
    "pixel2",
    "raspi4",
    "samsung_a50",
    "silver_4114",
    "titan_rtx_1",
    "titan_rtx_256",
    "titanx_1",
    "titanx_32",
    "titanxp_1",
    "titanxp_256",
    "fpga",
]
NB201_TEST = [
    "1080ti_32",
    "2080ti_256",
    "gold_6240",
    "pixel3",
    "samsung_s7",
    "silver_4210r",
    "titan_rtx_32",
    "titanx_256",
    "titanxp_32",
]


def groups(quick: bool) -> dict[str, dict[str, Any]]:
    """name -> (split, make-data arguments, samples)."""
    scale = 0.1 if quick else 1.0

    def n(full: int) -> int:
        return max(3, int(full * scale))

    bench = ["--evaluator", "bench", "--evaluator-opt", "bench.metrics=perplexity,latency"]
    return {
        "train-gpt-s": {
            "split": "train",
            "n": n(100),
            "args": ["--space", "gpt-s", *bench, "--evaluator-opt", f"bench.devices={GPT_DEVICES}", "--seed", "0"],
        },
        "train-nb201": {
            "split": "train",
            "n": n(75),
            "args": ["--space", "nb201", "--table", "help:" + ",".join(NB201_TRAIN), "--seed", "0"],
        },
        "train-hat": {
            "split": "train",
            "n": n(25),
            "args": ["--space", "hat-wmt14ende", "--table", "shipped", "--seed", "0"],
        },
        "test-gpt-m": {
            "split": "unseen",
            "n": n(40),
            "args": [
                "--space",
                "gpt-m",
                *bench,
                "--evaluator-opt",
                "bench.devices=h100,rtx2080,cpu_xeon_gold",
                "--seed",
                "1",
            ],
        },
        "test-fbnet": {"split": "unseen", "n": n(40), "args": ["--space", "fbnet", "--table", "help", "--seed", "1"]},
        "test-nb201-devices": {
            "split": "unseen",
            "n": n(40),
            "args": ["--space", "nb201", "--table", "help:" + ",".join(NB201_TEST), "--seed", "1"],
        },
        "test-gpt-s": {
            "split": "seen",
            "n": n(30),
            "args": ["--space", "gpt-s", *bench, "--evaluator-opt", f"bench.devices={GPT_DEVICES}", "--seed", "1"],
        },
    }


def run(command: list[str], log: Path) -> float:
    """Run a hwnas command, its output appended to ``log``; seconds taken. A failure stops the benchmark."""
    began = time.perf_counter()
    with log.open("a") as handle:
        handle.write(f"$ {' '.join(command)}\n")
        handle.flush()
        done = subprocess.run(command, stdout=handle, stderr=subprocess.STDOUT, check=False)
    if done.returncode != 0:
        raise SystemExit(f"step failed (exit {done.returncode}): {' '.join(command)}; see {log}")
    return time.perf_counter() - began


def _placed(device: str) -> str:
    """``--device`` resolved (``auto`` made concrete: what the record says), or a one-line stop."""
    from hwnas.core.errors import ConfigError
    from hwnas.llm.devices import resolve_device

    try:
        return resolve_device(device, name="--device")
    except ConfigError as exc:
        raise SystemExit(str(exc)) from None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", type=Path, required=True, help="folder for data, adapter, logs (resumable)")
    parser.add_argument("--quick", action="store_true", help="a tenth of the samples, 1 epoch")
    parser.add_argument("--history", default="5-20", help="history size per sample (make-data --history)")
    parser.add_argument("--epochs", type=float, default=1.5)
    parser.add_argument("--layers", type=int, default=4, help="top blocks with LoRA")
    parser.add_argument("--rank", type=int, default=8)
    parser.add_argument("--lr", type=float, default=6e-4)
    parser.add_argument("--threads", type=int, default=1, help="torch threads on the CPU (unused on CUDA)")
    parser.add_argument(
        "--device", default="auto", help="auto (cuda when torch sees one, else cpu) | cpu | cuda | cuda:N"
    )
    parser.add_argument("--ship-to", type=Path, default=None, help="copy the adapter folder here when done")
    parser.add_argument("--out", type=Path, default=None, help="results folder (default benchmarks/results)")
    args = parser.parse_args(argv)
    device = _placed(args.device)
    work = args.work
    work.mkdir(parents=True, exist_ok=True)
    log = work / "log.txt"
    seconds: dict[str, float] = {}
    specs = groups(args.quick)
    for name, spec in specs.items():
        data = work / f"{name}.jsonl"
        if not data.is_file():
            seconds[f"make-data {name}"] = run(
                [
                    "hwnas",
                    "lm-searcher",
                    "make-data",
                    *spec["args"],
                    "--n",
                    str(spec["n"]),
                    "--history",
                    args.history,
                    "--out",
                    str(data),
                ],
                log,
            )
    adapter = work / "adapter"
    if not adapter.is_dir():
        train = [
            x
            for name, spec in specs.items()
            if spec["split"] == "train"
            for x in ("--data", str(work / f"{name}.jsonl"))
        ]
        epochs = 1.0 if args.quick else args.epochs
        seconds["finetune"] = run(
            [
                "hwnas",
                "lm-searcher",
                "finetune",
                *train,
                "--out",
                str(adapter),
                "--epochs",
                str(epochs),
                "--layers",
                str(args.layers),
                "--rank",
                str(args.rank),
                "--lr",
                str(args.lr),
                "--threads",
                str(args.threads),
                "--device",
                device,
            ],
            log,
        )
    evaluations: dict[str, dict[str, Any]] = {}
    for name, spec in specs.items():
        if spec["split"] == "train":
            continue
        for model, extra in (("untuned", []), ("tuned", ["--llm-adapter", str(adapter)])):
            result = work / f"eval-{name}-{model}.json"
            if not result.is_file():
                command = [
                    "hwnas",
                    "lm-searcher",
                    "eval-picks",
                    "--data",
                    str(work / f"{name}.jsonl"),
                    "--json",
                    "--llm-backend",
                    "transformers",
                    "--llm-threads",
                    str(args.threads),
                    "--llm-device",
                    device,
                    *extra,
                ]
                began = time.perf_counter()
                done = subprocess.run(command, capture_output=True, text=True, check=False)
                if done.returncode != 0:
                    raise SystemExit(f"eval-picks failed: {done.stderr[-2000:]}")
                result.write_text(done.stdout)
                seconds[f"eval {name} {model}"] = time.perf_counter() - began
            found = json.loads(result.read_text())
            if (CUDA_TAG in found["model"]) != (device != "cpu"):
                raise SystemExit(f"{result} was made by {found['model']}, not on {device}: delete it to score again")
            evaluations.setdefault(name, {"split": spec["split"]})[model] = found
    provenance = json.loads((adapter / "hwnas-adapter.json").read_text())
    rows = []
    for name, found in evaluations.items():
        untuned, tuned = found["untuned"]["overall"], found["tuned"]["overall"]
        rows.append(
            {
                "group": name,
                "split": found["split"],
                "samples": untuned["samples"],
                "random_top1": untuned["random_top1"],
                "random_mean_rank": untuned["random_mean_rank"],
                "untuned_top1": untuned["top1"],
                "untuned_mean_rank": untuned["mean_rank"],
                "untuned_mean_rank_se": untuned["mean_rank_se"],
                "tuned_top1": tuned["top1"],
                "tuned_mean_rank": tuned["mean_rank"],
                "tuned_mean_rank_se": tuned["mean_rank_se"],
                "failed": untuned["failed"] + tuned["failed"],
            }
        )
    unseen = [r for r in rows if r["split"] == "unseen"]
    helps = all(
        r["tuned_mean_rank"] < r["untuned_mean_rank"] and r["tuned_mean_rank"] < r["random_mean_rank"] for r in unseen
    )
    result = {
        "benchmark": "lm_ranker",
        "command": " ".join([Path(sys.argv[0]).name, *(argv if argv is not None else sys.argv[1:])]),
        "quick": args.quick,
        "settings": {
            "history": args.history,
            "epochs": 1.0 if args.quick else args.epochs,
            "layers": args.layers,
            "rank": args.rank,
            "lr": args.lr,
            "threads": args.threads,
            "device": device,
            "pool": 10,
        },
        "groups": {
            name: {"split": spec["split"], "samples": spec["n"], "make_data": spec["args"]}
            for name, spec in specs.items()
        },
        "adapter": {
            "train_sources": provenance.get("train_sources"),
            "steps": provenance.get("steps"),
            "trained_samples": provenance.get("trained_samples"),
            "losses": provenance.get("losses"),
            "skipped_long": provenance.get("skipped_long"),
            "base": provenance.get("base"),
            "train_seconds": provenance.get("seconds_this_session"),
        },
        "rows": rows,
        "evaluations": evaluations,
        "tuned_helps_on_unseen": helps,
        "seconds": {k: round(v, 1) for k, v in seconds.items()},
        "work": portable_path(work),
        "machine": machine_info(),
        "versions": package_versions(["hwnas", "torch", "transformers", "peft"]),
    }
    path = write_result("lm_ranker" + ("-quick" if args.quick else ""), result, args.out)
    print(f"wrote {path}")
    for row in rows:
        print(
            f"{row['group']:<20} {row['split']:<7} top-1 random {row['random_top1']:.3f} untuned "
            f"{row['untuned_top1']:.3f} tuned {row['tuned_top1']:.3f} | mean rank random "
            f"{row['random_mean_rank']:.2f} untuned {row['untuned_mean_rank']:.2f} tuned {row['tuned_mean_rank']:.2f}"
        )
    if args.ship_to is not None:
        shutil.rmtree(args.ship_to, ignore_errors=True)
        shutil.copytree(adapter, args.ship_to, ignore=shutil.ignore_patterns("README.md"))
        print(f"adapter copied to {args.ship_to}")


if __name__ == "__main__":
    main()
