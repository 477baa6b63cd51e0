"""LM-Searcher against random search, regularised evolution, HAT's evolution and local search (issue 17): simple
regret on single-objective problems at 50 / 100 / 192 trials, mean and standard error over seeds.

Problems (``--problems``, bundled multi-objective problems made single-objective by ``lm_searcher_problems.py``):
gpt-s and gpt-m perplexity under a latency budget on the H100 and on the Xeon Gold CPU (HW-GPT-Bench, the ``bench``
evaluator), and HAT WMT'14 En-De predicted BLEU under a predicted CPU latency budget (the shipped ``accuracy-model`` /
``latency-model``). Methods (``--methods``):

- ``lm-searcher``: the untuned embedded model (SmolLM2-135M); ``lm-searcher-tuned``: the same with the LoRA adapter
  of ``--adapter FOLDER`` (``hwnas lm-searcher finetune``); ``lm-searcher-endpoint``: an OpenAI-compatible server
  (``--endpoint URL --endpoint-model NAME``). Without their flag the last two are skipped and recorded as skipped.
  One trial per round (LM-Searcher is sequential), ``history_cap`` from ``--history-cap``.
- ``random``; ``rea``: regularised evolution (hwnas's ``morea``: REA's aging population, tournaments and one-decision
  mutations; on one objective its Pareto rank is the value's rank, so it is REA itself); ``evolution``: HAT's
  evolution (truncation selection, mutation and crossover: not regularised); ``local``: hill climbing with restarts.
  ``--population`` archs per round, with ``hwnas bench run``'s presets for HAT's evolution.

Every (problem, method, seed) is one ordinary search run (``hwnas.search``'s loop, the code ``hwnas search`` runs)
of ``--trials`` distinct archs in ``<out>/<problem>/<method>/seed-<k>/``; when it ends, its summary is written to
``seed-<k>.json`` beside it and reused by the next invocation. A killed run resumes from its journal (the LLM's
answers from ``<out>/llm-cache``); its wall-clock is then not recorded. Budgets are read off one run of the largest
budget: the best-so-far after 50, 100 and 192 trials. ``--merge`` joins results made in parts (other problems,
seeds or methods, the same settings) and recomputes every regret, reference and goal.

Cost (2-core AMD EPYC, one thread, gpt-s, 2026-12): an embedded-model pick takes ~7-15 s with the transformers
backend's log-likelihood scoring (the backend an adapter needs; 12-trial quick run: median 7.7 s, slowest 15.5 s)
and ~4-5 s with llama.cpp's constrained answers, growing with the shown history; a baseline run of 192 trials takes
well under a second. On HW-GPT-Bench every device's latency ranks archs alike (Spearman >= 0.98 between H100 and
each CPU on gpt-s), so at the middle budget the H100 and Xeon Gold problems accept nearly the same archs (97-100% of
random ones): with the same seed, a searcher mostly meets the same archs on both.

    python benchmarks/lm_searcher.py --adapter runs/ranker --seeds 10                 # everything (days on a CPU)
    python benchmarks/lm_searcher.py --methods random,rea,evolution,local --seeds 10  # the baselines (minutes)
    python benchmarks/lm_searcher.py --problems gpt-s-perplexity-latency-h100 --seeds 3 --trials 100 \\
        --methods lm-searcher,lm-searcher-tuned --adapter runs/ranker --out runs/lm_searcher
    python benchmarks/lm_searcher.py --merge benchmarks/results/lm_searcher-A.json benchmarks/results/lm_searcher-B.json
    python benchmarks/lm_searcher.py --quick      # plumbing: 1 problem, 1 seed, 12 trials, random + lm-searcher

On a machine with a CUDA GPU the embedded model runs there (``--device``, default auto: CUDA when torch sees one;
bf16 autocast, so its picks are cached apart from the CPU's and may differ where two candidates nearly tie):

    python benchmarks/lm_searcher.py --device cuda --adapter runs/ranker --seeds 10 --trials 192 \
        --methods lm-searcher,lm-searcher-tuned --out runs/lm_searcher_gpu
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine_info, package_versions, portable_path, write_result
from lm_searcher_cells import METHODS, Method, adapter_facts, method_options, run_cell
from lm_searcher_problems import describe, single_objective, table_best
from lm_searcher_summary import LLM_METHODS, goals, summarise_problem, training_overlap

from hwnas.llm.devices import spelling_problem

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PROBLEMS = [
    "gpt-s-perplexity-latency-h100",
    "gpt-s-perplexity-latency-cpu_xeon_gold",
    "gpt-m-perplexity-latency-h100",
    "gpt-m-perplexity-latency-cpu_xeon_gold",
    "hat-wmt14ende-bleu-latency-cpu",
]
QUICK = {"problems": DEFAULT_PROBLEMS[:1], "seeds": 1, "trials": 12, "methods": ["random", "lm-searcher"]}
FULL: dict[str, Any] = {"problems": DEFAULT_PROBLEMS, "seeds": 10, "trials": 192, "methods": list(METHODS)}
BUDGETS = (50, 100, 192)
VERSIONS = ("hwnas", "numpy", "torch", "transformers", "peft", "llama_cpp_python", "scikit-learn")


def _names(text: str) -> list[str]:
    return [v.strip() for v in text.split(",") if v.strip()]


def _integers(text: str) -> list[int]:
    return [int(v) for v in _names(text)]


def _option(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key.strip(), value.strip()


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add = parser.add_argument
    add("--quick", action="store_true", help="plumbing: 1 problem, 1 seed, 12 trials, random + lm-searcher")
    add("--problems", type=_names, default=None, help="bundled problem names (default: " + ",".join(DEFAULT_PROBLEMS))
    add("--seeds", type=int, default=None, help="seeds 0..N-1 (default 10; quick: 1)")
    add("--first-seed", type=int, default=0, help="start at this seed (a part of a split run: seeds K..K+N-1)")
    add("--trials", type=int, default=None, help="distinct archs per run (default 192; quick: 12)")
    add(
        "--budgets",
        type=_integers,
        default=None,
        help="regret reported after these many trials (default 50,100,192 up to --trials, and --trials; quick: 6,12)",
    )
    add("--methods", type=_names, default=None, help=f"any of {','.join(METHODS)} (default: all)")
    add("--population", type=int, default=10, help="archs per round of the baselines (lm-searcher: 1)")
    add("--history-cap", type=int, default=40, help="lm-searcher: best trials shown to the LLM (prompt length)")
    add("--pool-size", type=int, default=10, help="lm-searcher: candidates per pick")
    add("--lm-opt", type=_option, action="append", default=[], help="another lm-searcher option, KEY=VALUE")
    add(
        "--llm-backend",
        default="transformers",
        choices=["auto", "transformers", "llama_cpp"],
        help="embedded model backend for lm-searcher and -tuned (default transformers: the one an adapter needs, so "
        "the two differ by the adapter only)",
    )
    add("--llm-timeout-s", type=float, default=120.0, help="seconds per LLM attempt (llm.timeout_s)")
    add(
        "--device",
        default="auto",
        help="where the embedded model runs (llm.device): auto (cuda when torch sees one, else cpu), cpu, cuda, "
        "cuda:N; on CUDA under bf16 autocast",
    )
    add("--adapter", type=Path, default=None, help="LoRA adapter folder for lm-searcher-tuned")
    add("--endpoint", default=None, help="OpenAI-compatible base URL for lm-searcher-endpoint")
    add("--endpoint-model", default=None, help="the model name the endpoint serves")
    add("--endpoint-api-key-env", default="OPENAI_API_KEY", help="env variable holding the endpoint's API key")
    add(
        "--reference",
        choices=["runs", "table"],
        default="runs",
        help="regret against the best any run found "
        "(default), or the table's best measured feasible row where better (see lm_searcher_summary.py)",
    )
    add("--budget-fraction", type=float, default=0.5, help="each budget at this fraction from best to worst bound")
    add("--out", type=Path, default=None, help="work folder (default: runs/lm_searcher; quick: temp)")
    add("--results-dir", type=Path, default=None, help="default: benchmarks/results/ (quick: temp)")
    add("--plot", type=Path, default=None, help="only draw the regret plot of this result JSON")
    add("--merge", type=Path, nargs="+", default=None, help="only merge these result JSONs (same settings) into one")
    args = parser.parse_args(argv)
    for key, value in (QUICK if args.quick else FULL).items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    unknown = [m for m in args.methods if m not in METHODS]
    if unknown:
        parser.error(f"--methods: unknown {unknown[0]!r}; allowed: {', '.join(METHODS)}")
    if args.seeds < 1 or args.trials < 1 or args.first_seed < 0 or not 0 < args.budget_fraction < 1:
        parser.error("--seeds and --trials must be >= 1, --first-seed >= 0, --budget-fraction in (0, 1)")
    if args.budgets is None:
        args.budgets = [args.trials // 2, args.trials] if args.quick else [b for b in BUDGETS if b < args.trials]
    args.budgets = sorted({b for b in args.budgets if 1 <= b <= args.trials} | {args.trials})
    problem = spelling_problem(args.device)
    if problem is not None:
        parser.error(f"--device {args.device!r}: {problem}")
    if args.adapter is not None and args.llm_backend == "llama_cpp":
        parser.error("--adapter needs --llm-backend transformers (or auto): llama.cpp cannot apply a LoRA adapter")
    if (args.endpoint is None) != (args.endpoint_model is None):
        parser.error("--endpoint and --endpoint-model go together")
    temp = Path(tempfile.gettempdir())
    args.out = args.out or (temp / "hwnas-lm-searcher-quick" if args.quick else ROOT / "runs" / "lm_searcher")
    args.results_dir = args.results_dir or (temp / "hwnas-smoke" if args.quick else None)
    return args


def _log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def method_statuses(args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    """Each asked method: what it runs (searcher, options), or why it is skipped."""
    out = {}
    for name in args.methods:
        method: Method = METHODS[name]
        status: dict[str, Any] = {"title": method.title, "searcher": method.searcher}
        if method.llm == "adapter" and args.adapter is None:
            status |= {"status": "skipped", "reason": "no --adapter FOLDER given"}
        elif method.llm == "endpoint" and args.endpoint is None:
            status |= {"status": "skipped", "reason": "no --endpoint URL --endpoint-model NAME given"}
        else:
            options = method_options(method, args, Path(args.out))
            status |= {
                "status": "ok",
                "population": 1 if method.llm else args.population,
                "options": _portable_options(options),
            }
        out[name] = status
    return out


def _portable_options(options: dict[str, Any]) -> dict[str, Any]:
    llm = {k: (portable_path(v) if k in ("cache_dir", "adapter") else v) for k, v in options.get("llm", {}).items()}
    return {**options, "llm": llm} if "llm" in options else options


def run_all(args: argparse.Namespace, statuses: dict[str, dict[str, Any]], train: list[str] | None) -> dict[str, Any]:
    """Every (problem, method, seed) cell: the cheap baselines first, then the LLM methods seed by seed."""
    runnable = [m for m in args.methods if statuses[m]["status"] == "ok"]
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    problems: dict[str, Any] = {}
    for name in args.problems:
        definition = single_objective(name, args.budget_fraction)
        _log(f"{name}: {describe(definition)}")
        problems[name] = {
            "problem": definition,
            "table_best": table_best(definition),
            "training": training_overlap(definition, train),
            "methods": {m: {"runs": []} for m in runnable},
        }
    cells = [
        (m in LLM_METHODS, s, i, j) for i, p in enumerate(args.problems) for j, m in enumerate(runnable) for s in seeds
    ]  # the order given, baselines first, then LLM methods seed by seed
    for _, seed, i, j in sorted(cells):
        name, method = args.problems[i], runnable[j]
        run = run_cell(args, problems[name]["problem"], name, METHODS[method], seed)
        problems[name]["methods"][method]["runs"].append(run)
    return {n: summarise_problem(p, args.budgets, args.trials, args.reference) for n, p in problems.items()}


def _notes(args: argparse.Namespace) -> list[str]:
    return [
        "Regret: best feasible objective value in a run's first b trials (distinct archs, first-evaluation order) "
        "against the problem's reference, in the objective's units: "
        + (
            "the best value any method found in any seed (the table's best measured feasible row is shown beside it)"
            if args.reference == "runs"
            else "the table's best measured feasible row, or the best value any method found in any seed where better"
        )
        + "; a crashed run, or one with nothing feasible by b, is left out of that budget's mean and counted.",
        "Budgets are read off one run of --trials trials per (problem, method, seed).",
        "lm-searcher variants ask one arch per round (the LLM sees every result before its next pick); the baselines "
        f"ask {args.population} per round; every searcher gets only archs meeting the budget constraints (the run "
        "loop's cheap-constraint screen), so every trial is feasible unless its evaluation fails.",
        "A problem counts as seen in training when one of the adapter's train_sources names its space.",
        "Wall-clock per run: building the searcher to the last evaluation, one torch thread, runs one at a time; a "
        "resumed run is not timed. slowest trial: the longest single round of any run (LLM waits are bounded by "
        "llm.timeout_s and the runner's retries).",
        *(
            [f"The embedded model ran on {args.llm_device} under bf16 autocast (the baselines on the CPU)."]
            if args.llm_device != "cpu"
            else []
        ),
    ]


def main(argv: Sequence[str] | None = None) -> Path:
    args = parse_args(argv)
    if args.plot is not None:
        from rendering.common import load
        from rendering.lm_searcher import plot

        print(plot(load(args.plot), args.plot.with_name(args.plot.stem + "-regret.png")))
        return args.plot
    if args.merge is not None:
        from lm_searcher_merge import merge

        return merge(args.merge, args.results_dir)
    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(1)
    args.llm_device = _placed(args.device)
    started, load_before = time.perf_counter(), os.getloadavg()
    adapter = adapter_facts(args.adapter)
    statuses = method_statuses(args)
    for name, status in statuses.items():
        if status["status"] != "ok":
            _log(f"{name}: skipped: {status['reason']}")
    with threadpool_limits(1):
        problems = run_all(args, statuses, adapter["train_sources"] if adapter else None)
    result = {
        "benchmark": "lm_searcher",
        "quick": bool(args.quick),
        "command": shlex.join(["python", *sys.argv]) if argv is None else shlex.join(["lm_searcher.py", *argv]),
        "machine": {**machine_info(), "loadavg_before": load_before, "loadavg_after": os.getloadavg()},
        "versions": package_versions(VERSIONS),
        "settings": settings_of(args, problems, adapter),
        "methods": statuses,
        "goals": goals(problems, args.budgets),
        "notes": _notes(args),
        "problems": problems,
        "wall_s": time.perf_counter() - started,
    }
    path = write_result("lm_searcher", result, args.results_dir)
    from rendering.lm_searcher import plot

    plot(result, path.with_name(path.stem + "-regret.png"))
    _log(f"wrote {path} in {result['wall_s']:.0f} s")
    return path


def _placed(device: str) -> str:
    """``--device`` resolved (``auto`` made concrete), or the benchmark stops with the one-line reason."""
    from hwnas.core.errors import ConfigError
    from hwnas.llm.devices import resolve_device

    try:
        return resolve_device(device, name="--device")
    except ConfigError as exc:
        raise SystemExit(str(exc)) from None


def settings_of(args: argparse.Namespace, problems: dict[str, Any], adapter: dict[str, Any] | None) -> dict[str, Any]:
    endpoint = {"url": args.endpoint, "model": args.endpoint_model} if args.endpoint else None
    return {
        "problems": list(problems),
        "seeds": list(range(args.first_seed, args.first_seed + args.seeds)),
        "trials": args.trials,
        "budgets": args.budgets,
        "methods": args.methods,
        "population": args.population,
        "history_cap": args.history_cap,
        "pool_size": args.pool_size,
        "lm_options": dict(args.lm_opt),
        "llm_backend": args.llm_backend,
        "llm_threads": 1,
        "llm_device": args.llm_device,
        "llm_timeout_s": args.llm_timeout_s,
        "budget_fraction": args.budget_fraction,
        "reference": args.reference,
        "adapter": adapter,
        "endpoint": endpoint,
        "out": portable_path(args.out),
    }


if __name__ == "__main__":
    main()
