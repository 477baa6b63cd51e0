"""The measurement-repeatability benchmark's pieces that need no timing: run comparison, the competing load it
starts and always stops, and the README section rendered from a result with quiet and loaded conditions."""

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
bench = importlib.import_module("measurement_repeatability")
common = importlib.import_module("rendering.common")
section = importlib.import_module("rendering.repeatability")


def _rows(scale: float) -> dict[str, dict[str, str]]:
    """Two archs of a forward-pass dataset; ``scale`` multiplies every latency."""
    return {
        arch: {f"latency_{s}": str(base * scale * k) for s, k in (("min", 1.0), ("median", 1.1), ("mean", 1.2))}
        for arch, base in (("a", 10.0), ("b", 20.0))
    }


def test_runs_are_compared_arch_by_arch_per_estimator() -> None:
    figures = bench.compare_runs(_rows(1.1), _rows(1.0))
    assert figures["archs"] == 2 and set(figures) >= {"total_min", "total_median", "total_trimmed_mean"}
    assert figures["total_min"]["median"] == pytest.approx(0.1 / 1.05)
    assert figures["forward_min"]["signed_mean"] == pytest.approx(0.1 / 1.05)  # the first run is the slower


def test_the_competing_load_runs_inside_the_block_and_is_stopped_after() -> None:
    with pytest.raises(RuntimeError), bench.competing_load(1) as spinners:
        assert len(spinners) == 1 and spinners[0].poll() is None  # spinning
        raise RuntimeError("a failed run")
    assert spinners[0].poll() is not None  # stopped even so


def _result(tmp: Path, name: str, data: dict[str, Any]) -> None:
    (tmp / f"measurement_repeatability-{name}.json").write_text(json.dumps(data), encoding="utf-8")


def _figures(minimum: float, median: float, trimmed: float, busy: float | None) -> dict[str, Any]:
    return {
        "archs": 50,
        "total_min": {"median": minimum, "signed_mean": 0.0},
        "total_median": {"median": median, "signed_mean": 0.0},
        "total_trimmed_mean": {"median": trimmed},
        "contention_median_per_run": [busy, busy],
    }


def test_quiet_and_loaded_figures_are_rendered_side_by_side(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    machine = {"cpu_model": "AMD EPYC", "gpu_name": None}
    settings = {"device": "cpu", "threads": 1, "warmup": 3, "runs": 12}
    shift = {"total_min": {"signed_mean": 0.031}, "total_median": {"signed_mean": 0.12}}
    full = {"format": 2, "smoke": False, "machine": machine, "settings": settings, "headline": {"goal": 0.03},
            "conditions": {"quiet": {"load_procs": 0, "figures": _figures(0.016, 0.029, 0.03, 0.02)},
                           "loaded": {"load_procs": 2, "figures": _figures(0.04, 0.09, 0.1, 0.97)}},
            "load_shift": shift}  # fmt: skip
    _result(tmp_path, "20261201T000000Z", full)
    _result(tmp_path, "20261202T000000Z", {**full, "smoke": True})  # newer, but a smoke run: never rendered
    monkeypatch.setattr(common, "RESULTS", tmp_path)
    lines = section.repeatability()
    rows = [line for line in lines if line.startswith("| AMD EPYC")]
    assert rows == [
        "| AMD EPYC (cpu, 1 threads) | no added load, 2% of the CPU busy elsewhere | 50 | 3 / 12 | 1.60% | 2.90% | "
        "3.00% | - | 3% | "
        "`measurement_repeatability-20261201T000000Z.json` |",
        "| AMD EPYC (cpu, 1 threads) | 2 busy loops, 97% of the CPU busy elsewhere | 50 | 3 / 12 | 4.00% | 9.00% | "
        "10.00% | +3.1% / +12.0% | 3% | `measurement_repeatability-20261201T000000Z.json` |",
    ]
    assert "busy-loop process per core" in lines[0]
