"""hwnas's multi-objective searchers and syne-tune's side by side (issue 15): the same problems, the same budgets, the
same seeds, the same benchmark answers and the same hypervolume code.

For every problem (default: every bundled one, ``hwnas bench problems``):

- hwnas: each algorithm is a ``hwnas bench run`` suite (:func:`hwnas.studies.suite.run_suite`) in
  ``<out>/<problem>/hwnas/<algorithm>/``, seeds 0..N-1, ``max(--budgets)`` evaluations (distinct archs), population
  20. One suite per algorithm, so adding an algorithm later resumes the others. Wall-clock per run is the suite's
  ``wall_s`` of a run made from scratch (kept in ``walls.json``; a replayed run is not timed again).
- syne-tune: each method's searcher is driven as ask/tell (``benchmarks/mo_search_peer.py``) over one ``choice`` per
  decision of the space, seeded with the seed; every suggestion is answered by the problem's evaluators built as
  the suite builds them (checked: the first archs of an hwnas run, put through the peer's path, get the same
  answers); a repeated arch is answered from memory and does not count; each (method, seed) is a JSONL file in
  ``<out>/<problem>/syne-tune/<method>/seed-<k>.jsonl``, reused once finished.
- both: the hypervolume after every evaluation (``hwnas.studies.scoring.hypervolume_trace``), its mean and standard
  error over seeds at each budget, short runs, wall-clock per run; then the goals (``mo_search_summary.py``).

The result is ``<results-dir>/mo_search-<UTC stamp>.json`` and, beside it, ``...-hv.png`` (HV against evaluations
for a few problems, drawn from the JSON; ``--plot RESULT.json`` draws it again). Everything is resumable: run the
same command again after a kill, or again with more methods: finished runs are reused.

Cost on a 2-core AMD EPYC, one thread (gpt-s perplexity / H100 latency, seed 0, 500 evaluations, 2026-12-03): a
non-BO hwnas run 1.4-1.9 s, syne-tune random 2.6 s and MO-REA 4.1 s (one arch evaluated at a time), about 30 s per
(problem, seed) for all of those with scoring; syne-tune's EHVI 1.8 s (as shipped) to 3.2 s (``ehvi-ref``) per
suggestion at first, 5 s once its GPs hold 200 observations (gpt-l: about 4 s from the start), and it repeats known
archs until the repeat streak stops it (3 and 11 distinct archs, 94 s and 312 s), so ``--bo-seeds`` bounds its cost.

    python benchmarks/mo_search.py --bo-seeds 3                      # everything, BO methods on 3 seeds
    python benchmarks/mo_search.py --problems gpt-s-perplexity-latency-h100 --seeds 3 --syne-tune-methods morea
    python benchmarks/mo_search.py --quick                           # plumbing: 1 problem, 2 seeds, budgets 20,40
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import check_same_settings, machine_info, package_versions, portable_path, write_result
from mo_search_peer import (
    DEFAULT_METHODS,
    METHODS,
    PeerSettings,
    ProblemEvaluator,
    answer_check,
    library_facts,
    method_status,
    run_peer,
)
from mo_search_summary import (
    BO_ALGORITHMS,
    HWNAS,
    PEER,
    compare,
    hv_goal,
    method_entry,
    method_name,
    time_goal,
)

from hwnas.contracts.searcher import SEARCHERS
from hwnas.core.files import write_json_atomic
from hwnas.studies.problem import Problem, bundled_problems, load_problem
from hwnas.studies.scoring import hypervolume_trace, read_evaluations
from hwnas.studies.suite import SuiteSettings, run_suite

ROOT = Path(__file__).resolve().parents[1]
HWNAS_CORE = ("random", "nsga2", "morea", "local", "evolution")
HWNAS_NEW = ("pareto-local", "ehvi", "evolution-rs")  # issue 15's searchers, run once registered
QUICK = {
    "problems": ["gpt-s-perplexity-latency-h100"],
    "seeds": 2,
    "budgets": [20, 40],
    "hwnas_algorithms": ["random", "nsga2", "morea"],
    "syne_tune_methods": ["random", "morea", "nsga2", "rs-bo"],
}
FULL: dict[str, Any] = {"seeds": 10, "budgets": [100, 250, 500]}  # problems and methods: see parse_args
VERSIONS = ("numpy", "scipy", "torch", "pymoo", "scikit-learn", "syne-tune", "botorch", "gpytorch", "threadpoolctl")
WALLS_FILE = "walls.json"


def default_hwnas_algorithms() -> list[str]:
    known = SEARCHERS.names()
    return [a for a in (*HWNAS_CORE, *HWNAS_NEW) if a in known]


def _names(text: str) -> list[str]:
    return [v.strip() for v in text.split(",") if v.strip()]


def _integers(text: str) -> list[int]:
    return [int(v) for v in _names(text)]


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--quick", action="store_true", help="plumbing: 1 problem, 2 seeds, budgets 20,40, cheap methods"
    )
    parser.add_argument("--problems", type=_names, default=None, help="names or YAML paths (default: all bundled)")
    parser.add_argument("--seeds", type=int, default=None, help="seeds 0..N-1 (default 10; quick: 2)")
    parser.add_argument("--bo-seeds", type=int, default=None, help="BO methods run the first N seeds only")
    parser.add_argument("--budgets", type=_integers, default=None, help="HV reported after these (default "
                        "100,250,500; quick: 20,40); each run makes max(budgets) evaluations")  # fmt: skip
    parser.add_argument("--population", type=int, default=20, help="archs per round (hwnas) / MO-REA's population")
    parser.add_argument("--hwnas-algorithms", type=_names, default=None, help="default: " + ",".join(HWNAS_CORE)
                        + " and any of " + ",".join(HWNAS_NEW) + " registered")  # fmt: skip
    parser.add_argument("--syne-tune-methods", type=_names, default=None,
                        help=f"any of {','.join(METHODS)} (default: all)")  # fmt: skip
    parser.add_argument("--max-repeat-streak", type=int, default=50, help="a peer run asking only known archs this "
                        "many times in a row stops (short)")  # fmt: skip
    parser.add_argument("--suggestions-per-evaluation", type=int, default=10, help="a peer run stops (short) after "
                        "this many suggestions per evaluation of its budget")  # fmt: skip
    parser.add_argument("--out", type=Path, default=None, help="work folder (default: runs/mo_search; quick: temp)")
    parser.add_argument("--results-dir", type=Path, default=None, help="default: benchmarks/results/ (quick: temp)")
    parser.add_argument("--plot", type=Path, default=None, help="only draw the HV plot of this result JSON")
    parser.add_argument(
        "--merge",
        type=Path,
        nargs="+",
        default=None,
        help="only merge these result JSONs (same "
        "settings, other problems; a problem in several is taken from the last) into one result",
    )
    parser.add_argument("--kind", choices=["main", "bo"], default="main", help="main: the side-by-side table "
                        "(mo_search-*.json); bo: a run with the BO methods at a smaller budget, rendered in its own "
                        "block (mo_search_bo-*.json)")  # fmt: skip
    args = parser.parse_args(argv)
    for key, value in (QUICK if args.quick else FULL).items():
        if getattr(args, key) is None:  # what is given explicitly is kept, in a quick run too
            setattr(args, key, value)
    args.problems = args.problems or bundled_problems()
    args.hwnas_algorithms = default_hwnas_algorithms() if args.hwnas_algorithms is None else args.hwnas_algorithms
    args.syne_tune_methods = list(DEFAULT_METHODS) if args.syne_tune_methods is None else args.syne_tune_methods
    unknown = [a for a in args.hwnas_algorithms if a not in SEARCHERS.names()]
    if unknown:
        parser.error(f"--hwnas-algorithms: {unknown[0]!r} is not a searcher; allowed: {', '.join(SEARCHERS.names())}")
    unknown = [m for m in args.syne_tune_methods if m not in METHODS]
    if unknown:
        parser.error(f"--syne-tune-methods: unknown {unknown[0]!r}; allowed: {', '.join(METHODS)}")
    if args.seeds < 1 or not args.budgets or min(args.budgets) < 1:
        parser.error("--seeds and --budgets must be >= 1")
    args.budgets = sorted(set(args.budgets))
    args.bo_seeds = args.seeds if args.bo_seeds is None else min(args.bo_seeds, args.seeds)
    temp = Path(tempfile.gettempdir())
    args.out = args.out or (temp / "hwnas-mo-search-quick" if args.quick else ROOT / "runs" / "mo_search")
    args.results_dir = args.results_dir or (temp / "hwnas-smoke" if args.quick else None)
    return args


def seeds_for(args: argparse.Namespace, bo: bool) -> list[int]:
    return list(range(args.bo_seeds if bo else args.seeds))


def _problem_folder(args: argparse.Namespace, problem: Problem) -> Path:
    return Path(args.out) / problem.name


def _log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


# hwnas -----------------------------------------------------------------------------------------------------------
def run_hwnas(args: argparse.Namespace, problem: Problem, algorithm: str) -> list[dict[str, Any]]:
    """One algorithm's suite on ``problem`` (run, resumed or replayed); its runs with their wall-clock."""
    folder = _problem_folder(args, problem) / HWNAS / algorithm
    seeds = seeds_for(args, algorithm in BO_ALGORITHMS)
    settings = SuiteSettings(
        problem=problem.name,
        algorithms=(algorithm,),
        seeds=tuple(seeds),
        evaluations=max(args.budgets),
        population=args.population,
        budgets=tuple(args.budgets),
    )
    walls_path = folder / WALLS_FILE
    walls: dict[str, Any] = json.loads(walls_path.read_text(encoding="utf-8")) if walls_path.is_file() else {}

    def progress(event: dict[str, Any]) -> None:
        seed, new = str(event["seed"]), event["new_evaluations"]
        if new and new == event["evaluations"]:  # made from scratch by this process: its wall-clock is the run's
            walls[seed] = {
                "wall_s": event["wall_s"],
                "evaluations": event["evaluations"],
                "load_1min": os.getloadavg()[0],
            }
            write_json_atomic(walls_path, walls)
        elif new:
            walls.pop(seed, None)  # resumed part way: not timed
            write_json_atomic(walls_path, walls)
        timed = walls.get(seed, {}).get("wall_s")
        _log(f"  hwnas {algorithm} seed {seed}: {event['evaluations']} evaluations ({new} new), HV "
             f"{event['hypervolume']:.4f}, " + (f"{timed:.2f} s" if timed is not None else "not timed"))  # fmt: skip

    summary = run_suite(problem, settings, folder, progress=progress)
    runs = []
    for run in summary["runs"]:
        timed = walls.get(str(run["seed"]), {})
        runs.append(
            {
                "seed": run["seed"],
                "evaluations": run["evaluations"],
                "hypervolume": run["hypervolume"],
                "wall_s": timed.get("wall_s"),
                "load_1min": timed.get("load_1min"),
                "run_dir": str(Path(HWNAS) / algorithm / run["run_dir"]),
            }
        )
    return runs


# syne-tune -------------------------------------------------------------------------------------------------------
def run_syne_tune(args: argparse.Namespace, problem: Problem, name: str) -> list[dict[str, Any]]:
    method = METHODS[name]
    evaluations = max(args.budgets)
    settings = PeerSettings(
        evaluations=evaluations,
        population=args.population,
        max_suggestions=evaluations * args.suggestions_per_evaluation,
        max_repeat_streak=args.max_repeat_streak,
    )
    runs = []
    for seed in seeds_for(args, method.bo):
        path = _problem_folder(args, problem) / PEER / name / f"seed-{seed}.jsonl"
        run = run_peer(problem, method, seed, settings, path)
        trace = hypervolume_trace(problem, run.evaluations)
        runs.append(
            {
                "seed": seed,
                "evaluations": len(run.evaluations),
                "hypervolume": [float(v) for v in trace],
                "wall_s": run.wall_s,
                "suggestions": run.suggestions,
                "repeats": run.repeats,
                "config_repeats": run.config_repeats,
                "stop": run.stop,
                "random_fallbacks": run.fallbacks,
                "load_1min": run.load_1min,
                "suggest_s": _spread(run.suggest_s),
                "run_file": str(path.relative_to(_problem_folder(args, problem))),
            }
        )
        _log(f"  syne-tune {name} seed {seed}: {len(run.evaluations)} evaluations ({run.suggestions} suggestions, "
             f"{run.repeats} repeats, stop: {run.stop}), HV {trace[-1] if len(trace) else 0:.4f}, {run.wall_s:.2f} s"
             + ("" if run.new else " (stored)"))  # fmt: skip
    return runs


def _spread(seconds: Sequence[float]) -> dict[str, float | None]:
    """Median, 90th percentile, maximum and total of a run's seconds per suggestion."""
    import numpy as np

    if not seconds:
        return {"median": None, "p90": None, "max": None, "total": 0.0}
    values = np.asarray(seconds)
    return {"median": float(np.median(values)), "p90": float(np.quantile(values, 0.9)), "max": float(values.max()),
            "total": float(values.sum())}  # fmt: skip


def peer_statuses(names: Sequence[str], population: int) -> dict[str, dict[str, Any]]:
    """Every asked syne-tune method: its searcher and keyword arguments, or why it cannot run (the import errors)."""
    out = {}
    for name in names:
        method = METHODS[name]
        status = {k: v for k, v in method_status(method).items() if k != "class"}
        out[name] = {"title": method.title, "bo": method.bo, "shift_reference": method.shift_reference,
                     "kwargs": method.kwargs(population), "note": method.note, **status}  # fmt: skip
    return out


# one problem ------------------------------------------------------------------------------------------------------
def warm_up(problem: Problem) -> float:
    """Fit (or load) the problem's surrogates once, outside every timed run; seconds taken."""
    import numpy as np

    started = time.perf_counter()
    evaluator = ProblemEvaluator(problem)
    evaluator.evaluate(evaluator.space.sample(np.random.default_rng(0)))
    return time.perf_counter() - started


def run_problem(args: argparse.Namespace, name: str, runnable: Sequence[str]) -> dict[str, Any]:
    problem = load_problem(name)
    _log(f"{problem.name}: warm-up {warm_up(problem):.1f} s")
    evaluations = max(args.budgets)
    methods: dict[str, Any] = {}
    first_hwnas_run: Path | None = None
    for algorithm in args.hwnas_algorithms:
        runs = run_hwnas(args, problem, algorithm)
        first_hwnas_run = first_hwnas_run or _problem_folder(args, problem) / runs[0]["run_dir"]
        methods[method_name(HWNAS, algorithm)] = method_entry(runs, args.budgets, evaluations)
    for method in runnable:
        methods[method_name(PEER, method)] = method_entry(
            run_syne_tune(args, problem, method), args.budgets, evaluations
        )
    check = answer_check(problem, read_evaluations(first_hwnas_run)) if first_hwnas_run else None
    if check is not None and not check["identical"]:
        raise SystemExit(f"{problem.name}: the peer's evaluator answers differently from the suite's: {check}")
    return {
        "problem": problem.model_dump(mode="json"),
        "answer_check": check,
        "methods": methods,
        "comparison": compare(methods, args.budgets),
    }


def _notes(args: argparse.Namespace) -> list[str]:
    return [
        "HV: hwnas.studies.scoring.hypervolume_trace on the problem's normalised objectives and reference point, "
        "after every distinct arch evaluated (first-evaluation order); a run with fewer evaluations than a budget is "
        "left out of that budget's mean and counted as short.",
        "Budgets count distinct archs on both sides: a hwnas run stops at max(budgets) distinct evaluations; a "
        "syne-tune suggestion of an arch already evaluated is answered from memory and told to the searcher again "
        f"without counting; a peer run that asks {args.max_repeat_streak} known archs in a row, or makes "
        f"{args.suggestions_per_evaluation} suggestions per evaluation of its budget, stops short.",
        "Answers: the problem's evaluators (the bench evaluator, mode mean: deterministic) built through the evaluator "
        "registry on both sides; answer_check puts an hwnas run's first archs through the peer's config mapping and "
        "evaluator and requires identical answers.",
        "syne-tune searchers are told the normalised objectives (minimised); seeded with the seed, and numpy's and "
        "torch's global generators are seeded too (syne-tune 0.16 draws random configs from numpy's global one).",
        "Wall-clock per run: from building the run's evaluator to its last evaluation (hwnas: the suite's wall_s of "
        "a run made from scratch, replays and resumed runs are not timed); runs one at a time, one torch thread, "
        "the 1-min load when each run started (a hwnas run: when it ended) is kept with it. A hwnas run evaluates "
        "each round's archs in one batch; the peer's sequential ask/tell loop evaluates one arch at a time, so its "
        "wall-clock holds more evaluator overhead; suggest_s is the syne-tune searcher's own time per suggestion.",
        f"BO methods (hwnas {', '.join(BO_ALGORITHMS)}, syne-tune ehvi / ehvi-ref) run seeds 0..{args.bo_seeds - 1}.",
    ]


def main(argv: Sequence[str] | None = None) -> Path:
    args = parse_args(argv)
    if args.plot is not None:
        from rendering.mo_search import plot

        data = json.loads(args.plot.read_text(encoding="utf-8"))
        print(plot(data, args.plot.with_name(args.plot.stem + "-hv.png")))
        return args.plot
    if args.merge is not None:
        return merge(args.merge, args.results_dir)
    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(1)
    started, load_before = time.perf_counter(), os.getloadavg()
    facts = library_facts()
    statuses = peer_statuses(args.syne_tune_methods, args.population)
    runnable = [m for m in args.syne_tune_methods if statuses[m]["status"] == "ok"]
    for name, status in statuses.items():
        if status["status"] != "ok":
            _log(f"syne-tune {name}: {status['status']}: {'; '.join(status.get('errors', [status.get('reason', '')]))}")
    problems: dict[str, Any] = {}
    with threadpool_limits(1):
        for name in args.problems:
            problems[load_problem(name).name] = run_problem(args, name, runnable)
    evaluations = max(args.budgets)
    result = {
        "benchmark": "mo_search",
        "quick": bool(args.quick),
        "kind": args.kind,
        "command": shlex.join(["python", *sys.argv]) if argv is None else shlex.join(["mo_search.py", *argv]),
        "machine": {**machine_info(), "loadavg_before": load_before, "loadavg_after": os.getloadavg()},
        "versions": package_versions(VERSIONS),
        "settings": {
            "problems": list(problems),
            "seeds": list(range(args.seeds)),
            "bo_seeds": list(range(args.bo_seeds)),
            "budgets": args.budgets,
            "evaluations": evaluations,
            "population": args.population,
            "hwnas_algorithms": args.hwnas_algorithms,
            "syne_tune_methods": args.syne_tune_methods,
            "max_repeat_streak": args.max_repeat_streak,
            "suggestions_per_evaluation": args.suggestions_per_evaluation,
            "out": portable_path(args.out),
        },
        "syne_tune": {**facts, "methods": statuses},
        "goals": {"hypervolume": hv_goal(problems), "time": time_goal(problems, evaluations)},
        "notes": _notes(args),
        "problems": problems,
        "wall_s": time.perf_counter() - started,
    }
    path = write_result("mo_search" if args.kind == "main" else "mo_search_bo", result, args.results_dir)
    from rendering.mo_search import plot

    plot(result, path.with_name(path.stem + "-hv.png"))
    _log(f"wrote {path} in {result['wall_s']:.0f} s")
    return path


MERGED_SAME = ("benchmark", "quick", "versions", "syne_tune", "notes")
MERGED_SETTINGS_SAME = ("seeds", "bo_seeds", "budgets", "evaluations", "population", "hwnas_algorithms",
                        "syne_tune_methods", "max_repeat_streak", "suggestions_per_evaluation")  # fmt: skip


def merge(paths: Sequence[Path], results_dir: Path | None) -> Path:
    """One result holding the problems of several runs made with the same settings (e.g. a long benchmark run in
    parts); each part's command, machine and commit are kept under ``merged_from``, the goals are recomputed. A
    problem in several parts is taken from the last one given (listed under ``replaced``)."""
    parts = [json.loads(p.read_text(encoding="utf-8")) for p in paths]
    first = parts[0]
    problems: dict[str, Any] = {}
    replaced: list[dict[str, str]] = []
    check_same_settings(paths, parts, MERGED_SAME, MERGED_SETTINGS_SAME)
    for path, part in zip(paths, parts, strict=True):
        if part.get("kind", "main") != first.get("kind", "main"):
            raise SystemExit(f"{path}: kind differs from {paths[0]}'s")
        for name in part["problems"]:
            if name in problems:
                replaced.append({"problem": name, "by": path.name})
        problems.update(part["problems"])  # a later part's problem replaces an earlier one (e.g. re-timed)
    evaluations = first["settings"]["evaluations"]
    result = {
        **{key: first[key] for key in MERGED_SAME},
        "kind": first.get("kind", "main"),
        "command": shlex.join(["python", "benchmarks/mo_search.py", "--merge", *(p.name for p in paths)]),
        "machine": first["machine"],
        "merged_from": [
            {
                "file": p.name,
                "command": part["command"],
                "machine": part["machine"],
                "wall_s": part["wall_s"],
                "problems": list(part["problems"]),
            }
            for p, part in zip(paths, parts, strict=True)
        ],
        "replaced": replaced,
        "settings": {**first["settings"], "problems": list(problems)},
        "goals": {"hypervolume": hv_goal(problems), "time": time_goal(problems, evaluations)},
        "problems": problems,
        "wall_s": sum(part["wall_s"] for part in parts),
    }
    kind = "mo_search" if result["kind"] == "main" else "mo_search_bo"
    path = write_result(kind, result, results_dir)
    from rendering.mo_search import plot

    plot(result, path.with_name(path.stem + "-hv.png"))
    _log(f"merged {len(paths)} results ({len(problems)} problems) into {path}")
    return path


if __name__ == "__main__":
    main()
