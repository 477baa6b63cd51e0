"""Trajectory export as LM-Searcher's historical_results.json and its import as a warm start (--init-archs)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from hwnas.cli.main import app
from hwnas.core.errors import DataError
from hwnas.encodings.ncode import from_ncode, to_ncode
from hwnas.search import build_config, load_init_archs, run_search
from hwnas.search.journal import read_journal
from hwnas.search.trajectory import export_trajectory, read_trajectory
from hwnas.spaces import get_space

SPACE = get_space("gpt-tiny")


def _run(out: Path, **extra: Any) -> Path:
    config = {
        "space": SPACE.name,
        "objectives": ["params:max"],
        "evaluators": ["analytic"],
        "searcher": {"name": "random"},
        "iterations": 3,
        "population": 4,
        "seed": 1,
        "batch_size": 2,
        "out": str(out),
    }
    run_search(build_config({**config, **extra}))
    return out


def _evals(out: Path) -> list[dict[str, Any]]:
    return [e for e in read_journal(out / "journal.jsonl")[0] if e["kind"] == "eval"]


def test_export_round_trips_the_journal_evaluations_in_order(tmp_path: Path) -> None:
    out = _run(tmp_path / "run")
    evals = _evals(out)
    result = CliRunner().invoke(app, ["trajectory", "export", str(out), "--out", str(tmp_path / "h.json")])
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "h.json").read_text())
    assert list(data) == [f"Trial{i}" for i in range(1, len(evals) + 1)] and len(evals) >= 4
    for trial, entry in zip(data.values(), evals, strict=True):
        assert from_ncode(trial["cell"], SPACE) == SPACE.make(entry["arch"]["genes"])
        assert trial["prediction"] == entry["metrics"]["params"]  # raw value of the first objective
    pairs = read_trajectory(tmp_path / "h.json", SPACE)
    assert [a.arch_id for a, _ in pairs] == [e["arch_id"] for e in evals]
    assert export_trajectory(out) == data


def test_failed_evaluations_are_skipped_and_the_metric_can_be_chosen(tmp_path: Path) -> None:
    out = _run(tmp_path / "run")
    journal = out / "journal.jsonl"
    lines = journal.read_text().splitlines()
    first = next(i for i, line in enumerate(lines) if json.loads(line)["kind"] == "eval")
    failed = json.loads(lines[first]) | {"metrics": {}, "error": "boom"}
    lines[first] = json.dumps(failed)
    journal.write_text("\n".join(lines) + "\n")
    trajectory = export_trajectory(out)
    assert len(trajectory) == len(_evals(out)) - 1
    assert trajectory["Trial1"]["cell"] == to_ncode(SPACE.make(_evals(out)[1]["arch"]["genes"]), SPACE)
    with pytest.raises(DataError, match="not a run directory"):
        export_trajectory(tmp_path)


def test_a_historical_results_file_seeds_the_first_population(tmp_path: Path) -> None:
    archs = [SPACE.sample(np.random.default_rng(seed)) for seed in range(40)]
    cells = list(dict.fromkeys(to_ncode(a, SPACE) for a in archs))[:3]
    path = tmp_path / "historical_results.json"
    path.write_text(json.dumps({f"Trial{i}": {"cell": c, "prediction": 0.5 * i} for i, c in enumerate(cells, 1)}))
    seeds = load_init_archs(path, SPACE)
    assert [to_ncode(a, SPACE) for a in seeds] == cells
    out = _run(tmp_path / "run", init_archs=str(path), population=5)
    asked = next(e["asked"] for e in read_journal(out / "journal.jsonl")[0] if e["kind"] == "iteration")
    assert asked[:3] == [a.arch_id for a in seeds]


GOOD = "0" * len(to_ncode(SPACE.sample(np.random.default_rng(0)), SPACE))


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("{not json", "is not valid JSON"),
        ('["a"]', "expected a JSON object"),
        ('{"Trial1": {"prediction": 1.0}}', "Trial1: missing 'cell'"),
        ('{"Trial1": {"cell": "GOOD_CELL", "prediction": 1}, "Trial2": {"cell": "9x", "prediction": 1}}', "Trial2"),
        ('{"Trial1": {"cell": "GOOD_CELL", "prediction": 1}, "Trial2": {"cell": "12", "prediction": 1}}', "'12'"),
        ('{"Trial1": {"cell": "GOOD_CELL", "prediction": "high"}}', "'prediction' must be a finite number"),
        ('{"Trial1": {"cell": "GOOD_CELL", "prediction": NaN}}', "'prediction' must be a finite number"),
        ('{"Trial1": {"cell": "GOOD_CELL", "prediction": 1}, "Run2": {}}', "not a trial name"),
    ],
)
def test_malformed_files_are_refused_with_one_line(tmp_path: Path, text: str, says: str) -> None:
    path = tmp_path / "h.json"
    path.write_text(text.replace("GOOD_CELL", GOOD))
    with pytest.raises(DataError) as info:
        read_trajectory(path, SPACE)
    assert says in str(info.value) and "\n" not in str(info.value)


def test_bad_input_exits_2_with_one_line(tmp_path: Path) -> None:
    runner = CliRunner()
    missing = runner.invoke(app, ["trajectory", "export", str(tmp_path / "nope"), "--out", str(tmp_path / "h.json")])
    assert missing.exit_code == 2 and "Traceback" not in missing.output
    bad = tmp_path / "h.json"
    bad.write_text('{"Trial1": {"cell": "9x", "prediction": 1}}')
    args = ["search", "--space", SPACE.name, "--objective", "params:max", "--evaluator", "analytic"]
    result = runner.invoke(app, [*args, "--init-archs", str(bad), "--out", str(tmp_path / "run")])
    assert result.exit_code == 2, result.output
    assert "Trial1" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "run").exists()
