"""From ``benchmarks/mo_search.py``'s runs to what issue 15's goals ask (pure: no search, no syne-tune): per problem
and method, the hypervolume's mean and standard error over seeds at each budget (``hwnas.studies.scoring``'s
``summarise``, the numbers ``hwnas bench run`` reports), short runs, wall-clock per run and the mean HV curve; per
problem and budget, each side's best method and whether hwnas's is higher (and whether the difference is within one
combined standard error); and the time goal (every non-BO hwnas method's 500-evaluation runs under 10 s)."""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from typing import Any

from hwnas.studies.scoring import summarise

HWNAS, PEER = "hwnas", "syne-tune"
GOAL_SECONDS = 10.0
GOAL_EVALUATIONS = 500
BO_ALGORITHMS = ("ehvi",)  # hwnas searchers that are Bayesian optimisation (exempt from the time goal)
CURVE_POINTS = 100  # HV curve stored at about this many evaluation counts (and at every budget)


def method_name(side: str, name: str) -> str:
    return f"{side}:{name}"


def side_of(method: str) -> str:
    return method.split(":", 1)[0]


def curve_grid(evaluations: int, budgets: Sequence[int]) -> list[int]:
    """The evaluation counts the mean HV curve is stored at: about CURVE_POINTS of 1..evaluations, and the budgets."""
    step = max(1, evaluations // CURVE_POINTS)
    return sorted({1, *range(step, evaluations + 1, step), *budgets, evaluations})


def method_entry(runs: Sequence[Mapping[str, Any]], budgets: Sequence[int], evaluations: int) -> dict[str, Any]:
    """One method on one problem. ``runs``: per seed ``seed``, ``evaluations``, ``hypervolume`` (after every
    evaluation), ``wall_s`` (None: not timed, e.g. resumed) and anything else to keep (``hypervolume`` is dropped)."""
    table: dict[str, Any] = {}
    for b in budgets:
        values = [r["hypervolume"][b - 1] for r in runs if len(r["hypervolume"]) >= b]
        table[str(b)] = {**summarise(values), "short_runs": len(runs) - len(values)}
    walls = [float(r["wall_s"]) for r in runs if r.get("wall_s") is not None]
    grid = curve_grid(evaluations, budgets)
    mean, se = [], []
    for n in grid:
        stats = summarise([r["hypervolume"][n - 1] for r in runs if len(r["hypervolume"]) >= n])
        mean.append(stats["mean"])
        se.append(stats["se"])
    return {
        "seeds": [r["seed"] for r in runs],
        "table": table,
        "short_runs": sum(r["evaluations"] < evaluations for r in runs),
        "wall_s": {
            "median": statistics.median(walls) if walls else None,
            "max": max(walls) if walls else None,
            "timed_runs": len(walls),
        },
        "curve": {"evaluations": grid, "mean": mean, "se": se},
        "runs": [{k: v for k, v in r.items() if k != "hypervolume"} for r in runs],
    }


def best_of(methods: Mapping[str, Mapping[str, Any]], side: str, budget: int) -> dict[str, Any] | None:
    """The method of ``side`` with the highest mean HV at ``budget`` (ties: the first listed), or None."""
    best = None
    for name, entry in methods.items():
        cell = entry["table"][str(budget)]
        if side_of(name) == side and cell["mean"] is not None and (best is None or cell["mean"] > best["mean"]):
            best = {"method": name, "mean": cell["mean"], "se": cell["se"], "n": cell["n"]}
    return best


def compare(methods: Mapping[str, Mapping[str, Any]], budgets: Sequence[int]) -> dict[str, Any]:
    """Per budget: each side's best, hwnas's minus the peer's mean, one combined standard error
    (sqrt(se_hwnas^2 + se_peer^2)) and whether the difference lies within it."""
    cells: dict[str, Any] = {}
    for b in budgets:
        ours, theirs = best_of(methods, HWNAS, b), best_of(methods, PEER, b)
        cell: dict[str, Any] = {HWNAS: ours, PEER: theirs}
        if ours is not None and theirs is not None:
            difference = ours["mean"] - theirs["mean"]
            ses = [s for s in (ours["se"], theirs["se"]) if s is not None]
            combined = math.sqrt(sum(s * s for s in ses)) if ses else None
            cell |= {
                "difference": difference,
                "combined_se": combined,
                "within_se": combined is not None and abs(difference) <= combined,
                "hwnas_higher": difference > 0,
            }
        cells[str(b)] = cell
    return cells


def hv_goal(problems: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """Goal 1 over every problem and budget: hwnas's best mean HV above syne-tune's best; None where a side has no
    method (then the goal is not assessed)."""
    assessed, higher, within, lower = 0, 0, [], []
    for name, problem in problems.items():
        for budget, cell in problem["comparison"].items():
            if "difference" not in cell:
                continue
            assessed += 1
            higher += bool(cell["hwnas_higher"])
            where = f"{name}@{budget}"
            if cell["within_se"]:
                within.append(where)
            if not cell["hwnas_higher"]:
                lower.append(where)
    return {
        "goal": "hwnas's best method has a higher mean HV than syne-tune's best at every budget on every problem",
        "cells": assessed,
        "hwnas_higher": higher,
        "met": (higher == assessed) if assessed else None,
        "within_se": within,
        "not_higher": lower,
    }


def time_goal(problems: Mapping[str, Mapping[str, Any]], evaluations: int) -> dict[str, Any]:
    """Goal 2: every non-BO hwnas method's runs of GOAL_EVALUATIONS evaluations finish in under GOAL_SECONDS (the
    maximum wall-clock over every problem and seed); not assessed when the runs have another length."""
    goal = f"a {GOAL_EVALUATIONS}-evaluation run of any non-BO hwnas method finishes in under {GOAL_SECONDS:g} s"
    if evaluations != GOAL_EVALUATIONS:
        return {"goal": goal, "assessed": False, "met": None, "reason": f"runs are of {evaluations} evaluations"}
    walls: dict[str, list[float]] = {}
    for problem in problems.values():
        for name, entry in problem["methods"].items():
            algorithm = name.split(":", 1)[1]
            if side_of(name) != HWNAS or algorithm in BO_ALGORITHMS:
                continue
            walls.setdefault(algorithm, []).extend(
                float(r["wall_s"])
                for r in entry["runs"]
                if r.get("wall_s") is not None and r["evaluations"] == evaluations
            )
    methods = {
        a: {"max_s": max(w) if w else None, "median_s": statistics.median(w) if w else None, "runs": len(w),
            "met": bool(w) and max(w) < GOAL_SECONDS}
        for a, w in walls.items()
    }  # fmt: skip
    return {"goal": goal, "assessed": bool(methods), "met": bool(methods) and all(m["met"] for m in methods.values()),
            "limit_s": GOAL_SECONDS, "methods": methods}  # fmt: skip
