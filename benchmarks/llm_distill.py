"""LLM-Distill-PP on HAT's WMT'14 En-De space: label N random archs per split seed with LLM-PP (the embedded model by
default), fit the regressor, score it on the split's 20 test archs (MAE, Kendall tau vs valid BLEU), next to the four
supernet predictors and the demonstrations' mean. The JSON holds what docs/llm.md shows: the scores, how many
distinct labels the LLM gave per seed (a weak model gives nearly one value), failed labels, wall-clock and answer
timing, and the machine's load.

Time: the default (500 archs x 3 seeds = 1,500 prompts) with the llama.cpp backend on one thread took 56 min on the
project's 2-vCPU VM in an earlier session. Labels are appended as they arrive and answers are cached, so a killed
run, started again with the same --out, asks only what is missing (its wall-clock then covers the last part only;
the JSON says how many answers came from the cache).

    python benchmarks/llm_distill.py --llm-backend llama_cpp                  # the full default
    python benchmarks/llm_distill.py --n 8 --seeds 123 --out /tmp/distill      # smoke run, ~1 min
"""

from __future__ import annotations

import argparse
import collections
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine_info, package_versions, write_result
from llm_pp import PACKAGES, TimedRunner

from hwnas.data.tables import LLMPP_SEEDS
from hwnas.llm.clients import load_settings, make_runner
from hwnas.llm.distill import LabelStore
from hwnas.llm.distill_run import run_distill
from hwnas.llm.evaluation import format_table, json_safe
from hwnas.llm.llmpp_config import DistillConfig


def label_statistics(out: Path, seeds: list[int]) -> list[dict[str, Any]]:
    """Per seed: labels, failed labels, distinct values and the most common value with its share."""
    stats = []
    for seed in seeds:
        values = [r.get("value") for r in LabelStore(out / f"labels-s{seed}.jsonl").read().values()]
        answered = [round(float(v), 4) for v in values if v is not None]
        common = collections.Counter(answered).most_common(1)
        stats.append(
            {
                "seed": seed,
                "labels": len(values),
                "failed": len(values) - len(answered),
                "distinct": len(set(answered)),
                "most_common": common[0][0] if common else None,
                "most_common_share": common[0][1] / len(answered) if common else None,
            }
        )
    return stats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--space", default="hat-wmt14ende")
    parser.add_argument("--n", type=int, default=500, help="random archs labelled per split seed")
    parser.add_argument("--seeds", nargs="+", type=int, default=list(LLMPP_SEEDS))
    parser.add_argument("--out", type=Path, default=Path("runs/bench-llm-distill"), help="labels and models")
    parser.add_argument("--llm-backend", default="auto", choices=["auto", "transformers", "llama_cpp"])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out-dir", type=Path, default=None, help="where the result JSON goes")
    args = parser.parse_args()
    config = DistillConfig(space=args.space, out=str(args.out), n=args.n, seeds=args.seeds)
    settings = load_settings({"client": "embedded", "backend": args.llm_backend, "threads": args.threads})
    runner = TimedRunner(make_runner(settings))
    machine = machine_info()  # the load before the run; the load after it is added below
    start = time.perf_counter()
    result = run_distill(runner, config, sampling=settings.sampling(), log=lambda m: print(m, flush=True))
    wall = time.perf_counter() - start
    stats = runner.stats()
    data = {
        "benchmark": "llm_distill",
        "machine": {**machine, "load_average_at_end": list(os.getloadavg())},
        "versions": package_versions(PACKAGES),
        "config": config.model_dump(mode="json"),
        "model": runner.model,
        "wall_s": wall,
        "answers": {k: v for k, v in stats.items() if k != "answer_s"},
        "label_statistics": label_statistics(args.out, args.seeds),
        "result": result,
        "table": format_table(result),
    }
    print(data["table"])
    print(f"wrote {write_result('llm_distill', json_safe(data), args.out_dir)}")


if __name__ == "__main__":
    main()
