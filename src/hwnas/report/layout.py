"""Text placement for the report's figures, measured with the figure's own renderer: arch-id labels go where they
cover no marker, no other label and (when they can) no budget line, and budget labels sit above the plot on a top
axis, merged where two budgets are too close to label apart. A fixed offset per label was what made ids overlap
each other and budget labels lie on their own dashed line.

Everything here works in display pixels after a layout pass, so callers draw their data first and place text last.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

# Directions from the point, with the text's anchor: right of the point first, then left, above, below. Each is
# tried at a growing distance (points beyond the marker's edge); a label moved away gets a thin leader line.
DIRECTIONS = (
    ((1.0, 0.6), "left", "bottom"),
    ((1.0, -0.6), "left", "top"),
    ((-1.0, 0.6), "right", "bottom"),
    ((-1.0, -0.6), "right", "top"),
    ((0.0, 1.0), "center", "bottom"),
    ((0.0, -1.0), "center", "top"),
    ((1.0, 0.0), "left", "center"),
    ((-1.0, 0.0), "right", "center"),
)
DISTANCES = (2.0, 10.0, 20.0)
LINE_COST = 1  # crossing a drawn line is tolerated when nothing else is free; covering a marker or text is not
HARD_COST = 10


@dataclass(frozen=True)
class Label:
    """A text to put next to the data point (x, y); ``radius`` is the point's marker radius in points."""

    x: float
    y: float
    text: str
    radius: float = 4.0


def renderer(fig: Any) -> Any:
    """The figure's renderer after a layout pass (an Agg canvas is attached to a bare ``Figure``)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    if not isinstance(fig.canvas, FigureCanvasAgg):
        FigureCanvasAgg(fig)
    fig.draw_without_rendering()
    return fig.canvas.get_renderer()


def _marker_boxes(ax: Any, labels: Sequence[Label]) -> list[Any]:
    from matplotlib.transforms import Bbox

    boxes = []
    for label in labels:
        cx, cy = ax.transData.transform((label.x, label.y))
        r = label.radius * ax.figure.dpi / 72.0
        boxes.append(Bbox.from_extents(cx - r, cy - r, cx + r, cy + r))
    return boxes


def _line_pixels(ax: Any, lines: Sequence[Sequence[tuple[float, float]]]) -> list[Any]:
    """Each polyline (data coordinates) as pixel points about 2 px apart, to test a text box against."""
    import numpy as np

    dense = []
    for line in lines:
        px = ax.transData.transform(np.asarray(line, dtype=float))
        parts = [px[:1]]
        for a, b in itertools.pairwise(px):
            steps = max(2, int(np.hypot(*(b - a)) / 2.0))
            parts.append(np.linspace(a, b, steps))
        dense.append(np.concatenate(parts))
    return dense


def _cost(box: Any, taken: Sequence[Any], lines_px: Sequence[Any], inside: Any) -> int:
    cost = HARD_COST * sum(1 for other in taken if box.overlaps(other))
    for points in lines_px:
        hit = (points[:, 0] >= box.x0) & (points[:, 0] <= box.x1) & (points[:, 1] >= box.y0) & (points[:, 1] <= box.y1)
        cost += LINE_COST * bool(hit.any())
    corners_in = inside.contains(box.x0, box.y0) and inside.contains(box.x1, box.y1)
    return cost if corners_in else cost + HARD_COST


Option = tuple[tuple[float, float], str, str, float]  # direction, ha, va, distance beyond the marker (points)


def _annotate(ax: Any, label: Label, option: Option, fontsize: float) -> Any:
    (dx, dy), ha, va, distance = option
    reach = label.radius + distance
    leader = {"arrowstyle": "-", "color": "silver", "linewidth": 0.6} if distance > DISTANCES[0] else None
    note = ax.annotate(label.text, (label.x, label.y), xytext=(dx * reach, dy * reach), textcoords="offset points",
                       ha=ha, va=va, fontsize=fontsize, color="dimgrey", zorder=9, arrowprops=leader)  # fmt: skip
    note.set_in_layout(False)  # text inside the axes must not move the axes once placed
    return note


def place_labels(
    ax: Any, labels: Sequence[Label], *, lines: Sequence[Sequence[tuple[float, float]]] = (), fontsize: float = 6
) -> tuple[list[Any], list[Label]]:
    """Annotate each label where it overlaps no marker, no other label and no line of ``lines`` (polylines in data
    coordinates), else where it only crosses lines; a label that would cover a marker or text, or leave the axes,
    is left out. Returns the annotations and the labels left out (a crowded cluster is read in the tables)."""
    from matplotlib.text import Text

    rend = renderer(ax.figure)
    taken = _marker_boxes(ax, labels)
    lines_px = _line_pixels(ax, lines)
    inside = ax.get_window_extent(rend)
    placed, left_out = [], []
    for label in labels:
        best: tuple[int, Option, Any] | None = None
        for option in ((*d, r) for r in DISTANCES for d in DIRECTIONS):
            note = _annotate(ax, label, option, fontsize)
            note.update_positions(rend)
            box = Text.get_window_extent(note, rend).expanded(1.05, 1.1)  # the text alone, not its leader
            note.remove()
            cost = _cost(box, taken, lines_px, inside)
            if best is None or cost < best[0]:
                best = (cost, option, box)
            if cost == 0:
                break
        assert best is not None
        if best[0] >= HARD_COST:
            left_out.append(label)
            continue
        taken.append(best[2])
        placed.append(_annotate(ax, label, best[1], fontsize))
    return placed, left_out


def budget_axis(ax: Any, budgets: Sequence[float], *, fontsize: float = 7) -> Any:
    """Label the budgets on a top axis, outside the data, so no label covers a line or a point; budgets closer than
    one label's width share one label ("4.59, 4.61") at the first of them. Returns the top axis."""
    top = ax.secondary_xaxis("top")
    top.set_xlabel("latency budgets (ms)", fontsize=fontsize + 1, color="dimgrey")
    top.tick_params(labelsize=fontsize, colors="dimgrey", labelrotation=90)
    values = sorted(set(float(b) for b in budgets))
    if not values:
        top.set_xticks([])
        return top
    top.set_xticks(values, labels=[f"{v:.2f}" for v in values])
    renderer(ax.figure)  # settle the layout: pixel distances between budgets are only known now
    width_px = 1.6 * fontsize * ax.figure.dpi / 72.0  # a rotated label's width, with a gap
    groups: list[list[float]] = []
    for value in values:
        x_px = float(ax.transData.transform((value, 0.0))[0])
        if groups and x_px - float(ax.transData.transform((groups[-1][0], 0.0))[0]) < width_px:
            groups[-1].append(value)
        else:
            groups.append([value])
    top.set_xticks([g[0] for g in groups], labels=[", ".join(f"{v:.2f}" for v in g) for g in groups])
    return top
