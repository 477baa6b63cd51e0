"""The pure parts of benchmarks/latency_predictors.py and its README section: HAT's recipe and the cheaper read-off
under their own names, the goal per baseline, the learning curves, and a table that labels each file's HAT runs by
the steps they had (old files trained 2,000 steps only) and shows the corrected noise floor. (The benchmark itself
fits 115 HAT MLPs of 5,000 steps; it is not run here.)"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def _load(name: str) -> ModuleType:
    """A benchmark module, imported by name as the benchmarks import their siblings."""
    if str(BENCHMARKS) not in sys.path:
        sys.path.insert(0, str(BENCHMARKS))
    return importlib.import_module(name)


summary = _load("latency_predictors_summary")
bench = _load("latency_predictors")
section = _load("rendering.predictors")


def _record(dataset: str, size: int, seed: int, predictor: str, mape: float, **extra: Any) -> dict[str, Any]:
    return {"dataset": dataset, "size": size, "seed": seed, "predictor": predictor, "mape": mape, "kendall": 0.5,
            "fit_s": 1.0, **extra}  # fmt: skip


def test_hat_runs_are_named_by_their_steps() -> None:
    assert summary.hat_name_at(5000, 5000) == "hat-mlp"
    assert summary.hat_name_at(2000, 5000) == "hat-mlp@2000"
    assert summary.hat_name_at(2000, 2000) == "hat-mlp"  # a file trained 2,000 steps only
    assert summary.hat_name_at(5000, 2000) == "hat-mlp@5000"  # which such a file does not hold


def test_goal_is_checked_against_each_baseline_on_its_own() -> None:
    records = [
        *(_record("d", s, 0, "cost-mape", m) for s, m in ((100, 0.05), (400, 0.04), (1600, 0.03))),
        *(_record("d", s, 0, "hat-mlp", m) for s, m in ((100, 0.07), (400, 0.05), (1600, 0.049))),
        *(_record("d", s, 0, "hat-mlp@2000", m) for s, m in ((100, 0.06), (400, 0.035), (1600, 0.047))),
    ]
    table = summary.aggregate(records)
    recipe = summary.goal_check(table, "cost-mape", "hat-mlp")["d"]
    cheap = summary.goal_check(table, "cost-mape", "hat-mlp@2000")["d"]
    assert recipe["beats_all"] and recipe["matches_baseline_1600_within_5pct"]  # 0.05 <= 1.05 x 0.049
    assert cheap["beats_at_sizes_le_400"] == {"100": True, "400": False} and not cheap["beats_all"]
    assert not cheap["matches_baseline_1600_within_5pct"]  # 0.05 > 1.05 x 0.047


def test_learning_curves_average_every_seed_and_read_back_from_json() -> None:
    records = [
        _record("d", 100, 0, "hat-mlp", 0.1, hat_mape_by_step={500: 0.3, 2000: 0.1, 5000: 0.2}),
        _record("d", 100, 1, "hat-mlp", 0.1, hat_mape_by_step={"500": 0.5, "2000": 0.2, "5000": 0.1}),
        _record("d", 100, 1, "hat-mlp@2000", 0.2),
    ]
    curves = summary.learning_curves(records)
    assert curves == {
        "d@100": {"seeds": 2, "mape_mean_by_step": pytest.approx({"500": 0.4, "2000": 0.15, "5000": 0.15})}
    }


def test_a_hat_run_yields_the_recipe_and_the_cheaper_read_off(synthetic_data: Any) -> None:
    X, y, _ = synthetic_data(40, seed=1)
    args = argparse.Namespace(hat_steps=30, hat_also=[10])
    fits = bench._hat_mlp(args, 100.0, 0, X, y, np.arange(30), np.arange(30, 40))
    assert [name for name, *_ in fits] == ["hat-mlp", "hat-mlp@10"]
    (_, full, full_s, full_extra), (_, short, short_s, short_extra) = fits
    assert full.shape == short.shape == (10,) and not np.array_equal(full, short)
    assert 0 < short_s < full_s and short_extra == {}
    assert sorted(full_extra["hat_mape_by_step"]) == [10, 30]


@pytest.mark.parametrize(("argv", "expected"), [([], (5000, [2000])), (["--quick"], (300, [100]))])
def test_the_default_run_is_hats_recipe(monkeypatch: pytest.MonkeyPatch, argv: list[str], expected: Any) -> None:
    monkeypatch.setattr(sys, "argv", ["latency_predictors.py", *argv])
    args = bench.parse_args()
    assert (args.hat_steps, args.hat_also) == expected


def test_a_read_off_past_the_run_is_refused(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", ["latency_predictors.py", "--hat-also", "2000,6000"])
    with pytest.raises(SystemExit):
        bench.parse_args()
    assert "--hat-also [2000, 6000]: every value must be in 1..4999" in capsys.readouterr().err


def _result(path: Path, *, hat_steps: int, hat: dict[str, float], floor: dict[str, Any]) -> None:
    """A minimal benchmark file: dataset ``d``, default cost-mape at 100 rows, HAT's runs as given."""
    sizes: dict[str, Any] = {"100": {"cost-mape": {"mape_mean": 0.03}}, "1600": {}}
    for key, mape in hat.items():
        name, size = key.split(":")
        sizes[size][name] = {"mape_mean": mape}
    data = {"settings": {"hat_steps": hat_steps, "seeds": 5}, "default_predictor": "cost-mape",
            "summary": {"d": sizes}, "noise_floor": {"d": {"near_pairs": floor}}}  # fmt: skip
    path.write_text(json.dumps(data))


def _table_row(lines: list[str]) -> list[str]:
    row = next(line for line in lines if line.startswith("| d |"))
    return [cell.strip() for cell in row.strip("|").split("|")]


def test_an_old_file_renders_its_2000_step_hat_in_the_2k_column(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _result(tmp_path / "latency_predictors-20260101T000000Z.json", hat_steps=2000,
            hat={"hat-mlp:100": 0.07, "hat-mlp:1600": 0.05}, floor={"mape_floor": 0.048})  # fmt: skip
    monkeypatch.setattr(section, "RESULTS", tmp_path)
    lines = section.latency_predictors()
    # default@100 | HAT@100 | HAT@1600 | 2k@100 | 2k@1600 | floor (no corrected figure in the file: a dash)
    assert _table_row(lines)[1:7] == ["3.0%", "-", "-", "7.0%", "5.0%", "-"]
    assert "noise floor (near pairs, corrected)" in lines[2] and "4.8%" not in "\n".join(lines)
    assert any(line.startswith("Noise floor (near pairs, corrected):") and "cost-mape" in line for line in lines)


def test_a_hat_recipe_file_fills_both_columns_and_the_corrected_floor(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _result(tmp_path / "latency_predictors-20260101T000000Z.json", hat_steps=2000, hat={"hat-mlp:100": 0.09},
            floor={"mape_floor": 0.048})  # fmt: skip
    _result(tmp_path / "latency_predictors-20260202T000000Z.json", hat_steps=5000,
            hat={"hat-mlp:100": 0.08, "hat-mlp:1600": 0.04, "hat-mlp@2000:100": 0.06, "hat-mlp@2000:1600": 0.045},
            floor={"pairs": 40, "mape_floor": 0.048, "mape_floor_corrected": 0.029, "reference": "gbdt"})  # fmt: skip
    monkeypatch.setattr(section, "RESULTS", tmp_path)
    lines = section.latency_predictors()
    row = _table_row(lines)
    assert row[1:7] == ["3.0%", "8.0%", "4.0%", "6.0%", "4.5%", "2.9%"]
    assert "latency_predictors-20260202T000000Z.json" in row[7]  # the newest file that covers the dataset
    assert any("40 closest pairs" in line and "gbdt" in line for line in lines)
