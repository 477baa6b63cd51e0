"""benchmarks/scaleout.py's pure parts, without starting Ray: the actor counts, speed-up and efficiency, the goals,
the noisy flag and the model of the benchmark's own load, and the rendered block (from a made-up result)."""

from __future__ import annotations

import importlib
import json
import math
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def _load(name: str) -> ModuleType:
    if str(BENCHMARKS) not in sys.path:
        sys.path.insert(0, str(BENCHMARKS))
    return importlib.import_module(name)


scaleout = _load("scaleout")
common = _load("rendering.common")
rendering = _load("rendering.scaleout")


def test_actor_counts_double_up_to_the_most_and_include_it() -> None:
    assert scaleout.worker_counts(1) == [1]
    assert scaleout.worker_counts(2) == [1, 2]
    assert scaleout.worker_counts(16) == [1, 2, 4, 8, 16]
    assert scaleout.worker_counts(6) == [1, 2, 4, 6]


def test_speed_up_and_efficiency_are_against_the_serial_executor() -> None:
    rows = scaleout.scaling_rows(10.0, {2: 18.0, 1: 9.5, 4: 30.0})
    assert [r["workers"] for r in rows] == [1, 2, 4]
    assert [r["speedup"] for r in rows] == pytest.approx([0.95, 1.8, 3.0])
    assert [r["efficiency"] for r in rows] == pytest.approx([0.95, 0.9, 0.75])


def test_scaling_goal_judges_only_counts_up_to_the_cores() -> None:
    rows = [
        {"workers": 1, "efficiency": 0.95, "noisy": False},
        {"workers": 2, "efficiency": 0.85, "noisy": False},
        {"workers": 4, "efficiency": 0.40, "noisy": True},  # beyond 2 cores: shown, not judged
    ]
    goal = scaleout.scaling_goal(rows, cores=2)
    assert goal["met"] is True and goal["noisy"] is False
    assert goal["judged_workers"] == [1, 2]
    assert (goal["worst_efficiency"], goal["worst_at_workers"]) == (0.85, 2)
    assert scaleout.scaling_goal(rows, cores=4)["met"] is False
    assert scaleout.scaling_goal(rows, cores=4)["noisy"] is True
    assert scaleout.scaling_goal([], cores=2)["met"] is None


def test_overhead_is_the_extra_wall_time_per_arch() -> None:
    assert scaleout.overhead_per_arch_ms(1.0, 1.5, 1000) == pytest.approx(0.5)
    assert scaleout.overhead_goal(1.9, noisy=False)["met"] is True
    assert scaleout.overhead_goal(2.0, noisy=True) == {"goal_ms": 2.0, "per_arch_ms": 2.0, "met": False, "noisy": True}


def test_a_measurement_is_noisy_when_others_load_the_machine() -> None:
    quiet = {"others_load_1m_before": 0.3, "others_load_1m_after": 0.9, "others_cpu_share_before": 0.1}
    assert not scaleout.noisy(quiet, cores=2)
    assert scaleout.noisy({**quiet, "others_load_1m_after": 1.2}, cores=2)
    assert scaleout.noisy({**quiet, "others_cpu_share_before": 0.6}, cores=2)
    assert not scaleout.noisy({"others_load_1m_before": None, "others_cpu_share_before": None}, cores=2)


def test_own_load_follows_the_kernels_exponential_average() -> None:
    own = scaleout.OwnLoad(value=0.0, at=0.0)
    assert own.advance(2.0, now=60.0) == pytest.approx(2.0 * (1 - math.exp(-1)))
    assert own.advance(0.0, now=120.0) == pytest.approx(2.0 * (1 - math.exp(-1)) * math.exp(-1))


def _record(executor: str, workers: int, rate: float, speedup: float | None = None) -> dict[str, Any]:
    record = {
        "executor": executor,
        "workers": workers,
        "archs": 320,
        "batch_size": 2,
        "archs_per_s": rate,
        "warmup_s": 3.0,
        "load": {"others_load_1m_before": 0.1, "others_load_1m_after": 0.2},
        "noisy": False,
    }
    if speedup is not None:
        record.update(speedup=speedup, efficiency=speedup / workers)
    return record


def _result(quick: bool, cores: int) -> dict[str, Any]:
    return {
        "quick": quick,
        "command": "python benchmarks/scaleout.py",
        "machine": {"cpu_model": "Test CPU", "cpu_count": cores},
        "versions": {"ray": "2.60.0"},
        "ray": {"start_s": 4.0},
        "evaluator": {"space": "tiny", "options": {"valid_subset": 900}, "serial_ms_per_arch": 101.0},
        "throughput": [_record("serial", 1, 9.9), _record("ray", 1, 9.5, 0.96), _record("ray", 2, 18.0, 1.82)],
        "overhead": {
            "evaluator": "analytic",
            "space": "hat-wmt14ende",
            "batch_size": 100,
            "archs": 2000,
            "passes": [{}, {}, {}],
            "per_arch_ms": 0.3,
            "per_batch_ms": 30.0,
        },
        "goals": {
            "scaling": {
                "goal_efficiency": 0.8,
                "up_to_workers": cores,
                "worst_efficiency": 0.91,
                "worst_at_workers": 2,
                "met": True,
                "noisy": False,
            },
            "overhead": {"goal_ms": 2.0, "per_arch_ms": 0.3, "met": True, "noisy": False},
        },
    }


def test_rendered_block_shows_the_newest_full_result_per_machine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(common, "RESULTS", tmp_path)
    monkeypatch.setattr(rendering, "relative", lambda path: path.name)
    assert rendering.scaleout() == rendering.NO_RESULT
    (tmp_path / "scaleout-20260101T000000Z.json").write_text(json.dumps(_result(False, 2)))
    (tmp_path / "scaleout-20260102T000000Z.json").write_text(json.dumps(_result(True, 2)))  # quick: skipped
    text = "\n".join(rendering.scaleout())
    assert "scaleout-20260101T000000Z.json" in text and "20260102" not in text
    assert "| ray | 2 | 18.00 | 1.82 | 0.91 |" in text
    assert "0.300 ms per arch" in text and "met" in text and "not met" not in text
