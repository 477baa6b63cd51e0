"""The two goal checks: searched vs baseline by >= 0.5 BLEU per budget, fastest >= 2x faster than the largest with
<= 1 BLEU loss; measured latencies when all are measured, never a mix; unanswerable questions are None."""

from __future__ import annotations

from typing import Any

import pytest

from hwnas.pipeline.goals import add_best_in_budget, baseline_goal, pipeline_goals, speedup_goal


def _row(budget: float, bleu: float | None, base_bleu: float | None, measured: float | None, predicted: float) -> Any:
    return {
        "budget_ms": budget,
        "arch_id": f"a{budget}",
        "bleu": bleu,
        "measured_ms": measured,
        "predicted_ms": predicted,
        "baselines": {"uniform-shrink": None if base_bleu is None else {"bleu": base_bleu}},
    }


def test_baseline_goal_needs_every_budget_ahead_by_half_a_point() -> None:
    rows = [_row(1.0, 30.0, 29.4, 1.0, 1.0), _row(2.0, 31.0, 30.6, 2.0, 2.0)]
    goal = baseline_goal(rows, "uniform-shrink")
    assert [b["gap"] for b in goal["per_budget"]] == pytest.approx([0.6, 0.4])
    assert [b["met"] for b in goal["per_budget"]] == [True, False] and goal["met"] is False
    rows[1]["baselines"]["uniform-shrink"]["bleu"] = 30.0
    assert baseline_goal(rows, "uniform-shrink")["met"] is True
    rows[1]["baselines"]["uniform-shrink"] = None  # no baseline fitted that budget: cannot say
    assert baseline_goal(rows, "uniform-shrink")["met"] is None


def test_speedup_goal_uses_the_fastest_model_and_measured_latency() -> None:
    rows = [_row(1.0, 30.0, None, 4.0, 3.0), _row(2.0, 31.0, None, 6.0, 5.0)]
    reference = {"arch_id": "big", "bleu": 30.8, "measured_ms": 9.0, "predicted_ms": 10.0}
    goal = speedup_goal(rows, reference)
    assert goal["latency_kind"] == "measured" and goal["fastest_arch_id"] == "a1.0"
    assert goal["speedup"] == pytest.approx(2.25) and goal["bleu_loss"] == pytest.approx(0.8) and goal["met"] is True
    rows[0]["bleu"] = 29.0
    assert speedup_goal(rows, reference)["met"] is False  # 1.8 BLEU lost
    rows[0]["measured_ms"] = None  # one model unmeasured: all predicted, never a mix
    mixed = speedup_goal(rows, reference)
    assert mixed["latency_kind"] == "predicted" and mixed["speedup"] == pytest.approx(10.0 / 3.0)
    assert speedup_goal(rows, None)["met"] is None
    assert speedup_goal(rows, {**reference, "bleu": None})["met"] is None


def test_no_baselines_no_goals() -> None:
    assert pipeline_goals([_row(1.0, 30.0, 29.0, 1.0, 1.0)], None, []) == {}
    goals = pipeline_goals([_row(1.0, 30.0, 29.0, 1.0, 1.0)], None, ["uniform-shrink"])
    assert goals["beats_baseline"]["uniform-shrink"]["met"] is True and goals["fastest_vs_largest"]["met"] is None


def test_goal_compares_with_a_better_retrained_model_of_the_family_within_the_budget() -> None:
    """The chosen baseline ranks best by supernet loss; when the largest arch (retrained as the reference) fits the
    loose budget too and scored more BLEU, question 1 is asked against it; over-budget models never count."""
    rows = [_row(2.0, 30.0, 29.0, 2.0, 2.0), _row(4.0, 32.0, 31.0, 4.0, 4.0)]
    rows[0]["baselines"]["uniform-shrink"].update(arch_id="small", measured_ms=1.9)
    rows[1]["baselines"]["uniform-shrink"].update(arch_id="mid", measured_ms=3.0)
    reference = {"arch_id": "big", "bleu": 31.8, "measured_ms": 3.9}
    add_best_in_budget(rows, reference, {"uniform-shrink": {"small", "mid", "big"}})
    assert "best_in_budget" not in rows[0]["baselines"]["uniform-shrink"]  # "big" measures 3.9 > 2.0
    better = rows[1]["baselines"]["uniform-shrink"]["best_in_budget"]
    assert better == {"arch_id": "big", "bleu": 31.8, "measured_ms": 3.9, "role": "the largest arch (reference)"}
    goal = baseline_goal(rows, "uniform-shrink")
    assert [b["baseline_arch_id"] for b in goal["per_budget"]] == ["small", "big"]
    assert goal["per_budget"][1]["gap"] == pytest.approx(0.2) and goal["met"] is False  # vs "mid" it was 1.0
    outsider = [_row(4.0, 32.0, 31.0, 4.0, 4.0)]
    outsider[0]["baselines"]["uniform-shrink"].update(arch_id="mid", measured_ms=3.0)
    add_best_in_budget(outsider, reference, {"uniform-shrink": {"mid"}})  # "big" not of the family: ignored
    assert "best_in_budget" not in outsider[0]["baselines"]["uniform-shrink"]


def test_goals_are_not_assessable_on_unreliable_latency_data() -> None:
    rows = [_row(1.0, 30.0, 29.0, 1.0, 1.0), _row(2.0, 31.0, 29.5, 2.0, 2.0)]
    reference = {"arch_id": "big", "bleu": 31.0, "measured_ms": 0.9, "predicted_ms": 10.0}  # "fastest" big arch
    noisy = {"reliable": False, "reasons": ["the predictor's held-out MAPE is 71% (limit 20%)"]}
    goals = pipeline_goals(rows, reference, ["uniform-shrink"], noisy)
    for goal in (goals["beats_baseline"]["uniform-shrink"], goals["fastest_vs_largest"]):
        assert goal["met"] is None and goal["assessable"] is False
        assert "MAPE is 71%" in goal["not_assessable_because"]
    assert goals["beats_baseline"]["uniform-shrink"]["per_budget"][0]["gap"] == pytest.approx(1.0)  # numbers kept
    quiet = pipeline_goals(rows, reference, ["uniform-shrink"], {"reliable": True, "reasons": []})
    assert quiet["beats_baseline"]["uniform-shrink"]["met"] is True and quiet["fastest_vs_largest"]["met"] is False
    assert quiet["fastest_vs_largest"]["assessable"] is True
