"""The report's figures, drawn on bare matplotlib ``Figure`` objects (Agg canvas, never pyplot): importing this
module changes no global backend and it works without a display.

Each function takes plain data (lists / dicts read from a run directory) and writes one PNG, so the report builder
can be tested on a synthetic run directory without training anything.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from hwnas.report.layout import Label, budget_axis, place_labels
from hwnas.report.sections import single_baseline_arch

DPI = 120


def _save(fig: Any, path: Path) -> Path:
    if fig.get_layout_engine() is None:
        fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png")
    return path


def pareto_front(points: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """The non-dominated (latency, BLEU) points, lower latency and higher BLEU being better, by latency."""
    front: list[tuple[float, float]] = []
    for latency, bleu in sorted(points, key=lambda p: (p[0], -p[1])):
        if not front or bleu > front[-1][1]:
            front.append((latency, bleu))
    return front


Point = tuple[float, float, str]  # (latency ms, BLEU, arch_id)
BASELINE_MARKERS = ("s", "D", "^", "v")  # one per baseline family, in name order
DASHES: tuple[Literal["-", "--", ":"], ...] = ("-", "--", ":")


def _latency_kind(entries: Sequence[Mapping[str, Any]]) -> str:
    """Measured latency when every scored entry was measured, else predicted for all: never a mix on one axis."""
    scored = [e for e in entries if e.get("bleu") is not None]
    return "measured" if scored and all(e.get("measured_ms") is not None for e in scored) else "predicted"


def _point(entry: Mapping[str, Any] | None, kind: str) -> Point | None:
    if not entry or entry.get("bleu") is None or entry.get(f"{kind}_ms") is None:
        return None
    return float(entry[f"{kind}_ms"]), float(entry["bleu"]), str(entry["arch_id"])


def _series(
    rows: Sequence[Mapping[str, Any]], reference: Mapping[str, Any] | None
) -> tuple[str, list[Point], dict[str, list[Point]], Point | None]:
    """The plotted points: searched models, each baseline family (one point per distinct arch), the reference."""
    baselines = [base for row in rows for base in (row.get("baselines") or {}).values() if base]
    kind = _latency_kind([*rows, *baselines, *([reference] if reference else [])])
    searched = [p for p in (_point(row, kind) for row in rows) if p is not None]
    families: dict[str, dict[str, Point]] = {}
    for row in rows:
        for name, base in sorted((row.get("baselines") or {}).items()):
            point = _point(base, kind)
            if point is not None:
                families.setdefault(name, {})[point[2]] = point
    return kind, searched, {n: list(p.values()) for n, p in families.items()}, _point(reference, kind)


SIZES = {"searched": 34.0, "baseline": 40.0, "ring": 320.0, "largest": 160.0}  # marker areas (points^2)


def _radius(size: float) -> float:
    return float(size**0.5) / 2.0


def _baseline_label(name: str, rows: Sequence[Mapping[str, Any]], largest: Point | None) -> str:
    """The legend entry of a family; says so when every budget chose one arch (and when that arch is the largest),
    since then the family is a single marker, possibly a ring around the star."""
    only = single_baseline_arch(rows, name)
    if only is None:
        return f"{name} baseline (same budgets)"
    if largest is not None and largest[2] == only:
        return f"{name} baseline: the largest arch\nat every budget (ring around the star)"
    return f"{name} baseline: one arch ({only[:8]}) at every budget"


def _draw_baselines(
    ax: Any, rows: Sequence[Mapping[str, Any]], families: Mapping[str, list[Point]], largest: Point | None
) -> list[Label]:
    """Each family with its own hollow marker; a point that is the largest arch becomes a ring around the star."""
    labels = []
    for index, (name, points) in enumerate(families.items()):
        at_star = [p for p in points if largest is not None and p[2] == largest[2]]
        plain = [p for p in points if p not in at_star]
        style = {"marker": BASELINE_MARKERS[index % 4], "facecolors": "none", "edgecolors": f"C{index + 1}",
                 "linewidths": 1.4, "zorder": 7}  # fmt: skip
        ax.scatter([p[0] for p in plain], [p[1] for p in plain], s=SIZES["baseline"],
                   label=_baseline_label(name, rows, largest), **style)  # fmt: skip
        if at_star:
            ax.scatter([p[0] for p in at_star], [p[1] for p in at_star], s=SIZES["ring"], **style)
        labels += [Label(x, y, arch_id[:8], _radius(SIZES["baseline"])) for x, y, arch_id in plain]
    return labels


def draw_bleu_vs_latency(
    ax: Any, rows: Sequence[Mapping[str, Any]], budgets: Sequence[float], reference: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Draw on ``ax`` and return what was drawn (points per series, the front, the latency kind, the budget and id
    labels), so a caller or a test can check the figure without reading pixels."""
    kind, searched, families, largest = _series(rows, reference)
    front = pareto_front([(x, y) for x, y, _ in searched])
    if searched:  # above the star: a searched model that is the largest arch stays visible as a dot on it
        ax.scatter([p[0] for p in searched], [p[1] for p in searched], s=SIZES["searched"], color="tab:blue",
                   zorder=8, label="searched (one per budget)")  # fmt: skip
        ax.plot([p[0] for p in front], [p[1] for p in front], color="tab:red", linewidth=1.2, zorder=3,
                label="Pareto front of the searched")  # fmt: skip
    labels = [Label(x, y, arch_id[:8], _radius(SIZES["searched"])) for x, y, arch_id in searched]
    labels += _draw_baselines(ax, rows, families, largest)
    if largest is not None:
        ax.scatter([largest[0]], [largest[1]], s=SIZES["largest"], marker="*", color="gold", edgecolors="black",
                   linewidths=0.7, zorder=6, label="largest arch (reference)")  # fmt: skip
        labels.append(Label(largest[0], largest[1], largest[2][:8], _radius(SIZES["ring"])))
    for index, budget in enumerate(budgets):
        ax.axvline(budget, color="grey", linestyle="--", linewidth=0.9, label="latency budgets" if index == 0 else None)
    ax.margins(x=0.08, y=0.1)  # room for the id labels of points at the edges
    ax.set_xlabel(f"latency (ms, {kind})")
    ax.set_ylabel("BLEU")
    ax.set_title("BLEU vs latency: searched, baselines and the largest arch", fontsize=10)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0)  # outside: hides no point
    top = budget_axis(ax, budgets)
    notes, left_out = _id_labels(ax, labels, front, budgets)
    return {"latency_kind": kind, "searched": searched, "pareto_front": front, "baselines": families,
            "reference": largest, "budgets": list(budgets), "budget_axis": top, "id_labels": notes,
            "ids_left_out": [label.text for label in left_out]}  # fmt: skip


def _id_labels(
    ax: Any, labels: Sequence[Label], front: Sequence[tuple[float, float]], budgets: Sequence[float]
) -> tuple[list[Any], list[Label]]:
    """Arch-id labels clear of markers, each other, the front and the budget lines; ids that find no free place in a
    crowded cluster are left out, and a note under the legend says how many."""
    low, high = ax.get_ylim()
    lines = [list(front), *[[(b, low), (b, high)] for b in budgets]]
    unique = list({(label.x, label.y, label.text): label for label in labels}.values())
    notes, left_out = place_labels(ax, unique, lines=lines)
    if left_out:
        ax.annotate(f"ids of {len(left_out)} crowded points left out\n(see the report's tables)", (1.02, 0.0),
                    xycoords="axes fraction", ha="left", va="bottom", fontsize=7, color="dimgrey")  # fmt: skip
    return notes, left_out


def bleu_vs_latency(
    rows: Sequence[Mapping[str, Any]],
    budgets: Sequence[float],
    path: Path,
    *,
    reference: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The searched models (one per budget) with their Pareto front, each baseline family with its own marker, the
    largest arch as a star and a dashed line per budget; writes ``path`` and returns what was drawn."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8.4, 4.4), dpi=DPI, layout="constrained")
    drawn = draw_bleu_vs_latency(fig.add_subplot(), rows, budgets, reference)
    return {**drawn, "path": _save(fig, path)}


def search_progress(histories: Mapping[str, Sequence[Mapping[str, Any]]], metric: str, path: Path) -> Path:
    """Best-so-far ``metric`` per iteration, one line per search (label -> result.json history); the legend sits
    outside the axes and iterations are whole numbers."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    fig = Figure(figsize=(7.2, 4), dpi=DPI, layout="constrained")
    ax = fig.add_subplot()
    for label, history in histories.items():
        steps = [(int(h["iteration"]) + 1, float(h["best"][metric])) for h in history if h.get("best")]
        if steps:
            xs, ys = zip(*steps, strict=True)
            ax.plot(xs, ys, marker="o", markersize=3, label=label)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("iteration")
    ax.set_ylabel(f"best feasible {metric}")
    ax.set_title("Search progress (supernet validation loss, lower is better)", fontsize=10)
    if histories:
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0)
    return _save(fig, path)


def training_curves(curves: Mapping[str, Mapping[str, Sequence[tuple[int, float]]]], path: Path) -> Path:
    """Training loss (lines) and validation loss (squares) against step, one colour per run and one legend entry
    per run (line and square together), outside the axes; two grey entries say which is which."""
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    fig = Figure(figsize=(8.4, 4.4), dpi=DPI, layout="constrained")
    ax = fig.add_subplot()
    handles = []
    for index, (label, curve) in enumerate(curves.items()):
        colour, dash = f"C{index % 10}", DASHES[index // 10 % 3]  # from the 11th run on: the colours again, dashed
        if curve.get("train"):
            xs, ys = zip(*curve["train"], strict=True)
            ax.plot(xs, ys, color=colour, linestyle=dash, linewidth=1.2)
        if curve.get("valid"):
            xs, ys = zip(*curve["valid"], strict=True)
            ax.scatter(xs, ys, color=colour, marker="s", s=22, zorder=3)
        handles.append(
            Line2D([], [], color=colour, linestyle=dash, linewidth=1.2, marker="s", markersize=4, label=label)
        )
    handles += [
        Line2D([], [], color="grey", linewidth=1.2, label="line: train loss"),
        Line2D([], [], color="grey", marker="s", markersize=4, linestyle="none", label="square: valid loss"),
    ]
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("loss (nats / token)")
    ax.set_title("Training curves", fontsize=10)
    ax.legend(handles=handles, fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0)
    return _save(fig, path)
