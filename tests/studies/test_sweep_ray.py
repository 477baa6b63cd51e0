"""`hwnas sweep`, `hwnas fewshot run` and `hwnas bench run` with ``--executor ray`` on a real local Ray cluster
(tests/conftest.py's ``ray_cluster``): a sweep's cells as Ray tasks give the serial sweep's files, a rerun runs
nothing, a cell whose worker keeps dying is reported failed and the others finish; the few-shot seeds as Ray tasks
give the serial records; a suite's searches on the Ray executor give the serial results. Skips without Ray or the
shared data (the benchmark table, HELP's)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from hwnas.cli.main import app
from hwnas.search.journal import read_journal

pytest.importorskip("ray", reason='Ray is not installed (pip install "hwnas[ray]")')

PROBLEM = "gpt-s-perplexity-latency-h100"
GRID = ["--problems", PROBLEM, "--algorithms", "random,evolution", "--seeds", "2", "--evaluations", "12"]
GRID += ["--population", "6", "--tasks", "F3", "--samples", "5"]
RAY = ["--executor", "ray", "--executor-opt", "max_retries=0"]


@pytest.fixture(scope="module", autouse=True)
def shared_cache(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """One surrogate cache for this process and the cluster's workers: set before the cluster starts (its
    processes inherit this environment), so a worker reads the fits the serial run made instead of fitting again;
    the test plugins for the failing cell."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HWNAS_CACHE_DIR", str(tmp_path_factory.mktemp("bench-cache")))
        patch.setenv("HWNAS_PLUGINS", "hwnas_test_ray_plugin")
        patch.syspath_prepend(str(Path(__file__).parents[1] / "search"))
        yield


def _run(*args: str, code: int = 0) -> Any:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result


def _files(out: Path, name: str) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob(name))}


def _evals(out: Path) -> dict[str, list[tuple[str, Any, Any]]]:
    """Every run's evaluations as journaled (the journal's session lines hold times)."""
    evals = {}
    for path in sorted(out.rglob("journal.jsonl")):
        entries = read_journal(path)[0]
        evals[str(path.relative_to(out))] = [
            (e["arch_id"], e["metrics"], e["error"]) for e in entries if e["kind"] == "eval"
        ]
    return evals


def _scores(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Few-shot records without their CPU seconds (the only field that depends on where they ran)."""
    return [{k: v for k, v in r.items() if k != "cpu_s"} for r in records]


def test_a_sweep_on_ray_gives_the_serial_files_and_a_rerun_runs_nothing(
    shared_cache: None, ray_cluster: dict[str, str], tmp_path: Path
) -> None:
    _run("sweep", *GRID, "--out", str(tmp_path / "serial"))
    _run("sweep", *GRID, *RAY, "--out", str(tmp_path / "ray"))
    serial, on_ray = tmp_path / "serial", tmp_path / "ray"
    assert _files(on_ray, "result.json") == _files(serial, "result.json") and _files(serial, "result.json")
    assert _evals(on_ray) == _evals(serial)
    records = {k: _scores(json.loads(v)) for k, v in _files(serial, "records.json").items()}
    assert {k: _scores(json.loads(v)) for k, v in _files(on_ray, "records.json").items()} == records and records
    summary = json.loads((on_ray / "sweep.json").read_text())
    assert summary["counts"] == {"cells": 6, "done": 6, "failed": 0, "ran": 6}
    suite = json.loads((on_ray / "bench" / PROBLEM / "summary.json").read_text())
    assert suite["table"] == json.loads((serial / "bench" / PROBLEM / "summary.json").read_text())["table"]

    stamps = {p: p.stat().st_mtime_ns for p in on_ray.rglob("journal.jsonl")}
    again = _run("sweep", *GRID, *RAY, "--out", str(on_ray), "--json")
    assert all(not cell["ran"] and cell["status"] == "done" for cell in json.loads(again.stdout))
    assert {p: p.stat().st_mtime_ns for p in on_ray.rglob("journal.jsonl")} == stamps  # nothing ran again


def test_a_cell_whose_worker_keeps_dying_fails_and_the_others_finish(
    shared_cache: None, ray_cluster: dict[str, str], tmp_path: Path
) -> None:
    poison = tmp_path / "poison.yaml"  # every evaluation kills its worker process
    poison.write_text(
        "name: poison\nspace: hat-wmt14ende\nobjectives: [score:max, width:min]\n"
        "evaluators: [{name: crashy, options: {victim: '*', always: true}}]\n"
        "bounds: {score: [1.0, 0.0], width: [0.0, 1000.0]}\nreference: [1.1, 1.1]\n",
        encoding="utf-8",
    )
    grid = tmp_path / "grid.yaml"
    grid.write_text(
        f"bench:\n  problems: [{PROBLEM}, {poison}]\n  algorithms: [random]\n  seeds: [0]\n"
        "  evaluations: 6\n  population: 3\n",
        encoding="utf-8",
    )
    out = tmp_path / "sweep"
    failed = _run("sweep", "--grid", str(grid), *RAY, "--out", str(out), code=2)
    assert "1 of 2 cells failed; run the same command again" in failed.stderr
    cells = {c["cell"]: c for c in json.loads((out / "sweep.json").read_text())["cells"]}
    assert cells[f"bench/{PROBLEM}/random/seed-0"]["status"] == "done"
    lost = cells["bench/poison/random/seed-0"]
    assert lost["status"] == "failed" and lost["error"], lost
    assert lost["run_dir"] == "bench/poison/random/seed-0" and not (out / lost["run_dir"] / "cell.json").exists()
    assert (out / "bench" / PROBLEM / "summary.json").is_file() and not (out / "bench/poison/summary.json").exists()


def test_fewshot_seeds_as_ray_tasks_give_the_serial_records(
    shared_cache: None, ray_cluster: dict[str, str], tmp_path: Path
) -> None:
    args = ["fewshot", "run", "--task", "F3", "--samples", "5", "--seeds", "2", "--json"]
    serial = json.loads(_run(*args).stdout)
    on_ray = json.loads(_run(*args, *RAY).stdout)
    assert _scores(on_ray) == _scores(serial)


def test_a_suite_on_the_ray_executor_gives_the_serial_results(
    shared_cache: None, ray_cluster: dict[str, str], tmp_path: Path
) -> None:
    args = ["bench", "run", "--problem", PROBLEM, "--algorithms", "evolution", "--seeds", "1"]
    args += ["--evaluations", "12", "--population", "6"]
    _run(*args, "--out", str(tmp_path / "serial"))
    _run(*args, "--executor", "ray", "--executor-opt", "actors=2", "--out", str(tmp_path / "ray"))
    assert _files(tmp_path / "ray", "result.json") == _files(tmp_path / "serial", "result.json")
    bad = _run(*args, "--executor", "ray", "--executor-opt", "actors=0", "--out", str(tmp_path / "bad"), code=2)
    assert "actors" in bad.stderr and not (tmp_path / "bad").exists()
    assert os.environ["HWNAS_PLUGINS"] == "hwnas_test_ray_plugin"
