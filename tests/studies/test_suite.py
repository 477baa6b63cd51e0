"""`hwnas bench run`: every (algorithm, seed) a resumable run on a bundled HW-GPT-Bench problem, scored by
hypervolume; started again it evaluates nothing new and writes the same summary; other settings are refused, and a
bad argument leaves nothing behind. Skips without HWNAS_DATA_DIR (the benchmark table)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from hwnas.cli.main import app

PROBLEM = "gpt-s-perplexity-latency-h100"
ARGS = ["bench", "run", "--problem", PROBLEM, "--algorithms", "random,evolution,local", "--seeds", "2"]
ARGS += ["--evaluations", "30", "--population", "10", "--budgets", "10,30"]


@pytest.fixture(autouse=True)
def cache(data_dir: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path_factory.getbasetemp() / "bench-cache"  # one fit per surrogate for the whole session
    monkeypatch.setenv("HWNAS_CACHE_DIR", str(folder))


def _run(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def test_a_suite_runs_scores_and_resumes_without_evaluating_again(tmp_path: Path) -> None:
    out = tmp_path / "suite"
    printed = _run(*ARGS, "--out", str(out))
    assert "[6/6] local seed 1: 30 evaluations (30 new)" in printed
    summary = json.loads((out / "summary.json").read_text())
    assert [(r["algorithm"], r["seed"]) for r in summary["runs"]] == [
        (a, s) for a in ("random", "evolution", "local") for s in (0, 1)
    ]
    for run in summary["runs"]:
        assert run["evaluations"] == 30 and len(run["hypervolume"]) == 30
        assert np.all(np.diff(run["hypervolume"]) >= 0) and run["hypervolume"][-1] > 0
        assert run["at_budgets"]["30"] == run["hypervolume"][-1] and run["front"]
        assert (out / run["run_dir"] / "journal.jsonl").is_file()
    for algorithm in ("random", "evolution", "local"):
        cell = summary["table"][algorithm]["30"]
        assert cell["n"] == 2 and cell["se"] is not None and 0 < cell["mean"] < 1.5
    assert set(summary["attainment"]) == {"random", "evolution", "local"}

    again = _run(*ARGS, "--out", str(out))  # resumed: replayed from the journals
    assert "[6/6] local seed 1: 30 evaluations (0 new)" in again
    resumed = json.loads((out / "summary.json").read_text())
    assert resumed["table"] == summary["table"]
    assert [r["hypervolume"] for r in resumed["runs"]] == [r["hypervolume"] for r in summary["runs"]]

    other = CliRunner().invoke(app, [*ARGS[:-2], "--budgets", "30", "--seeds", "3", "--out", str(out)])
    assert other.exit_code == 2 and "holds a suite with other settings" in other.stderr


@pytest.mark.parametrize(
    ("extra", "says"),
    [
        (["--algorithms", "random,annealing"], "algorithm 'annealing' is not a searcher"),
        (["--budgets", "10,60"], "budget 60 is outside 1..30"),
        (["--algorithm-opt", "evolution.parents=50"], "parents (50) must be <= population (10)"),
        (["--algorithm-opt", "nsga.x=1"], "not among the algorithms"),
        (["--problem", "gpt-s-speed"], "unknown problem 'gpt-s-speed'"),
    ],
)
def test_bad_arguments_are_one_line_and_write_nothing(tmp_path: Path, extra: list[str], says: str) -> None:
    out = tmp_path / "suite"
    result = CliRunner().invoke(app, [*ARGS, *extra, "--out", str(out)])
    assert result.exit_code == 2 and says in result.stderr and len(result.stderr.splitlines()) == 1
    assert not out.exists()


def test_bundled_problems_are_listed() -> None:
    rows = json.loads(_run("bench", "problems", "--json"))
    row = next(r for r in rows if r["name"] == PROBLEM)
    assert row["objectives"] == ["perplexity:min", "latency@h100:min"] and row["space"] == "gpt-s"
