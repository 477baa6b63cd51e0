"""The real stages end to end on a synthetic corpus (no shared data needed): tiny step counts, latency measured
live on this CPU, a kill during retraining, and the resume that redoes only what was not finished. The re-measure
of the chosen archs goes through a fake measurer that puts the first one over budget, to see the fallback."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from hwnas.core.arch import Arch
from hwnas.pipeline import model_stages, parse_pipeline_config, run_pipeline
from hwnas.pipeline import pipeline as pipeline_module
from hwnas.pipeline.outputs import LatencyOutput
from hwnas.pipeline.runner import StageContext
from hwnas.spaces import get_space
from hwnas.train.synthetic import write_reversal_corpus


def _config(root: Path) -> Any:
    corpus = write_reversal_corpus(root / "corpus", train_pairs=300, valid_pairs=20)
    return parse_pipeline_config(
        {
            "run_dir": str(root / "run"),
            "space": "tiny",
            "device": "cpu",
            "training": {
                "data": {"corpus": None, **corpus, "vocab_size": 100},
                "optim": {"lr": 3e-3, "warmup_steps": 5, "max_tokens": 512},
                "run": {"max_steps": 10, "log_every": 5, "valid_every": 10, "threads": 1, "checkpoint_every": 5},
            },
            "supernet": {"max_steps": 15},
            "latency": {"archs": 8, "warmup": 0, "runs": 2, "threads": 1},
            "search": {
                "budget_quantiles": [0.3, 1.0],
                "iterations": 2,
                "population": 6,
                "parents": 2,
                "mutation_size": 2,
                "crossover_size": 2,
            },
            "retrain": {"max_steps": 10},
            "evaluate": {"split": None, "max_sentences": 8, "beam": 1},
            "baselines": ["uniform-shrink"],
        }
    )


def _interrupt(*_inputs: Any) -> Any:
    raise KeyboardInterrupt


def _first_arch_over_budget(_ctx: StageContext, _latency: LatencyOutput) -> Callable[[Arch], float]:
    """A measurer for which the first arch it sees (the tightest budget's search winner) is far too slow."""
    seen: list[str] = []

    def measure(arch: Arch) -> float:
        seen.append(arch.arch_id)
        return 1e6 if arch.arch_id == seen[0] else 1e-3

    return measure


def test_pipeline_runs_resumes_after_a_kill_and_reports(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = _config(tmp_path)
    run = Path(config.run_dir)
    monkeypatch.setattr(pipeline_module, "retrain_stage", _interrupt)
    monkeypatch.setattr(model_stages, "measurer", _first_arch_over_budget)
    with pytest.raises(KeyboardInterrupt):
        run_pipeline(config, quiet=True)
    assert sorted(p.parent.name for p in run.glob("*/stage.done")) == [
        "baselines",
        "latency",
        "predictor",
        "search",
        "supernet",
    ]
    checkpoint = Path(json.loads((run / "supernet" / "stage.done").read_text())["checkpoint"])
    before = {p: p.stat().st_mtime_ns for p in (checkpoint, run / "latency" / "latency.csv")}
    monkeypatch.undo()

    outcome = run_pipeline(config, quiet=True)
    assert outcome.ran == ["retrain", "evaluate", "report"]
    assert outcome.skipped == ["supernet", "latency", "predictor", "search", "baselines"]
    assert {p: p.stat().st_mtime_ns for p in before} == before  # nothing finished was redone

    budgets = [b.budget_ms for b in outcome.outputs.predictor.budgets]
    assert len(budgets) == 2 and budgets[0] < budgets[1]
    summary = json.loads((run / "report" / "summary.json").read_text(encoding="utf-8"))
    assert summary["models"], "no budget found an arch"
    predictor = outcome.outputs.predictor
    assert predictor.latency_margin == 0.05 and [b.limit_ms for b in predictor.budgets] == [b * 0.95 for b in budgets]
    assert [str(b.constraint) for b in predictor.budgets] == [f"latency<={b * 0.95!r}" for b in budgets]
    _check_models(run, summary)
    _check_report(run, summary)


def _check_models(run: Path, summary: dict[str, Any]) -> None:
    """Each budget's model kept the margin, was measured (the fake device), retrained and scored, next to a fairly
    chosen baseline; the tightest budget's first pick was over budget, so the next candidate was taken."""
    for model in summary["models"]:
        assert model["predicted_ms"] <= model["limit_ms"] + 1e-9  # the search kept the safety margin
        assert model["within_budget"] is True and model["measured_ms"] == 1e-3 and 0.0 <= model["bleu"] <= 100.0
        assert (run / "retrain" / model["arch_id"] / "checkpoints").is_dir()
        base = model["baselines"]["uniform-shrink"]
        assert base["bleu_gap"] == pytest.approx(model["bleu"] - base["bleu"])
        assert (run / "retrain" / base["arch_id"] / "checkpoints").is_dir()
        _check_fair_choice(base, model["budget_ms"], summary["baseline_candidates"]["uniform-shrink"])
    tightest = summary["models"][0]["latency_check"]
    assert tightest["fallback"] and [t["within_budget"] for t in tightest["tries"]] == [False, True]
    assert tightest["tries"][1]["arch_id"] == summary["models"][0]["arch_id"]  # the next candidate was taken


def _check_report(run: Path, summary: dict[str, Any]) -> None:
    """The reference, the goals, the verdict on the latency data and the report's sections and figures."""
    reference = summary["reference"]
    assert reference["arch_id"] == get_space("tiny").largest().arch_id and reference["bleu"] is not None
    assert set(summary["goals"]) == {"beats_baseline", "fastest_vs_largest"}
    verdict = summary["latency_reliability"]  # judged on the 8 archs measured here (noisy or not, it is said)
    assert verdict["reliable"] in (True, False) and verdict["figures"]["spearman_latency_flops"] is not None
    text = (run / "report" / "report.md").read_text(encoding="utf-8")
    assert "latency data" in text.split("## ")[0]
    assert "## Baseline: uniform-shrink" in text and "### Every uniform-shrink candidate" in text
    assert set(summary["figures"]) == {"bleu_vs_latency", "search_progress", "latency_parity", "training_curves"}
    assert (run / "report" / "report.md").is_file()


def _check_fair_choice(base: dict[str, Any], budget: float, table: dict[str, Any]) -> None:
    """Every candidate was measured live; the choice is the lowest supernet loss among those measured within the
    budget (or, when none is, the fastest, flagged)."""
    rows = table["candidates"]
    assert table["rule"] == "valid_loss" and len(rows) == 16 and table["measured"] == "all 16 candidates measured"
    assert all(r["measured_ms"] > 0 and r["valid_loss"] > 0 for r in rows)
    within = [r for r in rows if r["measured_ms"] <= budget]
    selection = base["selection"]
    assert selection["rule"] == "valid_loss" and selection["latency_basis"] == "measured"
    assert sorted(selection["within"]) == sorted(r["arch_id"] for r in within)
    if within:
        assert base["arch_id"] == min(within, key=lambda r: r["valid_loss"])["arch_id"] and base["within_budget"]
    else:
        assert base["arch_id"] == min(rows, key=lambda r: r["measured_ms"])["arch_id"]
        assert base["within_budget"] is False
