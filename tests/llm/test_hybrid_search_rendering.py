"""The hybrid-search section of the README and docs/llm.md: every committed result renders (whatever the shape its
JSON was written in), smoke runs are left out, and the limits are worded from the figures."""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from typing import Any

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
if str(BENCHMARKS) not in sys.path:
    sys.path.insert(0, str(BENCHMARKS))
hybrid = importlib.import_module("rendering.hybrid")


def _search(search_s: float, loss: float, bleu: float, arch: str, evaluations: int = 100) -> dict[str, Any]:
    counts = {"evaluations": evaluations}
    return {
        "search_s": search_s,
        "process_s": search_s + 3.0,
        "best_valid_loss": loss,
        "bleu": bleu,
        "best_arch_id": arch,
        "iterations_s": [search_s / 2, search_s / 2],
        "phases_s": [search_s / 2, search_s / 2],
        "counts": counts,
        "phase_counts": [{"evaluations": 5}, counts],
    }


def _result(runs: dict[str, dict[str, Any]], *, constraints: list[str], smoke: bool = False) -> dict[str, Any]:
    labelling = {
        "labels": {"labels": 80, "distinct": 2},
        "result": {
            "llm": {"model": "embedded:SmolLM2-135M-Instruct-Q4_1"},
            "labels": {"regressor_choice": "gbdt"},
            "fit_on_demonstrations": {"kendall": -0.2},
        },
    }
    loads = {f"{mode}-s{seed}": 1.5 for seed, by_mode in runs.items() for mode in by_mode}
    return {
        "machine": {"cpu_count": 2},
        "settings": {"constraints": constraints, "smoke": smoke, "schedule": "llm-distill:0-0,supernet:1-"},
        "load_average": {"at_search_start": loads},
        "one_off": {"llm_labelling": labelling},
        "runs": runs,
    }


def _write(folder: Path, name: str, data: dict[str, Any]) -> None:
    (folder / name).write_text(json.dumps(data), encoding="utf-8")


@pytest.fixture
def results(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A results folder with a first-shape constrained run (mode ``hybrid``), a newer unconstrained run whose
    searches all ended at one arch, and a smoke run, which is never rendered."""
    legacy = {
        str(s): {"supernet": _search(20, 3.26, 10.4, "a"), "hybrid": _search(26, 3.40, 10.3, f"b{s}")} for s in (1, 2)
    }
    same = {
        str(s): {"supernet": _search(60, 3.19, 11.6, "c"), "hybrid-llm": _search(45, 3.19, 11.6, "c")} for s in (1, 2)
    }
    _write(tmp_path, "hybrid_search_constrained-20261122T201202Z.json", _result(legacy, constraints=["params<=9"]))
    _write(tmp_path, "hybrid_search-20261122T223414Z.json", _result(same, constraints=[]))
    _write(tmp_path, "hybrid_search-20261201T000000Z.json", _result(same, constraints=[], smoke=True))
    monkeypatch.setattr(hybrid, "RESULTS", tmp_path)
    monkeypatch.setattr(hybrid, "relative", lambda path: path.name)
    return tmp_path


def test_every_run_renders_one_row_newest_first_and_smoke_runs_are_left_out(results: Path) -> None:
    found = hybrid.hybrid_runs()
    assert [run.path.name for run in found] == [
        "hybrid_search-20261122T223414Z.json",
        "hybrid_search_constrained-20261122T201202Z.json",
    ]
    rows = [line for line in hybrid.hybrid_history(found) if line.startswith("| `")]
    assert len(rows) == 2
    assert "| unconstrained |" in rows[0] and "not informative (+0.00) |" in rows[0]
    assert "| 0.750 / - / - |" in rows[0] and "1 of 4 (1 arch id); LLM hybrid elsewhere in 0/2 seeds" in rows[0]
    assert "| `params<=9` |" in rows[1] and "| 1.300 / - / - |" in rows[1] and "met (-0.10) |" in rows[1]
    assert "| 10.40 / 10.30 / - / - |" in rows[1] and "2 of 4 (3 arch ids)" in rows[1]
    assert "SmolLM2-135M-Instruct-Q4_1, 2 distinct of 80" in rows[1]


def test_the_newest_run_is_shown_in_full_with_its_problem(results: Path) -> None:
    text = "\n".join(hybrid.hybrid_search())
    assert "LLM labels from embedded:SmolLM2-135M-Instruct-Q4_1; `hybrid_search-20261122T223414Z.json`" in text
    assert "Problem: unconstrained." in text and "| 1 | hybrid, LLM-distilled | 45.0 |" in text
    assert "BLEU within 0.3 of supernet-only: +0.00 -> not informative" in text


def test_the_limits_are_worded_from_the_runs(results: Path) -> None:
    text = "\n".join(hybrid.limits(hybrid.hybrid_runs()))
    assert "a 135M-parameter model" in text and "2 distinct values per run" in text and "tau -0.20" in text
    assert "1 of 2 runs ended every search at one model (unconstrained)" in text
    assert "in 1 (`params<=9`) the searches ended at 2 distinct models" in text
    assert "2-core machine whose 1-min load at their starts was 1.5 (above 1" in text
    assert "No committed runs used a GPU supernet" in text and "supernet-BLEU reference (wall-clock ratio -)" in text


def test_no_results_render_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hybrid, "RESULTS", tmp_path)
    assert hybrid.hybrid_search() == [] and hybrid.hybrid_history() == []


def test_every_committed_result_renders_a_row() -> None:
    committed = [p for prefix in hybrid.PREFIXES for p in hybrid.RESULTS.glob(f"{prefix}-2*.json")]
    rows = [line for line in hybrid.hybrid_history() if line.startswith("| `")]
    assert len(rows) == len(hybrid.hybrid_runs()) and len(rows) >= len(committed) - 1  # at most a smoke run less
    assert all(f"`{run.path.name}`" in row for run, row in zip(hybrid.hybrid_runs(), rows, strict=True))


@pytest.mark.parametrize(
    ("model", "size"),
    [("embedded:SmolLM2-135M-Instruct-Q4_1", "135M"), ("Qwen2.5-1.5B-Instruct", "1.5B"), ("gpt-4o", None)],
)
def test_model_size_is_read_from_the_name(model: str, size: str | None) -> None:
    assert hybrid.model_size(model) == size


def test_varied_labels_are_not_called_random_steering(results: Path) -> None:
    found = hybrid.hybrid_runs()
    assert "close to random steering" in hybrid.limits(found)[2]
    found[0].data["one_off"]["llm_labelling"]["labels"]["distinct"] = hybrid.WEAK_LABELS + 1
    text = hybrid.limits(found)[2]
    assert "close to random steering" not in text and "Labels this varied can steer phase 1" in text
