"""The pure parts of benchmarks/hybrid_search.py: the schedule, the alternation, the summary and goal checks, the
step cache. (The benchmark itself trains, labels with the LLM and searches for ~40 minutes; it is not run here.)"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from hwnas.search.config import build_config

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def _load(name: str) -> ModuleType:
    sys.path.insert(0, str(BENCHMARKS))
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bench = _load("hybrid_search")
steps = _load("hybrid_search_steps")


SCHEDULES = [
    (30, "llm-distill:0-14,supernet:15-"),
    (10, "llm-distill:0-4,supernet:5-"),
    (3, "llm-distill:0-0,supernet:1-"),
]


@pytest.mark.parametrize(("iterations", "text"), SCHEDULES)
def test_schedule_is_half_and_half_and_valid_for_search(iterations: int, text: str) -> None:
    assert bench.schedule(iterations) == text
    config = build_config({"space": "tiny", "fitness_schedule": text, "iterations": iterations})
    assert [str(p) for p in config.schedule()] == text.split(",")
    with pytest.raises(ValueError, match="at least 2"):
        bench.schedule(1)


def test_modes_alternate_which_runs_first() -> None:
    assert [bench.mode_order(i)[0] for i in range(4)] == ["supernet", "hybrid", "supernet", "hybrid"]
    assert all(sorted(bench.mode_order(i)) == ["hybrid", "supernet"] for i in range(3))


def _run(search_s: float, bleu: float, loss: float = 2.0, evaluations: int = 100) -> dict:
    iterations = [search_s * 0.3, search_s * 0.2, search_s * 0.25, search_s * 0.25]
    counts = {"evaluations": evaluations}
    return {
        "search_s": search_s,
        "process_s": search_s + 4.0,
        "best_valid_loss": loss,
        "bleu": bleu,
        "iterations_s": iterations,
        "counts": counts,
        "phase_counts": [{"evaluations": 999}, counts],
    }


def test_summary_computes_ratios_and_goals() -> None:
    runs = {
        1: {"supernet": _run(60.0, 10.0), "hybrid": _run(30.0, 9.8, 2.01)},
        2: {"supernet": _run(40.0, 10.0), "hybrid": _run(24.0, 9.5)},
    }
    summary = bench.summarize(runs)
    assert summary["per_seed"][1]["ratio_search"] == pytest.approx(0.5)
    assert summary["per_seed"][2]["bleu_diff"] == pytest.approx(-0.5)
    goals = summary["goals"]
    assert goals["ratio_search_mean"] == pytest.approx(54 / 100) and goals["ratio_met"]
    assert goals["ratio_process_mean"] == pytest.approx(62 / 108)
    assert goals["bleu_diff_mean"] == pytest.approx(-0.35) and not goals["bleu_met"] and not goals["met"]
    assert goals["bleu_met_per_seed"] == {1: True, 2: False}
    table = bench.format_table(runs, summary)
    assert "| mean | hybrid | 27.0 |" in table and "0.540 -> met" in table and "-0.35 -> not met" in table
    drivers = summary["drivers"]
    assert drivers["per_seed"][1]["supernet_only_first_half_share"] == pytest.approx(0.5)
    assert drivers["mean"]["ratio_supernet_evaluations"] == pytest.approx(1.0)
    slow = {1: {"supernet": _run(60.0, 10.0, evaluations=200), "hybrid": _run(34.0, 10.0, evaluations=150)}}
    assert bench.summarize(slow)["drivers"]["per_seed"][1]["ratio_supernet_evaluations"] == pytest.approx(0.75)
    assert not bench.summarize(slow)["goals"]["ratio_met"] and bench.summarize(slow)["goals"]["bleu_met"]


def test_steps_are_cached_by_their_settings(tmp_path: Path) -> None:
    calls = []

    def compute() -> dict:
        calls.append(1)
        return {"value": len(calls)}

    path = tmp_path / "step.json"
    assert steps.cached(path, {"n": 3, "where": tmp_path}, compute) == {"value": 1, "reused": False}
    again = steps.cached(path, {"n": 3, "where": tmp_path}, compute)
    assert again["value"] == 1 and again["reused"] and again["measured_utc"].startswith("20")
    assert len(calls) == 1
    with pytest.raises(SystemExit, match=r"other settings \(n\)"):
        steps.cached(path, {"n": 4, "where": tmp_path}, compute)


def test_settings_from_flags_and_smoke(tmp_path: Path) -> None:
    flags = argparse.Namespace(
        work=tmp_path, train_steps=None, n=50, iterations=None, population=None, seeds=[7], constraint=["params<=9"]
    )
    settings = steps.Settings.from_args(flags, {})
    assert (settings.n, settings.seeds, settings.iterations, settings.smoke) == (50, (7,), 30, False)
    assert settings.constraints == ("params<=9",)
    smoke = steps.Settings.from_args(flags, steps.SMOKE)
    assert smoke.smoke and smoke.n == 50 and smoke.iterations == steps.SMOKE["iterations"]
    assert smoke.describe()["work"] == str(tmp_path) and smoke.describe()["space"] == "tiny"
