"""The report builder on a synthetic run directory: summary values, Markdown table and the pipeline's sections
(budgets, baselines with every candidate, goals), the BLEU-vs-latency plot's artists, PNGs, partial runs, the CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from hwnas.cli import pipeline_cmd
from hwnas.core.errors import DataError
from hwnas.pipeline.summary_table import baseline_rows, goal_lines
from hwnas.report import build_report, summarize
from hwnas.report.builder import _role_label, _roles, training_logs
from hwnas.report.plots import draw_bleu_vs_latency, pareto_front
from hwnas.report.sections import pipeline_sections

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
BUDGETS = [2.0, 4.0]
SELECTION = {"rule": "valid_loss", "latency_basis": "measured", "reason": "lowest supernet validation loss among 1"}
BASE_A = {"arch_id": "cccc3333", "measured_ms": 1.8, "bleu": 9.0, "bleu_gap": 1.0, "params": 2e6, "valid_loss": 3.7,
          "within_budget": True, "selection": SELECTION}  # fmt: skip
BETTER = {"arch_id": "eeee5555", "bleu": 15.0, "measured_ms": 3.95, "role": "the largest arch (reference)"}
BASE_B = {"arch_id": "dddd4444", "measured_ms": 3.9, "bleu": 13.0, "bleu_gap": 1.5, "params": 5e6, "valid_loss": 3.3,
          "within_budget": True, "selection": SELECTION, "best_in_budget": BETTER}  # fmt: skip
MODELS = [
    {"budget_ms": 2.0, "arch_id": "aaaa1111", "predicted_ms": 1.9, "measured_ms": 2.1, "valid_loss": 3.5, "bleu": 10.0,
     "baselines": {"uniform-shrink": BASE_A}},
    {"budget_ms": 4.0, "arch_id": "bbbb2222", "predicted_ms": 3.8, "measured_ms": 3.6, "valid_loss": 3.1, "bleu": 14.5,
     "baselines": {"uniform-shrink": BASE_B}},
]  # fmt: skip
REFERENCE = {"arch_id": "eeee5555", "predicted_ms": 4.1, "measured_ms": 3.95, "bleu": 15.0}
PER_BUDGET = [  # at 4 ms the goal compares with the better in-budget model: -0.50 there, not BASE_B's own +1.50
    {"budget_ms": 2.0, "gap": 1.0, "baseline_arch_id": "cccc3333", "chosen_arch_id": "cccc3333",
     "baseline_role": "the chosen baseline"},
    {"budget_ms": 4.0, "gap": -0.5, "baseline_arch_id": "eeee5555", "chosen_arch_id": "dddd4444",
     "baseline_role": BETTER["role"]},
]  # fmt: skip
GOALS = {"beats_baseline": {"uniform-shrink": {"margin_bleu": 0.5, "met": False, "per_budget": PER_BUDGET}}}


def _candidate(arch_id: str, measured: float, loss: float) -> dict[str, Any]:
    shrink = {"encoder_embed_dim": 64, "decoder_layer_num": 1}
    return {"arch_id": arch_id, "arch": {"genes": "..."}, "shrink": shrink, "params": 1e6, "flops": 2e6,
            "predicted_ms": measured * 1.5, "measured_ms": measured, "valid_loss": loss}  # fmt: skip


CANDIDATES = {"uniform-shrink": {"baseline": "uniform-shrink", "rule": "valid_loss", "measured": "all 3 candidates "
              "measured", "candidates": [_candidate("dddd4444", 3.9, 3.3), _candidate("cccc3333", 1.8, 3.7),
              _candidate("ffff6666", 7.0, 3.0)]}}  # fmt: skip


def _write(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")


def _log(steps: list[int], start: float) -> str:
    records = [{"event": "train", "step": s, "loss": start - 0.01 * s} for s in steps]
    records.append({"event": "valid", "step": steps[-1], "valid_loss": {"largest": start - 0.5, "smallest": 9.0}})
    return "".join(json.dumps(r) + "\n" for r in records)


def _history(losses: list[float]) -> list[dict[str, Any]]:
    return [{"iteration": i, "evaluations": 10 * (i + 1), "best": {"valid_loss": v}} for i, v in enumerate(losses)]


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    """Every file the report reads, as a finished pipeline leaves them (values made up, known)."""
    _write(tmp_path / "supernet" / "stage.done", {"stage": "supernet", "wall_s": 100.0})
    _write(tmp_path / "supernet" / "train_log.jsonl", _log([10, 20, 30], 6.0))
    _write(tmp_path / "latency" / "stage.done", {"stage": "latency", "wall_s": 20.0, "source": "measure"})
    check = {"in_sample": False, "mape": 0.04, "kendall": 0.8, "n": 3}
    _write(tmp_path / "predictor" / "stage.done", {"wall_s": 1.0, "check": check, "budgets_ms": BUDGETS})
    _write(tmp_path / "predictor" / "parity.csv", "measured_ms,predicted_ms\n1.0,1.1\n2.0,1.9\n3.0,3.2\n")
    for index, losses in enumerate(([4.0, 3.7, 3.5], [3.6, 3.1])):
        _write(tmp_path / "search" / f"budget-{index}" / "result.json", {"history": _history(losses)})
    _write(tmp_path / "search" / "stage.done", {"wall_s": 30.0})
    _write(tmp_path / "baselines" / "stage.done", {"wall_s": 9.0, "candidates": CANDIDATES})
    for model in MODELS:
        _write(tmp_path / "retrain" / str(model["arch_id"]) / "train_log.jsonl", _log([5, 10], 5.0))
    _write(tmp_path / "retrain" / "stage.done", {"wall_s": 50.0})
    _write(tmp_path / "evaluate" / "results.json", [*MODELS, {"budget_ms": 0.5, "arch_id": None}])
    _write(tmp_path / "evaluate" / "comparison.json", {"reference": REFERENCE, "goals": GOALS})
    _write(tmp_path / "evaluate" / "stage.done", {"wall_s": 5.0})
    return tmp_path


def test_pareto_front_keeps_only_non_dominated_points() -> None:
    points = [(3.0, 12.0), (1.0, 8.0), (2.0, 7.0), (4.0, 12.0), (5.0, 15.0)]
    assert pareto_front(points) == [(1.0, 8.0), (3.0, 12.0), (5.0, 15.0)]


def test_summary_holds_the_run_facts(run_dir: Path) -> None:
    summary = summarize(run_dir)
    assert summary["stages_done"] == ["supernet", "latency", "predictor", "search", "baselines", "retrain", "evaluate"]
    assert summary["budgets_ms"] == BUDGETS and summary["models"] == MODELS
    assert summary["budgets_without_model"] == [0.5]
    assert summary["predictor"]["mape"] == 0.04 and summary["wall_s"]["supernet"] == 100.0
    assert summary["reference"] == REFERENCE and summary["goals"] == GOALS
    table = summary["baseline_candidates"]["uniform-shrink"]
    assert table["rule"] == "valid_loss" and [r["measured_ms"] for r in table["candidates"]] == [3.9, 1.8, 7.0]
    assert all("arch" not in r for r in table["candidates"])  # ids and shrunk values, not whole gene dicts
    roles = _roles(summary)  # what each training curve is, for its legend
    assert roles == {
        "aaaa1111": ["searched 2.00 ms"],
        "cccc3333": ["uniform-shrink 2.00 ms"],
        "bbbb2222": ["searched 4.00 ms"],
        "dddd4444": ["uniform-shrink 4.00 ms"],
        "eeee5555": ["largest"],
    }
    assert _role_label("retrain cccc3333", roles) == "cccc3333: uniform-shrink 2.00 ms"
    assert _role_label("supernet", roles) == "supernet"
    one_arch = [{**row, "baselines": {"uniform-shrink": {"arch_id": "eeee5555"}}} for row in MODELS]
    grouped = _roles({"models": one_arch, "reference": REFERENCE})  # one legend entry, budgets grouped
    assert _role_label("retrain eeee5555", grouped) == "eeee5555: uniform-shrink 2.00, 4.00 ms; largest"
    curves = training_logs(run_dir)
    assert set(curves) == {"supernet", "retrain aaaa1111", "retrain bbbb2222"}
    assert curves["supernet"]["train"] == [(10, 5.9), (20, 5.8), (30, 5.7)]
    assert curves["supernet"]["valid"] == [(30, 5.5)]  # the largest subnet's loss


def test_build_report_writes_markdown_json_and_pngs(run_dir: Path) -> None:
    report = build_report(run_dir)
    out = run_dir / "report"
    assert report == out / "report.md"
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    expected = ["bleu_vs_latency", "search_progress", "latency_parity", "training_curves"]
    assert list(summary["figures"]) == expected
    for name in summary["figures"].values():
        data = (out / name).read_bytes()
        assert data.startswith(PNG_SIGNATURE) and len(data) > 10_000
    text = report.read_text(encoding="utf-8")
    assert "| 2.00 | `aaaa1111` | 1.90 | 2.10 | 3.500 | 10.00 |" in text
    assert "| 0.50 | (no arch met the budget)" in text
    assert "held-out, n=3): MAPE 4.00%" in text
    assert all(f"]({name})" in text for name in summary["figures"].values())
    assert "| 2.00 | 10.00 | `cccc3333` | 2.00M | 3.700 | 1.80 | yes | 9.00 | +1.00 | lowest supernet" in text
    assert "- At 4.00 ms, the largest arch (reference) (`eeee5555`, measured 3.95 ms) is within the budget too" in text
    gaps = "2.00 ms: +1.00, 4.00 ms: -0.50 vs the largest arch (reference)"
    assert f"at every budget: **no** (gap per budget: {gaps})." in text
    assert "| 4.00 | 14.50 | `dddd4444` | 5.00M | 3.300 | 3.90 | yes | 13.00 | -0.50 vs the largest arch (ref" in text
    assert "## Latency budgets on the device" in text and "## Goals" in text and "the largest arch `eeee5555`" in text
    candidates = text[text.index("### Every uniform-shrink candidate (all 3 candidates measured)") :]
    assert candidates.index("`cccc3333`") < candidates.index("`dddd4444`") < candidates.index("`ffff6666`")
    assert "| `cccc3333` | 64 | 1 | 1.00M | 2.70 | 1.80 | 3.700 | 2.00 |" in candidates  # chosen for 2 ms
    assert "| `ffff6666` | 64 | 1 | 1.00M | 10.50 | 7.00 | 3.000 | - |" in candidates
    assert text.index("## Baseline: uniform-shrink") < text.index("## Goals") < text.index("## BLEU vs latency")


def test_bleu_vs_latency_draws_searched_baselines_reference_and_budgets() -> None:
    from matplotlib.figure import Figure
    from matplotlib.markers import MarkerStyle

    ax = Figure().add_subplot()
    drawn = draw_bleu_vs_latency(ax, MODELS, BUDGETS, REFERENCE)
    assert drawn["latency_kind"] == "measured"
    assert drawn["searched"] == [(2.1, 10.0, "aaaa1111"), (3.6, 14.5, "bbbb2222")]
    assert drawn["baselines"] == {"uniform-shrink": [(1.8, 9.0, "cccc3333"), (3.9, 13.0, "dddd4444")]}
    assert drawn["reference"] == (3.95, 15.0, "eeee5555")
    handles, labels = ax.get_legend_handles_labels()
    assert labels == ["searched (one per budget)", "Pareto front of the searched", "uniform-shrink baseline "
                      "(same budgets)", "largest arch (reference)", "latency budgets"]  # fmt: skip
    by_label = dict(zip(labels, handles, strict=True))
    offsets = by_label["uniform-shrink baseline (same budgets)"].get_offsets().tolist()
    assert offsets == [[1.8, 9.0], [3.9, 13.0]]
    assert by_label["largest arch (reference)"].get_offsets().tolist() == [[3.95, 15.0]]
    for label, marker in (("largest arch (reference)", "*"), ("uniform-shrink baseline (same budgets)", "s")):
        style = MarkerStyle(marker)
        expected = style.get_path().transformed(style.get_transform()).vertices
        assert by_label[label].get_paths()[0].vertices.tolist() == expected.tolist()
    assert [line.get_xdata()[0] for line in ax.get_lines() if line.get_linestyle() == "--"] == BUDGETS
    assert [t.get_text() for t in ax.get_legend().get_texts()] == labels
    unmeasured = [{**MODELS[0], "measured_ms": None}, MODELS[1]]  # one model unmeasured: all predicted, no mix
    assert draw_bleu_vs_latency(Figure().add_subplot(), unmeasured, BUDGETS, None)["latency_kind"] == "predicted"


def test_partial_run_gets_the_figures_it_can(tmp_path: Path) -> None:
    _write(tmp_path / "supernet" / "stage.done", {"wall_s": 3.0})
    _write(tmp_path / "supernet" / "train_log.jsonl", _log([1, 2], 7.0))
    report = build_report(tmp_path)
    summary = json.loads((tmp_path / "report" / "summary.json").read_text(encoding="utf-8"))
    assert list(summary["figures"]) == ["training_curves"] and summary["models"] == []
    assert "Stages done: supernet" in report.read_text(encoding="utf-8")


def test_missing_run_dir_is_a_domain_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="does not exist"):
        build_report(tmp_path / "nope")


def test_report_command_prints_table_or_just_the_path(run_dir: Path) -> None:
    app = typer.Typer()
    pipeline_cmd.register(app)
    runner = CliRunner()
    quiet = runner.invoke(app, ["report", str(run_dir), "--quiet"])
    assert quiet.exit_code == 0 and quiet.output.strip() == str(run_dir / "report" / "report.md")
    loud = runner.invoke(app, ["report", str(run_dir)])
    assert loud.exit_code == 0 and "aaaa1111" in loud.output and "14.50" in loud.output
    missing = runner.invoke(app, ["report", str(run_dir / "nope")])
    assert missing.exit_code == 2


def test_gap_column_and_goal_line_print_the_same_gap(run_dir: Path) -> None:
    """At 4 ms the chosen baseline's own gap (+1.50, stored with the row) and goal 1's (-0.50, against a better
    in-budget model) differ; the baseline tables and the goal lines, in the report and on the console, all print
    goal 1's."""
    text = build_report(run_dir).read_text(encoding="utf-8")
    table = text[text.index("## Baseline: uniform-shrink") : text.index("### Every")].splitlines()
    cells = [line.split(" | ")[8] for line in table if line.startswith(("| 2.00 |", "| 4.00 |"))]
    assert cells == ["+1.00", "-0.50 vs the largest arch (reference)"]
    (goal,) = [line for line in text.splitlines() if "same-latency uniform-shrink" in line]
    assert "(gap per budget: 2.00 ms: +1.00, 4.00 ms: -0.50 vs the largest arch (reference))" in goal
    assert [row[5] for row in baseline_rows(run_dir)["uniform-shrink"]] == ["+1.00", "-0.50 vs eeee5555"]
    console = [line for line in goal_lines(run_dir) if "uniform-shrink" in line]
    assert console == [goal.removeprefix("- ").replace("**no**", "NO")]  # one wording, the verdict rendered apart


def test_one_arch_for_every_budget_is_said() -> None:
    def note(models: list[dict[str, Any]]) -> list[str]:
        lines = pipeline_sections({"models": models, "reference": REFERENCE})
        return [line for line in lines if line.startswith("Every budget chose")]

    largest = [{**row, "baselines": {"uniform-shrink": {**BASE_A, "arch_id": "eeee5555"}}} for row in MODELS]
    assert note(largest) == [
        "Every budget chose the same uniform-shrink arch, `eeee5555` (the largest arch, the reference): this "
        "baseline is one model, one marker in the BLEU-vs-latency plot."
    ]
    same = [{**row, "baselines": {"uniform-shrink": BASE_A}} for row in MODELS]
    assert note(same)[0].startswith("Every budget chose the same uniform-shrink arch, `cccc3333`: this baseline")
    assert note(MODELS) == [] and note(largest[:1]) == []  # two archs; one budget only
    none_fits = [*largest, {**MODELS[1], "budget_ms": 1.0, "baselines": {"uniform-shrink": None}}]
    assert note(none_fits) == []  # a budget where no baseline fits did not choose that arch
