"""LLM-PP on the LLM-PP seed archs: MAE and Kendall tau vs valid BLEU (mean and std over the 3 split seeds, 20 test
archs each, 10 demonstrations) for the embedded model, and for an OpenAI-compatible endpoint when one is configured
by the environment (HWNAS_LLM_BASE_URL, HWNAS_LLM_MODEL, and the key in OPENAI_API_KEY or HWNAS_LLM_API_KEY_ENV),
next to the four weight-sharing supernet predictors stored in the same files.

The embedded model is SmolLM2-135M-Instruct: far too small to predict BLEU; its row shows what the plumbing does
with a weak model (failed answers counted, constant answers giving an undefined tau), not a quality claim.

Time: the full run asks 180 prompts (~2.7k tokens each) per model. The embedded model with its transformers backend
on one thread of a shared 2-vCPU machine took a median 12 s per prompt, 40 min in all (llm_pp-20261122T200747Z.json);
answers go to the disk cache, so a re-run is fast (the result records how many answers came from the cache).

    python benchmarks/llm_pp.py                                  # embedded (+ endpoint if configured)
    python benchmarks/llm_pp.py --tasks wmt14ende --seeds 123 --limit 2      # smoke run, < 1 min
    python benchmarks/llm_pp.py --replay answers.jsonl --no-embedded         # recorded answers only
    python benchmarks/llm_pp.py --backend transformers llama_cpp --no-cache  # both embedded backends side by side
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine_info, package_versions, write_result

from hwnas.data.tables import LLMPP_SEEDS, LLMPP_TASKS
from hwnas.llm.base import Completion, LLMError, LLMRunner, Request
from hwnas.llm.clients import LLMSettings, env_defaults, load_settings, make_runner
from hwnas.llm.evaluation import evaluate_llmpp, format_table, json_safe
from hwnas.llm.llmpp_config import EvaluateConfig

PACKAGES = ("hwnas", "torch", "transformers", "gguf", "llama_cpp_python", "openai", "jinja2", "scipy", "numpy")


class TimedRunner:
    """Wraps a runner to count answers, cache hits and failures, and the seconds spent per uncached answer."""

    def __init__(self, inner: LLMRunner) -> None:
        self.inner, self.model = inner, inner.model
        self.structured_output = bool(getattr(inner, "structured_output", False))
        self.answers = self.cached = self.failed = 0
        self.seconds: list[float] = []
        self._lock = threading.Lock()

    def run(self, requests: Sequence[Request]) -> list[Completion | LLMError]:
        outcomes = self.inner.run(requests)
        with self._lock:
            for outcome in outcomes:
                if isinstance(outcome, LLMError):
                    self.failed += 1
                elif outcome.cached:
                    self.cached += 1
                else:
                    self.answers += 1
                    self.seconds.append(outcome.elapsed_s)
        return outcomes

    def stats(self) -> dict[str, Any]:
        """Counts, and seconds per uncached answer (the first includes loading a local model)."""
        ordered = sorted(self.seconds)
        timing = {"median_s": statistics.median(ordered), "min_s": ordered[0], "max_s": ordered[-1]} if ordered else {}
        counts = {"answered": self.answers, "cached": self.cached, "failed_requests": self.failed}
        return {**counts, **timing, "answer_s": self.seconds}


def clients(args: argparse.Namespace) -> list[tuple[str, LLMSettings]]:
    """(label, settings) of every model to run: embedded, the env's endpoint, a replay file."""
    common: dict[str, Any] = {"cache": not args.no_cache, "threads": args.threads}
    runs = []
    if args.replay:
        runs.append(("replay", load_settings({"client": "replay", "replay_file": args.replay, "cache": False})))
    if not args.no_embedded:
        for backend in args.backend:  # side by side in one run when several are named
            label = "embedded" if len(args.backend) == 1 else f"embedded-{backend}"
            runs.append((label, load_settings({**common, "client": "embedded", "backend": backend})))
    if env_defaults().get("base_url"):
        runs.append(("endpoint", load_settings({"cache": not args.no_cache, "client": "openai"})))
    return runs


def versions() -> dict[str, str | None]:
    return package_versions(PACKAGES)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", nargs="+", default=list(LLMPP_TASKS))
    parser.add_argument("--seeds", nargs="+", type=int, default=list(LLMPP_SEEDS))
    parser.add_argument("--limit", type=int, default=None, help="test archs per split (default all 20)")
    parser.add_argument("--samples", type=int, default=1)
    parser.add_argument("--temperature", type=float, default=0.0)
    parser.add_argument("--examples", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1, help="embedded model threads")
    parser.add_argument(
        "--backend", nargs="+", default=["auto"], choices=["auto", "transformers", "llama_cpp"],
        help="embedded backend(s); several run one after the other in the same invocation",
    )  # fmt: skip
    parser.add_argument("--replay", default=None, help="also run a replay file of recorded answers")
    parser.add_argument("--no-embedded", action="store_true")
    parser.add_argument("--no-cache", action="store_true", help="ask every prompt again (honest timings)")
    parser.add_argument("--out-dir", type=Path, default=None)
    args = parser.parse_args()
    config = EvaluateConfig(
        tasks=args.tasks, seeds=args.seeds, limit=args.limit, samples=args.samples, examples=args.examples
    )
    runs = []
    for label, settings in clients(args):
        settings = settings.model_copy(update={"temperature": args.temperature})
        runner = TimedRunner(make_runner(settings))
        start = time.perf_counter()
        result = evaluate_llmpp(runner, config, sampling=settings.sampling())
        wall = time.perf_counter() - start
        print(f"{label} ({runner.model}): {wall:.1f} s\n{format_table(result)}\n", flush=True)
        runs.append({"label": label, "model": runner.model, "wall_s": wall, **runner.stats(), "result": result})
    data = {
        "benchmark": "llm_pp",
        "machine": machine_info(),
        "versions": versions(),
        "config": config.model_dump(mode="json"),
        "runs": runs,
        "tables": {run["label"]: format_table(run["result"]) for run in runs},
    }
    path = write_result("llm_pp", json_safe(data), args.out_dir)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
