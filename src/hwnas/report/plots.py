"""The report's figures, drawn on bare matplotlib ``Figure`` objects (Agg canvas, never pyplot): importing this
module changes no global backend and it works without a display.

Each function takes plain data (lists / dicts read from a run directory) and writes one PNG, so the report builder
can be tested on a synthetic run directory without training anything.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

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


def draw_bleu_vs_latency(
    ax: Any, rows: Sequence[Mapping[str, Any]], budgets: Sequence[float], reference: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Draw on ``ax`` and return what was drawn (points per series, the front, the latency kind), so a caller or a
    test can check the figure without reading pixels."""
    kind, searched, families, largest = _series(rows, reference)
    front = pareto_front([(x, y) for x, y, _ in searched])
    if searched:
        ax.scatter([p[0] for p in searched], [p[1] for p in searched], s=34, color="tab:blue", zorder=4,
                   label="searched (one per budget)")  # fmt: skip
        ax.plot([p[0] for p in front], [p[1] for p in front], color="tab:red", linewidth=1.2, zorder=3,
                label="Pareto front of the searched")  # fmt: skip
    for index, (name, points) in enumerate(families.items()):
        ax.scatter([p[0] for p in points], [p[1] for p in points], s=40, marker=BASELINE_MARKERS[index % 4],
                   facecolors="none", edgecolors=f"C{index + 1}", linewidths=1.4, zorder=7,
                   label=f"{name} baseline (same budgets)")  # fmt: skip
    if largest is not None:
        ax.scatter([largest[0]], [largest[1]], s=160, marker="*", color="gold", edgecolors="black", linewidths=0.7,
                   zorder=6, label="largest arch (reference)")  # fmt: skip
    labels = [(p, (4, 4)) for p in searched] + [(p, (4, -9)) for ps in families.values() for p in ps]
    for (x, y, arch_id), offset in labels:  # searched ids above their point, baselines' below
        ax.annotate(arch_id[:8], (x, y), fontsize=6, xytext=offset, textcoords="offset points", color="dimgrey")
    for index, budget in enumerate(budgets):
        ax.axvline(budget, color="grey", linestyle="--", linewidth=0.9, label="latency budgets" if index == 0 else None)
        ax.text(budget, 0.99, f"{budget:.2f} ms ", transform=ax.get_xaxis_transform(), fontsize=6, color="grey",
                va="top", ha="right", rotation=90)  # fmt: skip
    ax.set_xlabel(f"latency (ms, {kind})")
    ax.set_ylabel("BLEU")
    ax.set_title("BLEU vs latency: searched, baselines and the largest arch", fontsize=10)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0)  # outside: hides no point
    return {"latency_kind": kind, "searched": searched, "pareto_front": front, "baselines": families,
            "reference": largest, "budgets": list(budgets)}  # fmt: skip


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
    """Best-so-far ``metric`` per iteration, one line per search (label -> result.json history)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 4), dpi=DPI)
    ax = fig.add_subplot()
    for label, history in histories.items():
        steps = [(int(h["iteration"]) + 1, float(h["best"][metric])) for h in history if h.get("best")]
        if steps:
            xs, ys = zip(*steps, strict=True)
            ax.plot(xs, ys, marker="o", markersize=3, label=label)
    ax.set_xlabel("iteration")
    ax.set_ylabel(f"best feasible {metric}")
    ax.set_title("Search progress (supernet validation loss, lower is better)", fontsize=10)
    if histories:
        ax.legend(fontsize=8)
    return _save(fig, path)


def training_curves(curves: Mapping[str, Mapping[str, Sequence[tuple[int, float]]]], path: Path) -> Path:
    """Training loss (lines) and validation loss (markers) against step, one colour per run."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8.4, 4.4), dpi=DPI, layout="constrained")
    ax = fig.add_subplot()
    for index, (label, curve) in enumerate(curves.items()):
        colour = f"C{index % 10}"
        if curve.get("train"):
            xs, ys = zip(*curve["train"], strict=True)
            ax.plot(xs, ys, color=colour, linewidth=1.2, label=f"{label} (train)")
        if curve.get("valid"):
            xs, ys = zip(*curve["valid"], strict=True)
            ax.scatter(xs, ys, color=colour, marker="s", s=22, label=f"{label} (valid)")
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("loss (nats / token)")
    ax.set_title("Training curves", fontsize=10)
    ax.legend(fontsize=6, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0)  # outside the curves
    return _save(fig, path)
