"""From ``benchmarks/lm_searcher.py``'s runs to what issue 17's benchmark asks (pure: no search, no LLM): per
problem the regret reference, per (problem, method) the simple regret's mean and standard error over seeds at each
budget and its curve over trials, and the goals, computed and recorded as met / not met (never asserted).

Simple regret of a run at budget ``b``: the gap between the best feasible value it found in its first ``b`` trials
(distinct archs, first-evaluation order) and the problem's reference, in the objective's own units, so 0 is best and
larger is worse whichever way the objective points. The reference (``--reference``) is the best value found by any
method in any seed of the result (``runs``, the default), or the benchmark table's best measured feasible row when
that is better (``table``). The table's best is always recorded, but it makes a poor default: on HW-GPT-Bench's CPU
latencies it is a measured outlier (a large model whose one measured latency falls under a budget its neighbours
exceed; gpt-s on the Xeon Gold: 24.15 against ~30.5 found by every method), an arch no search of a 1.9e12-arch space
meets, so every regret would carry the same large constant. The reference shifts every method's regret alike, so
the comparisons and goals do not depend on it.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from typing import Any

from hwnas.studies.scoring import summarise

UNTUNED, TUNED, ENDPOINT = "lm-searcher", "lm-searcher-tuned", "lm-searcher-endpoint"
LLM_METHODS = (UNTUNED, TUNED, ENDPOINT)
RANDOM, REA = "random", "rea"
ISSUE_BUDGET = 192  # the issue compares with regularised evolution at 192 trials


def best_so_far(values: Sequence[float | None], direction: str) -> list[float | None]:
    """After each trial, the best feasible value so far (None until the first feasible one)."""
    out: list[float | None] = []
    best: float | None = None
    for value in values:
        if value is not None and (best is None or (value < best if direction == "min" else value > best)):
            best = value
        out.append(best)
    return out


def regret(value: float | None, reference: float, direction: str) -> float | None:
    """How far ``value`` is from ``reference`` (>= 0 when the reference is the best known)."""
    if value is None:
        return None
    return value - reference if direction == "min" else reference - value


def reference(problem: Mapping[str, Any], kind: str = "runs") -> dict[str, Any]:
    """The best final value over every finished run of every method; with ``kind`` table, the table's best measured
    feasible row instead when it is better."""
    direction = problem["problem"]["direction"]
    finals = [(r["best"], m) for m, e in problem["methods"].items() for r in e["runs"] if r.get("best") is not None]
    better = (lambda a, b: a < b) if direction == "min" else (lambda a, b: a > b)
    runs_best: tuple[float, str] | None = None
    for value, method in finals:
        if runs_best is None or better(value, runs_best[0]):
            runs_best = (value, method)
    table = problem.get("table_best") or {}
    table_value = table.get("value")
    out: dict[str, Any] = {
        "runs_best": runs_best[0] if runs_best else None,
        "runs_best_method": runs_best[1] if runs_best else None,
        "table_best": table_value,
    }
    if kind == "table" and table_value is not None and (runs_best is None or better(table_value, runs_best[0])):
        return {**out, "value": table_value, "from": "table"}
    return {**out, "value": runs_best[0] if runs_best else None, "from": "runs" if runs_best else None}


def _regrets(run: Mapping[str, Any], ref: float, direction: str) -> list[float | None]:
    return [regret(v, ref, direction) for v in best_so_far(run.get("values") or [], direction)]


def method_entry(
    runs: Sequence[Mapping[str, Any]], budgets: Sequence[int], trials: int, ref: float | None, direction: str
) -> dict[str, Any]:
    """One method on one problem: regret mean ± s.e. per budget (a run that made fewer trials, crashed, or found
    nothing feasible by then is left out and counted), the mean curve, crashes, wall-clock and the LLM's paths."""
    finished = [r for r in runs if r["status"] == "ok"]
    curves = [_regrets(r, ref, direction) for r in finished] if ref is not None else []
    table = {}
    for b in budgets:
        values = [c[b - 1] for c in curves if len(c) >= b and c[b - 1] is not None]
        table[str(b)] = {**summarise(values), "left_out": len(runs) - len(values)}
    mean, se = [], []
    for n in range(1, trials + 1):
        stats = summarise([c[n - 1] for c in curves if len(c) >= n and c[n - 1] is not None])
        mean.append(stats["mean"])
        se.append(stats["se"])
    walls = [float(r["wall_s"]) for r in finished if r.get("wall_s") is not None]
    slowest = [r["iteration_s"]["max"] for r in finished if (r.get("iteration_s") or {}).get("max") is not None]
    return {
        "seeds": sorted(r["seed"] for r in runs),
        "table": table,
        "curve": {"trials": list(range(1, trials + 1)), "mean": mean, "se": se},
        "crashes": sum(r["status"] == "crash" for r in runs),
        "failed_evaluations": sum(int(r.get("failed", 0)) for r in finished),
        "wall_s": {
            "median": statistics.median(walls) if walls else None,
            "max": max(walls) if walls else None,
            "timed_runs": len(walls),
        },
        "slowest_trial_s": max(slowest) if slowest else None,
        "paths": total_paths(finished),
        "runs": list(runs),
    }


def total_paths(runs: Sequence[Mapping[str, Any]]) -> dict[str, int] | None:
    """The lm-searcher's path counters summed over runs (None for a searcher that reports none)."""
    reports = [(r.get("searcher") or {}).get("paths") for r in runs]
    reports = [p for p in reports if isinstance(p, Mapping)]
    if not reports:
        return None
    keys = list(dict.fromkeys(k for p in reports for k in p))
    return {k: sum(int(p.get(k, 0)) for p in reports) for k in keys}


def summarise_problem(
    problem: Mapping[str, Any], budgets: Sequence[int], trials: int, kind: str = "runs"
) -> dict[str, Any]:
    """A problem entry with its reference and every method's table recomputed from the runs it holds."""
    ref = reference(problem, kind)
    direction = problem["problem"]["direction"]
    methods = {
        m: method_entry(e["runs"], budgets, trials, ref["value"], direction) for m, e in problem["methods"].items()
    }
    return {**problem, "reference": ref, "methods": methods}


# goals ------------------------------------------------------------------------------------------------------------
def _mean(problem: Mapping[str, Any], method: str, budget: int) -> float | None:
    entry = problem["methods"].get(method)
    return None if entry is None else entry["table"][str(budget)]["mean"]


def below_random(problems: Mapping[str, Any], method: str, budgets: Sequence[int]) -> dict[str, Any]:
    """``method``'s mean regret below random search's at every budget on every problem."""
    goal = f"{method}'s mean regret below random search's at every budget on every problem"
    cells, missed = 0, []
    for name, problem in problems.items():
        for b in budgets:
            ours, theirs = _mean(problem, method, b), _mean(problem, RANDOM, b)
            if ours is None or theirs is None:
                continue
            cells += 1
            if not ours < theirs:
                missed.append(f"{name}@{b}")
    return {"goal": goal, "method": method, "cells": cells, "not_below": missed, "met": (not missed) if cells else None}


def unseen_problems(problems: Mapping[str, Any]) -> tuple[list[str], str]:
    """The problems the tuned ranker was not trained on, and on what basis."""
    known = [n for n, p in problems.items() if (p.get("training") or {}).get("unseen") is not None]
    if not known:
        return list(problems), "every problem (the adapter records no train_sources)"
    return [n for n in known if problems[n]["training"]["unseen"]], "problems unseen in training"


def versus_rea(problems: Mapping[str, Any], method: str, budget: int) -> dict[str, Any]:
    """``method``'s mean regret no worse than regularised evolution's at ``budget`` on the unseen problems."""
    names, basis = unseen_problems(problems)
    goal = f"{method}'s mean regret no worse than regularised evolution's at {ISSUE_BUDGET} trials on {basis}"
    cells, worse = 0, []
    for name in names:
        ours, theirs = _mean(problems[name], method, budget), _mean(problems[name], REA, budget)
        if ours is None or theirs is None:
            continue
        cells += 1
        if ours > theirs:
            worse.append(name)
    note = "" if budget == ISSUE_BUDGET else f"assessed at {budget} trials, the longest run here"
    return {
        "goal": goal,
        "method": method,
        "budget": budget,
        "problems": names,
        "cells": cells,
        "worse": worse,
        "met": (not worse) if cells else None,
        "note": note,
    }


def crash_goal(problems: Mapping[str, Any]) -> dict[str, Any]:
    """Zero crashes over all runs; the slowest single trial of any run (a bounded wait shows as a finite one)."""
    runs = [r for p in problems.values() for e in p["methods"].values() for r in e["runs"]]
    crashes = [
        f"{r['problem']}/{r['method']}/seed-{r['seed']}: {r.get('error')}" for r in runs if r["status"] == "crash"
    ]
    slowest = [
        e["slowest_trial_s"]
        for p in problems.values()
        for e in p["methods"].values()
        if e.get("slowest_trial_s") is not None
    ]
    return {
        "goal": "zero crashes and every run finished, over all runs",
        "runs": len(runs),
        "crashes": len(crashes),
        "crashed": crashes,
        "slowest_trial_s": max(slowest) if slowest else None,
        "met": not crashes if runs else None,
    }


def goals(problems: Mapping[str, Any], budgets: Sequence[int]) -> dict[str, Any]:
    """The issue's goals for the tuned ranker, the same comparisons for the other LLM variants (for reference),
    and the crash count."""
    last = max(budgets)
    present = [m for m in LLM_METHODS if any(m in p["methods"] for p in problems.values())]
    return {
        "below_random": below_random(problems, TUNED, budgets),
        "versus_rea": versus_rea(problems, TUNED, last),
        "crashes": crash_goal(problems),
        "for_comparison": {
            m: {"below_random": below_random(problems, m, budgets), "versus_rea": versus_rea(problems, m, last)}
            for m in present
            if m != TUNED
        },
    }


def training_overlap(problem: Mapping[str, Any], train_sources: Sequence[str] | None) -> dict[str, Any]:
    """Which of the adapter's training sources (``hwnas-adapter.json``'s ``train_sources``, e.g.
    ``bench:gpt-s:latency_h100``) name this problem's space or one of its devices. A problem counts as seen when a
    source names its space (conservative: any ranking data of the same space); None when the sources are unknown."""
    if train_sources is None:
        return {"train_sources": None, "space_sources": [], "device_sources": [], "unseen": None}
    space, devices = problem["space"], problem.get("devices") or []

    def parts(source: str) -> list[str]:
        return [p.strip() for p in str(source).replace("/", ":").split(":")]

    same_space = [s for s in train_sources if space in parts(s)]
    same_device = [s for s in train_sources if any(d in part for d in devices for part in parts(s))]
    return {
        "train_sources": list(train_sources),
        "space_sources": same_space,
        "device_sources": same_device,
        "unseen": not same_space,
    }
