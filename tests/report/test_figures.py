"""The report's figures on synthetic edge cases, checked with matplotlib's own renderer extents: budget labels above
the axes and apart from each other, arch-id labels clear of markers and of each other, legends outside the axes,
one baseline arch for every budget said in the legend and drawn as a ring around the star, visible parity markers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hwnas.predictors import parity_plot
from hwnas.report.layout import renderer
from hwnas.report.plots import bleu_vs_latency, search_progress, training_curves

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
LARGEST = {"arch_id": "ffff0000aaaa", "measured_ms": 10.0, "bleu": 20.0}


def _base(arch_id: str, measured: float, bleu: float) -> dict[str, Any]:
    return {"arch_id": arch_id, "measured_ms": measured, "bleu": bleu}


def _rows(budgets: list[float], baseline: Any) -> list[dict[str, Any]]:
    """One searched model per budget (just under it); ``baseline(index, budget)`` gives that budget's baseline."""
    return [
        {"budget_ms": b, "arch_id": f"{i:x}a{i:x}a{i:x}a{i:x}a", "measured_ms": b - 0.04, "bleu": 15.0 + 0.3 * i,
         "baselines": {"uniform-shrink": baseline(i, b)}}
        for i, b in enumerate(budgets)
    ]  # fmt: skip


CLOSE_BUDGETS = [5.0, 5.05, 5.1, 5.2, 6.0, 6.03, 7.0, 9.0]
CASES = {
    "one arch, the largest": ([11.0, 12.0, 14.0], lambda i, b: _base(LARGEST["arch_id"], 10.0, 20.0)),
    "one budget": ([6.0], lambda i, b: _base("2c2c2c2c", 5.7, 16.9)),
    "many close budgets": (CLOSE_BUDGETS, lambda i, b: _base(f"{i % 3}d{i % 3}d{i % 3}d", 4.9 + 0.05 * (i % 3), 15.1)),
}


def _boxes(artists: list[Any], fig: Any) -> list[Any]:
    rend = renderer(fig)
    return [a.get_window_extent(rend) for a in artists if a.get_text()]


def _apart(boxes: list[Any]) -> bool:
    return not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1 :])


@pytest.mark.parametrize("case", list(CASES))
def test_bleu_vs_latency_labels_overlap_nothing(case: str, tmp_path: Path) -> None:
    budgets, baseline = CASES[case]
    drawn = bleu_vs_latency(_rows(budgets, baseline), budgets, tmp_path / "plot.png", reference=LARGEST)
    assert (tmp_path / "plot.png").read_bytes().startswith(PNG_SIGNATURE)
    top = drawn["budget_axis"]
    fig, ax = top.figure, top.axes
    axes_box = ax.get_window_extent(renderer(fig))
    budget_boxes = _boxes(top.get_xticklabels(), fig)
    assert budget_boxes and _apart(budget_boxes)
    assert all(box.y0 >= axes_box.y1 for box in budget_boxes)  # above the plot: on no dashed line, no point
    labels = [", ".join(t.get_text() for t in top.get_xticklabels())]
    assert all(f"{b:.2f}" in labels[0] for b in budgets)  # every budget named, close ones sharing a label
    from matplotlib.text import Text

    rend = renderer(fig)
    for note in drawn["id_labels"]:
        note.update_positions(rend)
    id_boxes = [Text.get_window_extent(note, rend) for note in drawn["id_labels"]]
    assert _apart(id_boxes) and all(axes_box.contains(b.x0, b.y0) and axes_box.contains(b.x1, b.y1) for b in id_boxes)
    points = [p for p in drawn["searched"] + [drawn["reference"]]]
    centres = ax.transData.transform([(x, y) for x, y, _ in points])
    for box in id_boxes:  # no id label covers the centre of a searched model or the star
        assert not any(box.x0 <= cx <= box.x1 and box.y0 <= cy <= box.y1 for cx, cy in centres)
    legend_box = ax.get_legend().get_window_extent(rend)
    assert legend_box.x0 >= axes_box.x1  # outside: covers no data
    placed = {n.get_text() for n in drawn["id_labels"]}
    assert len(placed) + len(drawn["ids_left_out"]) == len({p[2][:8] for p in points} | _baseline_ids(drawn))


def _baseline_ids(drawn: dict[str, Any]) -> set[str]:
    star = drawn["reference"][2]
    return {p[2][:8] for ps in drawn["baselines"].values() for p in ps if p[2] != star}


def test_one_baseline_arch_at_every_budget_is_said_and_ringed(tmp_path: Path) -> None:
    budgets, baseline = CASES["one arch, the largest"]
    drawn = bleu_vs_latency(_rows(budgets, baseline), budgets, tmp_path / "plot.png", reference=LARGEST)
    ax = drawn["budget_axis"].axes
    labels = ax.get_legend_handles_labels()[1]
    (label,) = [lab for lab in labels if lab.startswith("uniform-shrink baseline")]
    assert "the largest arch" in label and "at every budget" in label
    star = next(c for c in ax.collections if c.get_label() == "largest arch (reference)")
    ring = next(c for c in ax.collections if c.get_offsets().tolist() == [[10.0, 20.0]] and c is not star)
    assert ring.get_sizes()[0] > star.get_sizes()[0] and ring.get_zorder() > star.get_zorder()  # seen around it
    two_archs = _rows(budgets, lambda i, b: _base(f"{i % 2}b{i % 2}b", b - 0.5, 14.0))
    labels = bleu_vs_latency(two_archs, budgets, tmp_path / "two.png", reference=LARGEST)["budget_axis"].axes
    assert "uniform-shrink baseline (same budgets)" in labels.get_legend_handles_labels()[1]


def test_legends_sit_outside_the_axes_one_entry_per_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from matplotlib.figure import Figure

    saved: list[Any] = []
    original = Figure.savefig

    def keep(self: Any, *args: Any, **kwargs: Any) -> Any:
        saved.append(self)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", keep)
    curve = {"train": [(1, 5.0), (2, 4.0)], "valid": [(2, 4.2)]}
    runs = ["supernet", *[f"{i}e{i}e{i}e{i}e: searched {i}.00 ms; uniform-shrink {i}.00, 9.00 ms" for i in range(11)]]
    training_curves({run: curve for run in runs}, tmp_path / "curves.png")
    history = [{"iteration": i, "best": {"valid_loss": 5.0 - i}} for i in range(3)]
    search_progress({"latency <= 2.00 ms": history}, "valid_loss", tmp_path / "progress.png")
    for fig in saved:
        (ax,) = fig.axes
        rend = renderer(fig)
        assert ax.get_legend().get_window_extent(rend).x0 >= ax.get_window_extent(rend).x1
    curves_ax, progress_ax = (fig.axes[0] for fig in saved)
    labels = [t.get_text() for t in curves_ax.get_legend().get_texts()]
    assert labels == [*runs, "line: train loss", "square: valid loss"]  # one entry per run, not two
    assert {line.get_linestyle() for line in curves_ax.get_lines()} == {"-", "--"}  # the 11th run on: dashed
    assert all(float(t).is_integer() for t in progress_ax.get_xticks())  # iterations are whole numbers


def test_parity_markers_are_visible_for_a_handful_of_points(tmp_path: Path) -> None:
    """Two points must show as dots about 10 px across at 120 dpi (about 80 px each), not 4 px specks."""
    from matplotlib.image import imread

    image = imread(parity_plot([5.6, 9.2], [7.8, 6.5], tmp_path / "parity.png"))[..., :3]
    blue = (image[..., 2] - image[..., 0]) > 0.3  # matplotlib's C0 (the lines are black and grey)
    assert int(blue.sum()) >= 2 * 50
