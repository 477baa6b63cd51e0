"""The run loop: failures, constraints, budgets, dedup, Pareto output, determinism and in-process resume."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from hwnas.core.errors import DataError
from hwnas.core.objectives import Objective
from hwnas.encodings.archfile import load_arch_file
from hwnas.search import SearchResult, build_config, resolve_config, run_search
from hwnas.search.evaluation import EvaluationService
from hwnas.search.journal import read_journal
from hwnas.search.records import Scorer
from hwnas.spaces import get_space

from .fakes import CountingEvaluator, width

SPACE = get_space("hat-wmt14ende")
SMALL = {"population": 16, "parents": 4, "mutation_size": 6, "mutation_prob": 0.3, "crossover_size": 6, "batch_size": 5}


def _config(out: Path, **overrides: Any) -> Any:
    base = {"space": SPACE.name, "objectives": ["width:max"], "evaluators": ["counting"], "iterations": 8, "seed": 4}
    return build_config({**base, **SMALL, "out": str(out), **overrides})


def _evals(run_dir: Path) -> list[dict[str, Any]]:
    return [e for e in read_journal(run_dir / "journal.jsonl")[0] if e["kind"] == "eval"]


def test_failed_evaluations_become_records_and_nothing_is_evaluated_twice(
    tmp_path: Path, counting: CountingEvaluator
) -> None:
    counting.fails = lambda arch: arch["decoder_layer_num"] == 3  # type: ignore[assignment]
    outcome = run_search(_config(tmp_path / "run"))
    counts = outcome.result.counts
    assert counts["failed"] > 0 and counts["feasible"] + counts["failed"] == counts["evaluations"]
    assert len(counting.returned) == len(set(counting.returned))  # each arch evaluated at most once
    journal = _evals(tmp_path / "run")
    assert len(journal) == counts["evaluations"] == len({e["arch_id"] for e in journal})
    failed = [e for e in journal if e["error"]]
    assert failed and all("RuntimeError: cannot evaluate" in e["error"] for e in failed)
    assert all(e["arch"]["genes"]["decoder_layer_num"] == 3 for e in failed)
    assert outcome.result.best is not None and outcome.result.best["arch"]["genes"]["decoder_layer_num"] != 3
    best = load_arch_file(tmp_path / "run" / "best_arch.json")  # the best arch as an arch file for --arch options
    assert best.arch_id == outcome.result.best["arch_id"]


@pytest.mark.parametrize("algorithm", ["evolution", "random", "local"])
def test_cheap_and_expensive_constraints_are_respected(
    tmp_path: Path, counting: CountingEvaluator, algorithm: str
) -> None:
    # flops (analytic, cheap) is met by every evaluated arch; layers (counting, expensive) makes infeasible records.
    config = _config(
        tmp_path / "run",
        algorithm=algorithm,
        evaluators=["analytic", "counting"],
        constraints=["flops<=3e9", "layers<=1"],
    )
    result = run_search(config).result
    journal = _evals(tmp_path / "run")
    assert all(e["metrics"]["flops"] <= 3e9 for e in journal)
    assert result.counts["filtered"] == 0  # searchers redraw instead of proposing cheap violators
    assert result.counts["infeasible"] == sum(e["metrics"]["layers"] > 1 for e in journal) > 0
    best = result.best
    assert best is not None and best["metrics"]["layers"] <= 1 and best["metrics"]["flops"] <= 3e9
    feasible = [e for e in journal if e["metrics"]["layers"] <= 1]
    assert best["metrics"]["width"] == max(e["metrics"]["width"] for e in feasible)


def test_max_evaluations_budget_is_exact(tmp_path: Path, counting: CountingEvaluator) -> None:
    result = run_search(_config(tmp_path / "run", iterations=50, max_evaluations=37)).result
    assert result.stopped == "max_evaluations"
    assert result.counts["evaluations"] == 37 == len(counting.returned) == len(_evals(tmp_path / "run"))
    assert [h["evaluations"] for h in result.history][-1] == 37


def test_several_objectives_give_the_pareto_front(tmp_path: Path, counting: CountingEvaluator) -> None:
    config = _config(tmp_path / "run", objectives=["width:max", "flops:min"], evaluators=["counting", "analytic"])
    result = run_search(config).result
    points = [(e["metrics"]["width"], e["metrics"]["flops"]) for e in _evals(tmp_path / "run")]
    front = {(p["metrics"]["width"], p["metrics"]["flops"]) for p in result.pareto_front or []}
    brute = {p for p in points if not any(q[0] >= p[0] and q[1] <= p[1] and q != p for q in points)}
    assert front == brute and len(front) > 1
    assert result.hypervolume is not None and result.hypervolume > 0
    assert "pareto_size" in result.history[-1]
    best = result.best
    assert best is not None and best["metrics"]["width"] == max(p[0] for p in points)  # first objective decides


def test_same_seed_same_result_file(tmp_path: Path, counting: CountingEvaluator) -> None:
    run_search(_config(tmp_path / "a"))
    run_search(_config(tmp_path / "b"))
    run_search(_config(tmp_path / "c", seed=5))
    text = {name: (tmp_path / name / "result.json").read_text() for name in "abc"}
    assert text["a"] == text["b"] != text["c"]
    result = SearchResult.from_dict(json.loads(text["a"]))
    assert result.to_dict() == json.loads(text["a"])
    assert [h["best"]["width"] for h in result.history] == sorted(h["best"]["width"] for h in result.history)


def _interrupted_copy(full: Path, target: Path, keep_lines: int) -> set[str]:
    """A run directory as a kill -9 would leave it: the first lines of the journal plus half a line."""
    target.mkdir()
    shutil.copy(full / "config.yaml", target / "config.yaml")
    lines = (full / "journal.jsonl").read_text().splitlines(keepends=True)
    (target / "journal.jsonl").write_text("".join(lines[:keep_lines]) + lines[keep_lines][:30])
    return {e["arch_id"] for e in _evals(target)}


@pytest.mark.parametrize("keep_lines", [1, 40, 90])
def test_resume_replays_the_journal_and_ends_identically(
    tmp_path: Path, counting: CountingEvaluator, keep_lines: int
) -> None:
    run_search(_config(tmp_path / "full"))
    journaled = _interrupted_copy(tmp_path / "full", tmp_path / "resumed", keep_lines)
    counting.returned.clear()
    outcome = run_search(resolve_config({"out": str(tmp_path / "resumed"), "resume": True}))
    assert (tmp_path / "resumed" / "result.json").read_text() == (tmp_path / "full" / "result.json").read_text()
    assert not journaled & set(counting.returned)  # nothing already journaled was evaluated again
    assert outcome.new_evaluations == len(counting.returned) == outcome.result.counts["evaluations"] - len(journaled)
    again = run_search(resolve_config({"out": str(tmp_path / "resumed"), "resume": True}))  # a finished run: no work
    assert again.new_evaluations == 0


def test_resume_refuses_a_journal_the_replay_does_not_match(tmp_path: Path, counting: CountingEvaluator) -> None:
    run_search(_config(tmp_path / "run"))
    path = tmp_path / "run" / "journal.jsonl"
    entries = [json.loads(line) for line in path.read_text().splitlines()]
    iteration = next(e for e in entries if e["kind"] == "iteration")
    iteration["asked"] = list(reversed(iteration["asked"]))
    path.write_text("".join(json.dumps(e) + "\n" for e in entries))
    with pytest.raises(DataError, match="iteration 0 asks for other archs than the journal records"):
        run_search(resolve_config({"out": str(tmp_path / "run"), "resume": True}))


def test_local_search_climbs_to_the_optimum_through_the_loop(tmp_path: Path, counting: CountingEvaluator) -> None:
    result = run_search(_config(tmp_path / "run", algorithm="local", iterations=12, population=70)).result
    assert result.best is not None and result.best["metrics"]["width"] == width(SPACE.largest())
    steps = [h["best"]["width"] for h in result.history]
    assert steps == sorted(steps) and len(set(steps)) > 3  # it climbed step by step


def test_service_isolates_the_failing_arch_and_spares_later_evaluators() -> None:
    archs = [SPACE.sample(np.random.default_rng(i)) for i in range(6)]
    bad = archs[2].arch_id
    first, second = CountingEvaluator(fails=lambda a: a.arch_id == bad), CountingEvaluator()
    second.metrics = ("width2",)  # type: ignore[assignment]
    scorer = Scorer((Objective("width", "max"),))
    service = EvaluationService(evaluators=[first, second], scorer=scorer, batch_size=6)
    records = service.evaluate(archs).records
    assert [r.status for r in records] == ["ok", "ok", "failed", "ok", "ok", "ok"]
    assert records[2].error is not None and f"cannot evaluate {bad}" in records[2].error
    assert first.calls == 1 + 6  # the batch, then one call per arch to find the culprit
    assert bad not in second.returned and len(second.returned) == 5 and second.calls == 1
    assert [r.metrics["width"] for r in records if r.feasible] == [width(a) for a in archs if a.arch_id != bad]
