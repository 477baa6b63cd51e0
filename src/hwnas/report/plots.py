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


def bleu_vs_latency(rows: Sequence[Mapping[str, Any]], budgets: Sequence[float], path: Path) -> Path:
    """One point per retrained model (measured latency when known, else predicted), the Pareto front through them,
    and a dashed vertical line per budget."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 4.2), dpi=DPI)
    ax = fig.add_subplot()
    points = []
    for row in rows:
        latency = row.get("measured_ms") or row.get("predicted_ms")
        if latency is None or row.get("bleu") is None:
            continue
        points.append((float(latency), float(row["bleu"])))
        ax.annotate(
            str(row["arch_id"])[:8],
            (float(latency), float(row["bleu"])),
            fontsize=7,
            xytext=(4, 4),
            textcoords="offset points",
        )
    if points:
        xs, ys = zip(*points, strict=True)
        ax.scatter(xs, ys, s=30, color="tab:blue", zorder=3, label="retrained models")
        fx, fy = zip(*pareto_front(points), strict=True)
        ax.plot(fx, fy, color="tab:red", linewidth=1.2, marker="o", markersize=4, label="Pareto front")
    for index, budget in enumerate(budgets):
        ax.axvline(budget, color="grey", linestyle="--", linewidth=0.9, label="latency budgets" if index == 0 else None)
    measured = any(row.get("measured_ms") for row in rows)
    ax.set_xlabel(f"latency (ms, {'measured' if measured else 'predicted'})")
    ax.set_ylabel("BLEU")
    ax.set_title("BLEU vs latency of the searched models", fontsize=10)
    ax.legend(fontsize=8, loc="lower right")
    return _save(fig, path)


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

    fig = Figure(figsize=(6.5, 4.2), dpi=DPI)
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
    ax.legend(fontsize=7)
    return _save(fig, path)
