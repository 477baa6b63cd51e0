"""The bench-surrogates blocks name every pair where LightGBM wins and every coverage outside the goal, from the
verdicts ``bench_surrogates_summary`` computes (a synthetic result file, so no data or LightGBM is needed)."""

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
summary_module = importlib.import_module("bench_surrogates_summary")
common = importlib.import_module("rendering.common")
bench = importlib.import_module("rendering.bench")


def _run(seed: int, hwnas_mape: float, lgbm_mape: float, coverage: float) -> dict[str, Any]:
    point = {"mape": lgbm_mape, "kendall": 0.9}
    return {
        "seed": seed,
        "hwnas": {"mape": hwnas_mape, "kendall": 0.95, "coverage": coverage, "width": 0.1, "fit_s": 0.5},
        "lightgbm": {"configs": {"l2-default": {**point, "mape": lgbm_mape * 2}, "l1-log-500": point},
                     "quantile": {"coverage": 0.66, "width": 0.05}},
    }  # fmt: skip


def _pair(metric: str, device: str | None, runs: list[dict[str, Any]]) -> dict[str, Any]:
    record = {"scale": "gpt-s", "metric": metric, "device": device, "train_rows": 6000, "test_rows": 2000}
    aggregated: dict[str, Any] = summary_module.aggregate_pair({**record, "runs": runs})
    return aggregated


@pytest.fixture
def result(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    pairs = [
        _pair("latency", "h100", [_run(0, 0.2, 0.3, 0.80), _run(1, 0.2, 0.3, 0.81)]),
        _pair("power", "v100", [_run(0, 1.95, 1.8, 0.80), _run(1, 1.75, 1.8, 0.91)]),  # LightGBM lower on average
    ]
    data = {"smoke": False, "settings": {"seeds": [0, 1], "test_fraction": 0.25, "scales": ["gpt-s"],
            "hwgpt_seeds": 0, "repeats": 5}, "machine": {"cpu_model": "cpu", "cpu_count": 2},
            "goals": {"throughput_archs_per_s": 1e5}, "summary": summary_module.summary(pairs), "pairs": pairs,
            "throughput": {}}  # fmt: skip
    monkeypatch.setattr(common, "RESULTS", tmp_path)
    monkeypatch.setattr(common, "ROOT", tmp_path)
    (tmp_path / "bench_surrogates-20990101T000000Z.json").write_text(json.dumps(data))
    (tmp_path / "bench_surrogates-20990102T000000Z.json").write_text(json.dumps({**data, "smoke": True}))
    return data


def test_verdicts_compare_means_over_seeds(result: dict[str, Any]) -> None:
    latency, power = result["pairs"]
    assert latency["verdict"]["mape_lower_than_lightgbm"] and latency["lightgbm"]["best"] == "l1-log-500"
    assert not power["verdict"]["mape_lower_than_lightgbm"] and power["verdict"]["seeds_lower"] == 1
    assert not power["verdict"]["coverage_in_range"]  # mean 0.855 > 0.85
    assert result["summary"]["mape_lower_than_lightgbm"] == 1 and result["summary"]["coverage_in_range"] == 1


def test_blocks_name_the_losing_pairs_and_skip_smoke_files(result: dict[str, Any]) -> None:
    docs, readme = "\n".join(bench.bench_surrogates()), "\n".join(bench.bench_surrogates_summary())
    for text in (docs, readme):
        assert "**1 of 2**" in text
        assert "LightGBM has the lower MAPE on: gpt-s power/v100 (hwnas 1.850% vs 1.800%, l1-log-500" in text
        assert "Coverage outside 75%-85%: gpt-s power/v100 (85.5%)" in text
        assert "bench_surrogates-20990101T000000Z.json" in text  # the newest full result, not the smoke one
    assert "| power | v100 | 2,000 | 1.85 ± 0.14% | 1.8 ± 0% (l1-log-500) | **LightGBM** |" in docs
