"""The contract every searcher keeps on a multi-objective problem (HW-GPT-Bench gpt-s, perplexity against h100
latency, with a latency cap): the same seed gives the same run, a run killed mid-journal resumes to the same result
without evaluating anything twice, every evaluated arch meets the constraint, and the hypervolume never decreases.
Skips without HWNAS_DATA_DIR."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from hwnas.search.loop import run_search
from hwnas.search.registry import searcher_names
from hwnas.search.rundir import resolve_config
from hwnas.studies.problem import Problem, load_problem
from hwnas.studies.scoring import hypervolume_trace, read_evaluations
from hwnas.studies.suite import SuiteSettings, run_config

pytestmark = pytest.mark.usefixtures("offline_llm")  # lm-searcher asks an offline LLM (tests/conftest.py)
EVALUATIONS = 60
SHORTER = {"ehvi": (12, {"startup": 6})}  # BO: a few seconds per proposal on 2 cores, so fewer evaluations


@pytest.fixture(scope="module")
def problem() -> Problem:
    base = load_problem("gpt-s-perplexity-latency-h100")
    best, worst = base.bounds["latency@h100"]
    cap = round(best + (worst - best) / 3, 3)
    return Problem.model_validate(base.model_dump() | {"constraints": [f"latency@h100<={cap}"]})


@pytest.fixture(autouse=True)
def cache(data_dir: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path_factory.getbasetemp() / "bench-cache"  # one fit per surrogate for the whole session
    monkeypatch.setenv("HWNAS_CACHE_DIR", str(folder))


def _config(problem: Problem, name: str, out: Path, seed: int = 0):  # type: ignore[no-untyped-def]
    evaluations, options = SHORTER.get(name, (EVALUATIONS, {}))
    settings = SuiteSettings(problem=problem.name, algorithms=(name,), seeds=(seed,), evaluations=evaluations,
                             population=10, options={name: options} if options else {})  # fmt: skip
    return run_config(problem, settings, name, seed, out)


@pytest.mark.parametrize("name", searcher_names())
def test_a_searcher_keeps_the_multi_objective_contract(name: str, problem: Problem, tmp_path: Path) -> None:
    full = tmp_path / "full"
    run_search(_config(problem, name, full))
    run_search(_config(problem, name, tmp_path / "again"))
    result = (full / "result.json").read_text()
    assert (tmp_path / "again" / "result.json").read_text() == result  # same seed, same run

    evaluations = read_evaluations(full)
    budget = SHORTER.get(name, (EVALUATIONS, {}))[0]
    assert len(evaluations) == budget
    cap = problem.parsed_constraints()[0].value
    assert all(e.metrics["latency_h100"] <= cap for e in evaluations)  # screened before evaluation
    trace = hypervolume_trace(problem, evaluations)
    assert np.all(np.diff(trace) >= 0) and trace[-1] > 0

    killed = tmp_path / "killed"  # as kill -9 leaves it: half the journal and a torn line
    killed.mkdir()
    shutil.copy(full / "config.yaml", killed / "config.yaml")
    lines = (full / "journal.jsonl").read_text().splitlines(keepends=True)
    keep = len(lines) // 2
    (killed / "journal.jsonl").write_text("".join(lines[:keep]) + lines[keep][:25])
    before = len(read_evaluations(killed))
    outcome = run_search(resolve_config({"out": str(killed), "resume": True}))
    assert (killed / "result.json").read_text() == result
    assert outcome.new_evaluations == budget - before
    assert json.loads(result)["counts"]["evaluations"] == budget
