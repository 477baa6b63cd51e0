"""The collect CLI, the latency evaluators in the search registry, and the embedded dataset."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from hwnas.cli.collect_cmd import register_collect
from hwnas.core.space import SearchSpace
from hwnas.data.tables import load_hat_latency_csv
from hwnas.encodings.hat import hat_features
from hwnas.hardware import evaluators as ev
from hwnas.hardware.embedded import default_dataset, embedded_datasets
from hwnas.search import evaluator as registry


def _app() -> typer.Typer:
    app = typer.Typer()
    register_collect(app)
    return app


def test_collect_cli_writes_and_resumes(tmp_path: Path) -> None:
    out = tmp_path / "cli.csv"
    args = ["collect", "--space", "tiny", "--n", "2", "--out", str(out), "--threads", "1", "--warmup", "0"]
    result = CliRunner().invoke(_app(), [*args, "--runs", "2", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"out": str(out), "rows": 2, "measured": 2, "skipped": 0}
    again = CliRunner().invoke(_app(), [*args, "--runs", "2", "--json"])
    assert json.loads(again.stdout)["measured"] == 0
    refused = CliRunner().invoke(_app(), [*args, "--runs", "3"])
    assert refused.exit_code == 2 and "settings.runs=2, this run has 3" in refused.output


def test_collect_cli_names_bad_values(tmp_path: Path) -> None:
    result = CliRunner().invoke(_app(), ["collect", "--space", "tiny", "--n", "1", "--out", str(tmp_path / "x.csv"),
                                         "--device", "tpu"])  # fmt: skip
    assert result.exit_code == 2 and "allowed: cpu, cuda" in result.output


def test_collect_cli_busy_flags_reach_the_guard_and_bad_ones_are_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hwnas.hardware import load

    class Busy:
        def cores(self) -> int:
            return 2

        def counters(self) -> None:
            return None

        def load_1m(self) -> float:
            return 2.5  # other processes: (2.5 - our 1 thread) / 2 cores = 75% of the CPU

    monkeypatch.setattr(load, "system_probe", Busy)
    out = tmp_path / "busy.csv"
    args = ["collect", "--space", "tiny", "--n", "1", "--out", str(out), "--warmup", "0", "--runs", "2"]
    refused = CliRunner().invoke(_app(), [*args, "--on-busy", "refuse"])
    assert refused.exit_code == 2 and "machine too busy to measure latency: load average 2.50" in refused.output
    assert "--on-busy ignore" in refused.output and "Traceback" not in refused.output
    allowed = CliRunner().invoke(_app(), [*args, "--max-load", "0.8", "--estimator", "median", "--json"])
    assert allowed.exit_code == 0, allowed.output
    sidecar = json.loads(out.with_suffix(".json").read_text())
    assert sidecar["settings"]["estimator"] == "median" and sidecar["settings"]["threads"] == 1
    assert sidecar["sessions"][-1]["busy_policy"] == {"max_load": 0.8, "on_busy": "wait", "max_wait_s": 300.0}
    bad = CliRunner().invoke(_app(), [*args, "--on-busy", "sometimes"])
    assert bad.exit_code == 2 and "allowed: wait, refuse, ignore" in bad.output


class LinearPredictor:
    """A stand-in for a fitted arch-level predictor: latency = w . raw HAT features."""

    name = "linear-test"

    def predict(self, archs: list[Any]) -> np.ndarray:
        return np.stack([hat_features(a) for a in archs]) @ np.arange(1.0, 11.0)


def test_predicted_latency_is_a_cheap_registry_evaluator(tiny: SearchSpace, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ev, "_load_predictor", lambda path, space: LinearPredictor())
    evaluator = registry.make_evaluator("latency-model", tiny, {"latency_model": "model.bin", "device": "cpu"})
    assert evaluator.cheap and evaluator.metrics == ("latency",)
    archs = [tiny.smallest(), tiny.largest()]
    values = evaluator.evaluate(archs)
    assert [v["latency"] for v in values] == pytest.approx([hat_features(a) @ np.arange(1.0, 11.0) for a in archs])
    measured = registry.make_evaluator("latency", tiny, {"device": "cpu"})
    assert not measured.cheap and measured.metrics == (
        "latency",
        "latency_encoder",
        "latency_decoder",
        "peak_memory_mb",
    )


def test_measured_latency_evaluator(tiny: SearchSpace) -> None:
    evaluator = ev.MeasuredLatencyEvaluator(tiny, device="cpu", threads=1, warmup=0, runs=2)
    (values,) = evaluator.evaluate([tiny.smallest()])
    assert set(values) == set(evaluator.metrics)
    assert values["latency"] == pytest.approx(values["latency_encoder"] + values["latency_decoder"])


def test_missing_latency_model_is_a_clear_error(tiny: SearchSpace, tmp_path: Path) -> None:
    from hwnas.core.errors import DataError

    with pytest.raises(DataError, match="does not exist; fit one"):
        ev.make_latency_model_evaluator(tiny, latency_model=str(tmp_path / "none.model"))


def test_embedded_cpu_dataset_is_the_default_for_hat_wmt14ende() -> None:
    assert embedded_datasets(), "the package must ship the project's CPU latency dataset"
    dataset = default_dataset("hat-wmt14ende", "cpu")
    table = load_hat_latency_csv(dataset.csv_path)
    assert len(table) == dataset.rows >= 300
    provenance: dict[str, Any] = dataset.provenance
    assert provenance["protocol"] == "hat-mt" and provenance["settings"]["beam"] == 5
    assert provenance["settings"]["threads"] >= 1 and provenance["device"]["cpu_model"]
    loaded = dataset.load()
    assert len({a.arch_id for a in loaded.archs}) == len(loaded)


def test_shipped_predictor_drives_a_latency_constrained_search(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """--latency-model: the shipped default predictor is a cheap evaluator, so every evaluated arch meets the bound."""
    from hwnas.search import build_config, run_search
    from hwnas.spaces import get_space

    path = ev.default_predictor_path(get_space("hat-wmt14ende"), "cpu")
    space = get_space("hat-wmt14ende")
    latency = registry.make_evaluator("latency-model", space, {"latency_model": None, "device": "cpu"})
    small, large = (v["latency"] for v in latency.evaluate([space.smallest(), space.largest()]))
    assert 0 < small < large
    bound = (small + large) / 2
    config = build_config(
        {
            "space": "hat-wmt14ende",
            "objectives": ["params:max"],
            "constraints": [f"latency<={bound}"],
            "latency_model": str(path),
            "algorithm": "random",
            "population": 20,
            "parents": 5,
            "iterations": 2,
            "out": str(tmp_path / "run"),
        }
    )
    outcome = run_search(config)
    best = outcome.result.best
    assert best is not None and best["metrics"]["latency"] <= bound
    entries = [json.loads(line) for line in (outcome.run_dir / "journal.jsonl").read_text().splitlines()]
    evaluated = [e for e in entries if e.get("kind") == "eval"]
    assert len(evaluated) >= 20 and all(e["metrics"]["latency"] <= bound for e in evaluated)
