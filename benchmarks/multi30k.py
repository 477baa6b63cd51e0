"""Multi30k En->De with HAT's hat-wmt14ende SuperTransformer: train the supernet, train the largest subnet from
scratch, and score sacreBLEU (beam 4, length penalty 0.6) on test2016 for the largest and smallest subnets with
inherited weights and for the largest trained from scratch. Wall-clock of every stage is recorded.

    python benchmarks/multi30k.py --device cuda                  # the full run on one GPU (issue goal: scratch >= 35
                                                                 # BLEU, inherited largest within 1.5 BLEU of it)
    python benchmarks/multi30k.py --quick                        # CPU: tiny space, short run, BLEU > 0 on val

Needs HWNAS_DATA_DIR (or the multi30k dataset in the cache). Writes benchmarks/results/multi30k-<date>.json.
"""

from __future__ import annotations

import argparse
import sys
import time
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine_info, write_result

from hwnas.evaluate.checkpoint import evaluate_checkpoint
from hwnas.spaces import get_space
from hwnas.train import TrainConfig, parse_config, train


def _base_config(name: str) -> dict[str, Any]:
    text = resources.files("hwnas.configs.train").joinpath(f"{name}.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def _configure(
    base: dict[str, Any],
    *,
    run_dir: Path,
    device: str,
    epochs: float | None,
    steps: int | None,
    arch: dict[str, Any] | None = None,
) -> TrainConfig:
    data = {**base, "run_dir": str(run_dir), "arch": arch}
    run = {**base["run"], "device": device, "quiet": True, "max_epochs": epochs, "max_steps": steps}
    data["run"] = {k: v for k, v in run.items() if v is not None}
    return parse_config(data, source="benchmarks/multi30k.py")


def _timed_train(config: TrainConfig) -> tuple[Path, dict[str, Any]]:
    started = time.perf_counter()
    result = train(config, resume=Path(config.run_dir, "checkpoints").is_dir())
    assert result.checkpoint is not None, "training wrote no checkpoint"
    return result.checkpoint, {
        "steps": result.steps,
        "last_loss": result.last_loss,
        "wall_s": round(time.perf_counter() - started, 1),
    }


def _bleu(checkpoint: Path, arch: Any, split: str, device: str, max_sentences: int | None) -> dict[str, Any]:
    started = time.perf_counter()
    out = evaluate_checkpoint(
        checkpoint, arch=arch, metric="bleu", split=split, device=device, max_sentences=max_sentences
    )
    return {**out, "wall_s": round(time.perf_counter() - started, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="CPU smoke run on the tiny space")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--supernet-epochs", type=float, default=40.0)
    parser.add_argument("--scratch-epochs", type=float, default=40.0)
    parser.add_argument("--steps", type=int, default=None, help="override: optimizer steps per training run")
    parser.add_argument("--split", default=None, help="BLEU split (default test2016; val with --quick)")
    parser.add_argument("--max-sentences", type=int, default=None)
    parser.add_argument("--work", default="runs/bench-multi30k", help="run folders (resumable)")
    args = parser.parse_args()

    base = _base_config("tiny-multi30k" if args.quick else "hat-wmt14ende-multi30k")
    space = get_space(base["space"])
    device = "cpu" if args.quick else args.device
    steps = args.steps if args.steps is not None else (300 if args.quick else None)
    epochs = (None, None) if steps is not None else (args.supernet_epochs, args.scratch_epochs)
    split = args.split or ("val" if args.quick else "test2016")
    limit = args.max_sentences if args.max_sentences is not None else (200 if args.quick else None)
    work = Path(args.work)

    largest, smallest = space.largest(), space.smallest()
    supernet_ckpt, supernet_stats = _timed_train(
        _configure(base, run_dir=work / "supernet", device=device, epochs=epochs[0], steps=steps)
    )
    scratch_ckpt, scratch_stats = _timed_train(
        _configure(
            base, run_dir=work / "scratch-largest", device=device, epochs=epochs[1], steps=steps, arch=largest.to_dict()
        )
    )
    bleu = {
        "supernet_largest": _bleu(supernet_ckpt, largest, split, device, limit),
        "supernet_smallest": _bleu(supernet_ckpt, smallest, split, device, limit),
        "scratch_largest": _bleu(scratch_ckpt, None, split, device, limit),
    }
    gap = bleu["scratch_largest"]["bleu"] - bleu["supernet_largest"]["bleu"]
    result = {
        "benchmark": "multi30k",
        "machine": machine_info(),
        "settings": {
            "space": space.name,
            "quick": args.quick,
            "device": device,
            "steps": steps,
            "supernet_epochs": epochs[0],
            "scratch_epochs": epochs[1],
            "split": split,
            "max_sentences": limit,
            "train_config": base,
        },
        "training": {"supernet": supernet_stats, "scratch_largest": scratch_stats},
        "bleu": bleu,
        "summary": {k: round(v["bleu"], 2) for k, v in bleu.items()}
        | {"scratch_minus_inherited_largest": round(gap, 2)},
    }
    path = write_result("multi30k", result)
    print(yaml.safe_dump(result["summary"], sort_keys=False), f"written: {path}", sep="")


if __name__ == "__main__":
    main()
