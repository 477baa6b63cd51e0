"""The real stages end to end on a synthetic corpus (no shared data needed): tiny step counts, latency measured
live on this CPU, a kill during retraining, and the resume that redoes only what was not finished."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import torch

from hwnas.pipeline import parse_pipeline_config, run_pipeline
from hwnas.pipeline import pipeline as pipeline_module
from hwnas.pipeline.runner import StageContext
from hwnas.train.synthetic import write_reversal_corpus


@pytest.fixture(autouse=True)
def one_torch_thread() -> Iterator[None]:
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


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
        }
    )


def _interrupt(_ctx: StageContext) -> dict[str, Any]:
    raise KeyboardInterrupt


def test_pipeline_runs_resumes_after_a_kill_and_reports(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = _config(tmp_path)
    run = Path(config.run_dir)
    monkeypatch.setitem(pipeline_module.STAGE_FUNCTIONS, "retrain", _interrupt)
    with pytest.raises(KeyboardInterrupt):
        run_pipeline(config, quiet=True)
    assert sorted(p.parent.name for p in run.glob("*/stage.done")) == ["latency", "predictor", "search", "supernet"]
    checkpoint = Path(json.loads((run / "supernet" / "stage.done").read_text())["checkpoint"])
    before = {p: p.stat().st_mtime_ns for p in (checkpoint, run / "latency" / "latency.csv")}
    monkeypatch.undo()

    outcome = run_pipeline(config, quiet=True)
    assert outcome.skipped == ["supernet", "latency", "predictor", "search"]
    assert outcome.ran == ["retrain", "evaluate", "report"]
    assert {p: p.stat().st_mtime_ns for p in before} == before  # nothing finished was redone

    budgets = outcome.markers["predictor"]["budgets_ms"]
    assert len(budgets) == 2 and budgets[0] < budgets[1]
    summary = json.loads((run / "report" / "summary.json").read_text(encoding="utf-8"))
    assert summary["models"], "no budget found an arch"
    for model in summary["models"]:
        assert model["predicted_ms"] <= model["budget_ms"] + 1e-9  # the search respected its budget
        assert model["measured_ms"] > 0 and 0.0 <= model["bleu"] <= 100.0
        assert (run / "retrain" / model["arch_id"] / "checkpoints").is_dir()
    assert set(summary["figures"]) == {"bleu_vs_latency", "search_progress", "latency_parity", "training_curves"}
    assert (run / "report" / "report.md").is_file()
