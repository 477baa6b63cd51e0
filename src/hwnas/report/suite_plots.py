"""Figures of multi-objective suites (``hwnas bench run``), drawn like :mod:`hwnas.report.plots` on bare matplotlib
``Figure`` objects (Agg canvas, never pyplot) and written atomically (a killed command leaves the old PNG or the new
one, never half of one):

- the hypervolume against the number of evaluations, a line per algorithm (the mean over seeds) in a band of ± one
  standard error, the budgets dashed (one panel per problem in :func:`comparison_figure`);
- for 2-D problems, the empirical attainment surfaces of each algorithm's seeds (best, median, worst) in the
  problem's normalised units, with the hypervolume's reference point;
- the final Pareto fronts in real units: per algorithm, the non-dominated points of the union of its seeds' final
  fronts; a 2-D problem on one panel, a problem of more objectives as pairwise projections.

Each function takes plain data and returns what it drew, so tests check figures without reading pixels.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np

from hwnas.core.files import atomic_path
from hwnas.core.pareto import pareto_front_indices
from hwnas.studies.problem import Problem
from hwnas.studies.results import Curve

DPI = 120
LEVEL_STYLES = {"best": ":", "median": "-", "worst": "--", "all": "-"}


def save_png(fig: Any, path: Path) -> Path:
    """Write ``fig`` to ``path`` as PNG, atomically."""
    if fig.get_layout_engine() is None:
        fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")
    return path


def colours(algorithms: Sequence[str]) -> dict[str, str]:
    """One colour per algorithm, the same in every figure of a report or a comparison."""
    return {algorithm: f"C{index % 10}" for index, algorithm in enumerate(algorithms)}


def objective_label(text: str) -> str:
    """``perplexity:min`` -> ``perplexity (min: lower is better)``."""
    metric, _, direction = text.rpartition(":")
    return f"{metric} ({direction}: {'lower' if direction == 'min' else 'higher'} is better)"


# hypervolume curves ---------------------------------------------------------------------------------------------------
def draw_hypervolume(
    ax: Any,
    curves: Mapping[str, Curve],
    budgets: Sequence[int],
    *,
    title: str,
    palette: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Mean hypervolume per algorithm with a ± standard-error band; the budgets as dashed lines. Returns what was
    drawn: per algorithm the evaluations, mean, lower and upper band edges (NaN where one seed leaves none)."""
    palette = palette or colours(list(curves))
    drawn: dict[str, Any] = {}
    for algorithm, item in curves.items():
        if not len(item.mean):
            continue
        colour = palette[algorithm]
        seeds = int(item.n.max())
        x = item.evaluations
        ax.plot(x, item.mean, color=colour, linewidth=1.4, label=f"{algorithm} ({seeds} seed{'s' * (seeds != 1)})")
        low, high = item.mean - item.se, item.mean + item.se
        band = np.isfinite(item.se)
        if band.any():
            ax.fill_between(x, low, high, where=band, color=colour, alpha=0.2, linewidth=0)
        drawn[algorithm] = {"evaluations": x, "mean": item.mean, "low": low, "high": high}
    for index, budget in enumerate(budgets):
        ax.axvline(budget, color="grey", linestyle="--", linewidth=0.9, label="budgets" if index == 0 else None)
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("evaluations")
    ax.set_ylabel("hypervolume (normalised)")
    ax.set_title(title, fontsize=9)
    if drawn:
        ax.legend(fontsize=7, loc="lower right")
    return drawn


def hypervolume_figure(
    curves: Mapping[str, Curve], budgets: Sequence[int], path: Path, *, problem: str
) -> dict[str, Any]:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7.2, 4.2), dpi=DPI, layout="constrained")
    title = f"{problem}: hypervolume, mean ± one standard error over seeds"
    drawn = draw_hypervolume(fig.add_subplot(), curves, budgets, title=title)
    return {"curves": drawn, "path": save_png(fig, path)}


def comparison_figure(panels: Sequence[tuple[str, Mapping[str, Curve], Sequence[int]]], path: Path) -> dict[str, Any]:
    """One hypervolume panel per problem (title, curves, budgets), in a grid of up to three columns; an algorithm
    keeps its colour in every panel."""
    from matplotlib.figure import Figure

    columns = min(3, max(1, len(panels)))
    rows = math.ceil(len(panels) / columns)
    fig = Figure(figsize=(5.2 * columns, 3.8 * rows), dpi=DPI, layout="constrained")
    palette = colours(list(dict.fromkeys(a for _, curves, _ in panels for a in curves)))
    drawn = {}
    for index, (title, curves, budgets) in enumerate(panels):
        ax = fig.add_subplot(rows, columns, index + 1)
        drawn[title] = draw_hypervolume(ax, curves, budgets, title=title, palette=palette)
    fig.suptitle("hypervolume against evaluations: mean ± one standard error over seeds", fontsize=10)
    return {"panels": drawn, "path": save_png(fig, path)}


# attainment surfaces --------------------------------------------------------------------------------------------------
def level_name(level: int, seeds: int) -> str:
    if seeds == 1:
        return "all"
    if level == 1:
        return "best"
    return "worst" if level == seeds else "median"


def staircase(points: Sequence[Sequence[float]], reference: Sequence[float]) -> tuple[list[float], list[float]]:
    """The attained boundary of a 2-D minimisation staircase ``[[x, y], ...]`` (x ascending), closed at the
    reference point: down from the reference's y at the first x, across to the reference's x after the last."""
    if not points:
        return [], []
    xs = [float(points[0][0]), *[float(p[0]) for p in points], float(reference[0])]
    ys = [float(reference[1]), *[float(p[1]) for p in points], float(points[-1][1])]
    return xs, ys


def attainment_figure(
    problem: Problem,
    surfaces: Mapping[str, Mapping[str, Sequence[Sequence[float]]]],
    seeds: Mapping[str, int],
    path: Path,
) -> dict[str, Any]:
    """Per algorithm (a colour) each attainment level (best dotted, median solid, worst dashed) as a step line in
    normalised units, and the reference point."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7.2, 5.0), dpi=DPI, layout="constrained")
    ax = fig.add_subplot()
    palette = colours(list(surfaces))
    drawn: dict[str, Any] = {}
    for algorithm, levels in surfaces.items():
        n = seeds.get(algorithm, 1)
        for key in sorted(levels, key=int):
            name = level_name(int(key), n)
            xs, ys = staircase(levels[key], problem.reference)
            if not xs:
                continue
            label = f"{algorithm}: {name} (attained by {key} of {n} seed{'s' * (n != 1)})"
            ax.plot(xs, ys, drawstyle="steps-post", color=palette[algorithm], linestyle=LEVEL_STYLES[name],
                    linewidth=1.3, label=label)  # fmt: skip
            drawn.setdefault(algorithm, {})[name] = {"level": int(key), "x": xs, "y": ys}
    ref = problem.reference
    ax.scatter([ref[0]], [ref[1]], marker="x", color="black", s=50, zorder=5,
               label=f"reference point ({ref[0]:g}, {ref[1]:g})")  # fmt: skip
    (x_name, y_name), objectives = problem.objectives, problem.parsed_objectives()
    for setter, text, objective in ((ax.set_xlabel, x_name, objectives[0]), (ax.set_ylabel, y_name, objectives[1])):
        best, worst = problem.bounds[objective.metric]
        setter(f"{objective_label(text)}\nnormalised: 0 = {best:g}, 1 = {worst:g}", fontsize=8)
    ax.set_title(f"{problem.name}: empirical attainment surfaces of the seeds' final fronts", fontsize=9)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0)
    return {"surfaces": drawn, "reference": list(ref), "path": save_png(fig, path)}


# final fronts ---------------------------------------------------------------------------------------------------------
def union_front(problem: Problem, runs: Sequence[Mapping[str, Any]]) -> np.ndarray:
    """[points, objectives] in real units: the non-dominated points of the union of the runs' final fronts (an arch
    found by several seeds counts once), sorted by the first objective."""
    objectives = problem.parsed_objectives()
    seen: dict[str, list[float]] = {}
    for run in runs:
        for point in run.get("front") or []:
            seen.setdefault(str(point["arch_id"]), [float(point["objectives"][o.metric]) for o in objectives])
    if not seen:
        return np.zeros((0, len(objectives)))
    points = np.array(list(seen.values()), dtype=float)
    chosen = points[pareto_front_indices(points, [o.direction for o in objectives])]
    ordered: np.ndarray = chosen[np.lexsort(chosen.T[::-1])]
    return ordered


def front_figure(problem: Problem, runs: Mapping[str, Sequence[Mapping[str, Any]]], path: Path) -> dict[str, Any]:
    """Each algorithm's union front in real units: for two objectives one panel (points and their staircase), for
    more, one panel per pair of objectives (the points projected)."""
    from matplotlib.figure import Figure

    objectives = problem.parsed_objectives()
    pairs = list(itertools.combinations(range(len(objectives)), 2))
    fig = Figure(figsize=(7.2 if len(pairs) == 1 else 4.6 * len(pairs), 4.6), dpi=DPI, layout="constrained")
    palette = colours(list(runs))
    fronts = {algorithm: union_front(problem, algorithm_runs) for algorithm, algorithm_runs in runs.items()}
    for index, (i, j) in enumerate(pairs):
        ax = fig.add_subplot(1, len(pairs), index + 1)
        for algorithm, front in fronts.items():
            if not len(front):
                continue
            seeds = len(runs[algorithm])
            label = f"{algorithm} ({len(front)} archs, {seeds} seed{'s' * (seeds != 1)})"
            ax.scatter(front[:, i], front[:, j], s=18, color=palette[algorithm], label=label, zorder=3)
            if len(pairs) == 1:
                where: Literal["pre", "post"] = "post" if objectives[0].direction == "min" else "pre"
                ax.step(front[:, i], front[:, j], where=where, color=palette[algorithm], linewidth=1.0, alpha=0.8)
        ax.set_xlabel(objective_label(problem.objectives[i]), fontsize=8)
        ax.set_ylabel(objective_label(problem.objectives[j]), fontsize=8)
        if index == 0 and any(len(f) for f in fronts.values()):
            ax.legend(fontsize=7)
    what = "" if len(pairs) == 1 else f", {len(objectives)} objectives projected pairwise"
    fig.suptitle(
        f"{problem.name}: final Pareto fronts\nthe non-dominated union of each algorithm's seeds (real units{what})",
        fontsize=9,
    )
    return {"fronts": fronts, "pairs": pairs, "path": save_png(fig, path)}
