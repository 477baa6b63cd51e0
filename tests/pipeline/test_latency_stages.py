"""The latency and predictor stages when latency data is reused (the shipped hat-wmt14ende CPU dataset and
predictor): the held-out parity check, budgets from quantiles or given in ms, missing files named."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from hwnas.core.errors import DataError
from hwnas.pipeline import parse_pipeline_config
from hwnas.pipeline.latency_stages import latency_stage, predictor_stage
from hwnas.pipeline.runner import StageContext


def _ctx(tmp_path: Path, latency: dict[str, Any], search: dict[str, Any]) -> StageContext:
    config = parse_pipeline_config(
        {"run_dir": str(tmp_path), "space": "hat-wmt14ende", "latency": latency, "search": search}
    )
    return StageContext(config=config, run_dir=tmp_path, quiet=True)


def test_shipped_dataset_is_fitted_with_a_held_out_check(tmp_path: Path) -> None:
    ctx = _ctx(tmp_path, {"source": "dataset", "dataset": "shipped", "holdout": 0.25}, {"budget_quantiles": [0.2, 0.9]})
    latency = latency_stage(ctx)
    assert latency.source == "dataset" and latency.dataset is not None and latency.dataset.endswith(".csv")
    out = predictor_stage(ctx, latency)
    with (tmp_path / "predictor" / "parity.csv").open(encoding="utf-8") as handle:
        held_out = list(csv.DictReader(handle))
    with open(latency.dataset, encoding="utf-8") as handle:
        total = sum(1 for _ in handle) - 1
    assert out.check is not None and len(held_out) == round(0.25 * total) and out.check["n"] == len(held_out)
    assert not out.check["in_sample"] and out.check["mape"] < 0.2
    assert out.predicted_range_ms is not None
    low, high = out.predicted_range_ms
    assert low < out.budgets[0].budget_ms < out.budgets[1].budget_ms < high
    assert Path(out.predictor_file).is_file() and (tmp_path / "predictor" / "parity.png").is_file()
    assert [b.limit_ms for b in out.budgets] == [b.budget_ms * 0.95 for b in out.budgets]  # the default margin
    assert type(out).from_marker(out.to_marker()) == out  # what a resumed run reads back is what was handed on


def test_shipped_predictor_with_budgets_in_ms(tmp_path: Path) -> None:
    ctx = _ctx(tmp_path, {"source": "predictor", "predictor_file": "shipped"}, {"budgets_ms": [300.0, 100.0]})
    latency = latency_stage(ctx)
    assert latency.dataset is None
    out = predictor_stage(ctx, latency)
    assert out.check is None and [b.budget_ms for b in out.budgets] == [100.0, 300.0]
    assert Path(out.predictor_file).parent == tmp_path / "predictor"


def test_missing_latency_file_is_named(tmp_path: Path) -> None:
    ctx = _ctx(tmp_path, {"source": "dataset", "dataset": str(tmp_path / "none.csv")}, {})
    with pytest.raises(DataError, match=r"none\.csv"):
        latency_stage(ctx)


def test_the_shipped_dataset_is_judged_reliable_and_the_verdict_is_recorded(tmp_path: Path) -> None:
    ctx = _ctx(tmp_path, {"source": "dataset", "dataset": "shipped"}, {"budget_quantiles": [0.5]})
    verdict = predictor_stage(ctx, latency_stage(ctx)).latency_reliability
    assert verdict is not None and verdict["reliable"] is True and verdict["reasons"] == []
    assert verdict["figures"]["spearman_latency_flops"] > 0.9 and verdict["figures"]["heldout_mape"] < 0.2


def test_measuring_on_a_busy_machine_refuses_in_one_line_and_measures_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hwnas.core.errors import MachineBusyError
    from hwnas.hardware import load
    from hwnas.hardware.busy import BusyPolicy

    class Busy:  # a 2-core machine at load 6 (the fresh-clone quickstart's), no CPU counters
        def cores(self) -> int:
            return 2

        def counters(self) -> None:
            return None

        def load_1m(self) -> float:
            return 6.0

    monkeypatch.setattr(load, "system_probe", Busy)
    config = parse_pipeline_config({"run_dir": str(tmp_path), "space": "tiny", "latency": {"archs": 3, "runs": 2}})
    ctx = StageContext(config=config, run_dir=tmp_path, quiet=True, busy=BusyPolicy(on_busy="refuse"))
    with pytest.raises(MachineBusyError, match=r"load average 6\.00; the limit is 25%; .*--on-busy ignore"):
        latency_stage(ctx)
    assert not (tmp_path / "latency" / "latency.csv").exists()
    ignoring = StageContext(config=config, run_dir=tmp_path, quiet=True, busy=BusyPolicy(on_busy="ignore"))
    out = latency_stage(ignoring)
    assert out.rows == 3 and out.busy_policy is not None and out.busy_policy["on_busy"] == "ignore"
    assert out.settings is not None and type(out).from_marker(out.to_marker()) == out
    with open(str(out.dataset), encoding="utf-8") as handle:
        assert [row["load_1m"] for row in csv.DictReader(handle)] == ["6.0"] * 3  # each row records its load
