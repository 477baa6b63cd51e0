"""Scoring multi-objective runs on a :class:`~hwnas.studies.problem.Problem`: the hypervolume after every evaluation
(on the problem's normalised objectives and reference point), its mean and standard error over seeds at chosen
budgets, the final Pareto front in real units, and empirical attainment surfaces of 2-D problems.

A run is read from its journal, so any run directory can be scored, finished or not: its evaluations in the order
they were first made (an arch evaluated again, e.g. in a later phase, counts once, as the evaluation budget does).
Only feasible evaluations (every constraint met) count towards the hypervolume.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from hwnas.core.arch import Arch
from hwnas.core.objectives import Constraint, Objective
from hwnas.core.pareto import hypervolume, pareto_front_indices
from hwnas.search.journal import read_journal
from hwnas.search.records import Record, Scorer
from hwnas.search.rundir import JOURNAL_FILE
from hwnas.studies.problem import Problem, run_metric


@dataclass(frozen=True)
class Evaluation:
    arch: dict[str, Any]
    arch_id: str
    metrics: dict[str, float]
    error: str | None


def read_evaluations(run_dir: str | Path) -> list[Evaluation]:
    """A run's evaluations in first-evaluation order, one per arch (from its journal)."""
    entries, _ = read_journal(Path(run_dir) / JOURNAL_FILE)
    seen: dict[str, Evaluation] = {}
    for entry in entries:
        if entry.get("kind") != "eval" or entry["arch_id"] in seen:
            continue
        metrics = {str(k): float(v) for k, v in (entry.get("metrics") or {}).items()}
        seen[entry["arch_id"]] = Evaluation(entry["arch"], entry["arch_id"], metrics, entry.get("error"))
    return list(seen.values())


def records(problem: Problem, evaluations: Sequence[Evaluation]) -> list[Record]:
    """The problem's view of each evaluation: status and objectives under its objectives and constraints."""
    scorer = Scorer(
        tuple(Objective.parse(o) for o in problem.run_objectives()),
        tuple(Constraint.parse(c) for c in problem.run_constraints()),
    )
    return [scorer.record(Arch.from_dict(e.arch), e.metrics, e.error) for e in evaluations]


def hypervolume_trace(problem: Problem, evaluations: Sequence[Evaluation]) -> np.ndarray:
    """[len(evaluations)] the hypervolume of the feasible evaluations so far, after each one (non-decreasing)."""
    reference = list(problem.reference)
    directions = ["min"] * len(reference)
    trace = np.zeros(len(evaluations))
    front = np.zeros((0, len(reference)))
    current = 0.0
    for i, record in enumerate(records(problem, evaluations)):
        if record.status == "ok":
            point = problem.normalise([record.metrics])[0]
            if not _dominated(point, front):
                front = np.vstack([front[~_dominated_by(front, point)], point])
                current = hypervolume(front, directions, reference)  # type: ignore[arg-type]
        trace[i] = current
    return trace


def pareto_front(problem: Problem, evaluations: Sequence[Evaluation]) -> list[dict[str, Any]]:
    """The feasible non-dominated evaluations, in real units, sorted by the first objective."""
    feasible = [(e, r) for e, r in zip(evaluations, records(problem, evaluations), strict=True) if r.status == "ok"]
    if not feasible:
        return []
    points = np.array([r.objectives for _, r in feasible], dtype=float)
    chosen = [feasible[int(i)] for i in pareto_front_indices(points, ["min"] * points.shape[1])]
    chosen.sort(key=lambda pair: (pair[1].objectives, pair[0].arch_id))
    names = [o.metric for o in problem.parsed_objectives()]
    return [
        {"arch_id": e.arch_id, "arch": e.arch, "objectives": {n: r.metrics[run_metric(n)] for n in names}}
        for e, r in chosen
    ]


def at_budgets(trace: np.ndarray, budgets: Sequence[int]) -> dict[int, float | None]:
    """The hypervolume after ``b`` evaluations for each budget (None where the run made fewer)."""
    return {b: (float(trace[b - 1]) if len(trace) >= b else None) for b in budgets}


def summarise(values: Sequence[float]) -> dict[str, float | int | None]:
    """Mean and standard error over seeds (sample standard deviation / sqrt(seeds); None with one seed)."""
    data = np.asarray(values, dtype=float)
    if len(data) == 0:
        return {"mean": None, "se": None, "n": 0}
    se = float(data.std(ddof=1) / math.sqrt(len(data))) if len(data) > 1 else None
    return {"mean": float(data.mean()), "se": se, "n": len(data)}


def attainment(fronts: Sequence[np.ndarray], levels: Sequence[int] | None = None) -> dict[int, list[list[float]]]:
    """Empirical attainment surfaces of 2-D fronts (normalised minimisation points, one array per run): for level
    ``k`` (1 = attained by the best run, ``len(fronts)`` = by every run), the staircase ``[[x, y], ...]`` of the
    points attained by at least ``k`` runs; by default the best, the median and the worst levels."""
    n = len(fronts)
    if n == 0:
        return {}
    if any(front.size and front.shape[1] != 2 for front in fronts):
        raise ValueError("attainment surfaces are drawn for 2-D problems only")
    levels = sorted(set(levels or [1, (n + 1) // 2, n]))
    xs = np.unique(np.concatenate([f[:, 0] for f in fronts if f.size] or [np.zeros(0)]))
    # best[r, j]: the lowest y run r attains with x <= xs[j] (inf: none yet)
    best = np.full((n, len(xs)), np.inf)
    for r, front in enumerate(fronts):
        for x, y in front if front.size else ():
            best[r, xs >= x] = np.minimum(best[r, xs >= x], y)
    ordered = np.sort(best, axis=0)  # [n, xs]: row k-1 is the k-th best run's y at each x
    surfaces: dict[int, list[list[float]]] = {}
    for k in levels:
        ys = ordered[k - 1]
        steps = [[float(x), float(y)] for x, y in zip(xs, ys, strict=True) if math.isfinite(y)]
        surfaces[k] = [s for i, s in enumerate(steps) if i == 0 or s[1] < steps[i - 1][1]]
    return surfaces


def normalised_front(problem: Problem, front: Sequence[dict[str, Any]]) -> np.ndarray:
    """A :func:`pareto_front` (real units) in the problem's normalised units (for :func:`attainment`)."""
    if not front:
        return np.zeros((0, len(problem.objectives)))
    return problem.normalise([{run_metric(name): value for name, value in f["objectives"].items()} for f in front])


def _dominated(point: np.ndarray, front: np.ndarray) -> bool:
    """Whether some point of ``front`` is at least as good everywhere (a repeat adds nothing)."""
    return bool(front.size and np.any(np.all(front <= point, axis=1)))


def _dominated_by(front: np.ndarray, point: np.ndarray) -> np.ndarray:
    """[len(front)] the points ``point`` dominates."""
    if not front.size:
        return np.zeros(0, dtype=bool)
    dominated: np.ndarray = np.all(point <= front, axis=1) & np.any(point < front, axis=1)
    return dominated


def run_summary(problem: Problem, run_dir: str | Path, budgets: Sequence[int]) -> dict[str, Any]:
    """One run's scores: evaluations, the hypervolume trace and its values at ``budgets``, the final front."""
    evaluations = read_evaluations(run_dir)
    trace = hypervolume_trace(problem, evaluations)
    statuses = [r.status for r in records(problem, evaluations)]
    return {
        "evaluations": len(evaluations),
        "feasible": statuses.count("ok"),
        "failed": statuses.count("failed"),
        "hypervolume": [float(v) for v in trace],
        "at_budgets": {str(b): v for b, v in at_budgets(trace, budgets).items()},
        "front": pareto_front(problem, evaluations),
    }


def aggregate(runs: Mapping[str, Sequence[dict[str, Any]]], budgets: Sequence[int]) -> dict[str, Any]:
    """Per algorithm and budget: mean and standard error of the hypervolume over its seeds' runs (runs that made
    fewer evaluations than a budget are left out of it, and counted)."""
    table: dict[str, Any] = {}
    for algorithm, summaries in runs.items():
        table[algorithm] = {}
        for b in budgets:
            values = [s["at_budgets"][str(b)] for s in summaries if s["at_budgets"].get(str(b)) is not None]
            table[algorithm][str(b)] = {**summarise(values), "short_runs": len(summaries) - len(values)}
    return table
