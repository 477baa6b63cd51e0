"""The fair uniform-shrink baseline: chosen by measured latency, not predicted. A fake measurer stands in for the
device; with a predictor that over-estimates big archs, the choice must be the best (largest / lowest supernet loss)
arch *measured* within the budget, not the smaller one the prediction points at. Measurements are cached on disk,
so the stage resumes without measuring twice."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from hwnas.core.arch import Arch
from hwnas.pipeline import baseline_stage, parse_pipeline_config
from hwnas.pipeline.baseline_choice import (
    MEASURE_ALL_UP_TO,
    PREDICTED_WINDOW,
    JsonlCache,
    choose_baseline,
    measure_plan,
)
from hwnas.pipeline.baselines import uniform_shrink
from hwnas.pipeline.latency_stages import latency_stage, predictor_stage
from hwnas.pipeline.outputs import LatencyOutput, PredictorOutput, SupernetOutput
from hwnas.pipeline.runner import StageContext
from hwnas.spaces import get_space


def _row(arch_id: str, params: float, predicted: float, measured: float | None, loss: float | None = None) -> Any:
    return {"arch_id": arch_id, "arch": {"id": arch_id}, "params": params, "flops": 2 * params,
            "predicted_ms": predicted, "measured_ms": measured, "valid_loss": loss}  # fmt: skip


# The predictor over-estimates the big ones: "big" is predicted 9 ms but measures 4.
ROWS = [
    _row("big", 9e6, 9.0, 4.0, loss=3.2),
    _row("mid", 5e6, 6.0, 3.5, loss=3.1),
    _row("small", 2e6, 3.0, 2.5, loss=3.6),
    _row("tiny", 1e6, 1.5, 1.4, loss=3.9),
]


def test_largest_measured_within_budget_wins_over_the_predicted_choice() -> None:
    chosen = choose_baseline(ROWS, budget_ms=5.0, limit_ms=4.75, rule="params")
    assert chosen is not None and chosen["arch_id"] == "big"  # measured 4.0 <= 5.0, though predicted 9.0
    assert chosen["within_budget"] is True and chosen["measured_ms"] == 4.0
    selection = chosen["selection"]
    assert selection["latency_basis"] == "measured" and selection["within"] == ["big", "mid", "small", "tiny"]
    assert selection["reason"] == "most params of the 4 of 4 measured within 5.00 ms"
    unmeasured = [{**r, "measured_ms": None} for r in ROWS]  # what a predicted-latency choice would take
    assert choose_baseline(unmeasured, budget_ms=5.0, limit_ms=4.75, rule="params")["arch_id"] == "small"


def test_valid_loss_rule_and_budget_edges() -> None:
    by_loss = choose_baseline(ROWS, budget_ms=5.0, limit_ms=4.75, rule="valid_loss")
    assert by_loss["arch_id"] == "mid" and by_loss["selection"]["within"][0] == "mid"  # lowest loss, not largest
    assert by_loss["metrics"]["valid_loss"] == 3.1
    assert choose_baseline(ROWS, budget_ms=3.0, limit_ms=2.85, rule="valid_loss")["arch_id"] == "small"
    tight = choose_baseline(ROWS, budget_ms=1.0, limit_ms=0.95, rule="params")
    assert tight["arch_id"] == "tiny" and tight["within_budget"] is False  # none fits: the fastest, flagged
    assert "no candidate measured within" in tight["selection"]["reason"]
    predicted_only = [{**r, "measured_ms": None} for r in ROWS]
    assert choose_baseline(predicted_only, budget_ms=1.0, limit_ms=0.95, rule="params") is None
    partly = [ROWS[0], {**ROWS[1], "measured_ms": None}]  # outside the measured window: never chosen
    assert choose_baseline(partly, budget_ms=5.0, limit_ms=4.75, rule="valid_loss")["arch_id"] == "big"


def test_measure_plan_measures_small_families_whole_and_windows_large_ones() -> None:
    wanted, plan = measure_plan([1.0, 50.0, 3.0], [2.0])
    assert wanted == [True, True, True] and plan == "all 3 candidates measured"
    predicted = [float(i) for i in range(MEASURE_ALL_UP_TO + 6)]
    wanted, plan = measure_plan(predicted, [10.0, 20.0])
    assert wanted == [p <= PREDICTED_WINDOW * 20.0 for p in predicted] and "predicted <= 1.5 x" in plan


def test_jsonl_cache_survives_a_cut_line(tmp_path: Path) -> None:
    cache = JsonlCache(tmp_path / "c.jsonl")
    assert cache.get_or_compute("a", lambda: 1.5) == 1.5
    with (tmp_path / "c.jsonl").open("a", encoding="utf-8") as handle:
        handle.write('{"key": "b", "val')  # a kill mid-write
    again = JsonlCache(tmp_path / "c.jsonl")
    assert again.values == {"a": 1.5}
    assert again.get_or_compute("a", lambda: pytest.fail("recomputed")) == 1.5


class OverEstimated:
    """A device on which archs run faster than predicted, the more so the bigger they are; counts its calls."""

    def __init__(self, predicted: dict[str, float], params: dict[str, float]) -> None:
        self.predicted, self.params, self.calls = predicted, params, 0
        self.top = max(params.values())

    def __call__(self, arch: Arch) -> float:
        self.calls += 1
        return self.predicted[arch.arch_id] / (1.0 + self.params[arch.arch_id] / self.top)


def _stage_inputs(tmp_path: Path) -> tuple[StageContext, SupernetOutput, LatencyOutput, PredictorOutput]:
    config = parse_pipeline_config(
        {"run_dir": str(tmp_path), "space": "hat-wmt14ende", "latency": {"source": "predictor",
         "predictor_file": "shipped"}, "search": {"budgets_ms": [400.0, 600.0]}, "baselines": ["uniform-shrink"]}
    )  # fmt: skip
    ctx = StageContext(config=config, run_dir=tmp_path, quiet=True)
    latency = latency_stage(ctx)
    supernet = SupernetOutput(str(tmp_path / "no-supernet.pt"))  # no supernet at hand: ranked by params
    return ctx, supernet, latency, predictor_stage(ctx, latency)


def _patch(monkeypatch: pytest.MonkeyPatch, device: OverEstimated) -> None:
    factory: Callable[[StageContext, LatencyOutput], Any] = lambda _ctx, _latency: device  # noqa: E731
    monkeypatch.setattr(baseline_stage, "measurer", factory)


def test_stage_measures_every_candidate_once_and_picks_fairly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ctx, *inputs = _stage_inputs(tmp_path)
    predictor_file = inputs[2].predictor_file
    space = get_space("hat-wmt14ende")
    rows = baseline_stage._rows(predictor_file, uniform_shrink(space), space)
    device = OverEstimated({r["arch_id"]: r["predicted_ms"] for r in rows}, {r["arch_id"]: r["params"] for r in rows})
    _patch(monkeypatch, device)
    out = baseline_stage.baselines_stage(ctx, *inputs)
    rows = out.candidates["uniform-shrink"]["candidates"]
    assert device.calls == len(rows) == 36 and all(r["measured_ms"] is not None for r in rows)
    assert out.candidates["uniform-shrink"]["rule"] == "params"
    for item in out.per_budget:
        chosen = item["baselines"]["uniform-shrink"]
        within = [r for r in rows if r["measured_ms"] <= item["budget_ms"]]
        assert chosen["arch_id"] == max(within, key=lambda r: r["params"])["arch_id"]
        by_prediction = max((r for r in rows if r["predicted_ms"] <= item["limit_ms"]), key=lambda r: r["params"])
        assert chosen["metrics"]["params"] > by_prediction["params"]  # the predicted choice was unfairly small
    assert out.reference is not None and out.reference["arch_id"] == rows[0]["arch_id"]  # the largest arch...
    assert out.per_budget[1]["baselines"]["uniform-shrink"]["arch_id"] == rows[0]["arch_id"]  # ...fits 600 ms
    stored = json.loads((tmp_path / "baselines" / "uniform-shrink.json").read_text(encoding="utf-8"))
    assert [r["measured_ms"] for r in stored["candidates"]] == [r["measured_ms"] for r in rows]
    device.calls = 0
    again = baseline_stage.baselines_stage(ctx, *inputs)  # resumed: every figure comes from baselines/measured.jsonl
    assert device.calls == 0 and again.per_budget == out.per_budget
    ctx.config = ctx.config.model_copy(update={"baselines": []})
    none = baseline_stage.baselines_stage(ctx, *inputs)  # no baseline configured: nothing measured, no reference
    assert none.candidates == {} and none.reference is None and device.calls == 0
    assert [item["baselines"] for item in none.per_budget] == [{}, {}]
