"""Fitness schedules (hybrid search): parsing and coverage checks, phases ranking by their own fitness, carried-over
archs evaluated again under the new fitness, a shared budget, and byte-identical resume of a scheduled run."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import pytest

from hwnas.contracts.options import NoOptions
from hwnas.core.errors import ConfigError, DataError, UnknownNameError
from hwnas.search import build_config, resolve_config, run_search
from hwnas.search.evolution import EvolutionOptions, EvolutionSearcher
from hwnas.search.journal import read_journal
from hwnas.search.local import LocalSearcher
from hwnas.search.loop import execute, plan_search
from hwnas.search.random_search import RandomSearcher
from hwnas.search.records import Record
from hwnas.spaces import get_space

from .conftest import register_for_test, register_searcher_for_test
from .fakes import WidthEvaluator
from .test_search_loop import _interrupted_copy

SPACE = get_space("hat-wmt14ende")
SMALL = {"population": 16, "parents": 4, "mutation_size": 6, "mutation_prob": 0.3, "crossover_size": 6, "batch_size": 5}
SCHEDULE = "up:0-3,down:4-"


@pytest.fixture
def widths(monkeypatch: pytest.MonkeyPatch) -> dict[str, WidthEvaluator]:
    """``up`` (width, maximised) and ``down`` (width, minimised): phases that pull the search opposite ways."""
    made = {"up": WidthEvaluator("up", "max"), "down": WidthEvaluator("down", "min")}
    for name, instance in made.items():
        register_for_test(monkeypatch, name, instance)
    return made


def _config(out: Path, **overrides: Any) -> Any:
    base = {"space": SPACE.name, "fitness_schedule": SCHEDULE, "iterations": 8, "seed": 4}
    return build_config({**base, **SMALL, "out": str(out), **overrides})


def _journal(run_dir: Path, kind: str) -> list[dict[str, Any]]:
    return [e for e in read_journal(run_dir / "journal.jsonl")[0] if e["kind"] == kind]


# parsing and validation --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "value",
    ["up:0-3,down:4-", ["up:0-3", "down:4-"], [" up : 0-3 , down:4- "], ["up:0-3,down:4-"]],
)
def test_schedule_forms_parse_to_one_canonical_list(value: Any) -> None:
    config = build_config({"space": "tiny", "iterations": 8, "fitness_schedule": value})
    assert config.fitness_schedule == ["up:0-3", "down:4-"]
    assert [(p.evaluator, p.start, p.end) for p in config.schedule()] == [("up", 0, 3), ("down", 4, None)]
    assert config.evaluator_names() == ["analytic", "up", "down"]
    assert config.phase_evaluator_names("down") == ["analytic", "down"]


@pytest.mark.parametrize(
    ("value", "iterations", "message"),
    [
        ("supernet", 8, r"phase 'supernet' is malformed; expected EVALUATOR:START-END"),
        ("supernet:a-b", 8, "malformed"),
        (":0-", 8, "malformed"),
        ("supernet:0", 8, "malformed"),
        ("up:5-3,down:4-", 8, r"'up:5-3' ends \(iteration 3\) before it starts \(5\)"),
        ("up:1-", 8, r"'up:1-' must start at iteration 0; phases must cover 0..7"),
        ("up:0-3,down:5-", 8, r"'down:5-' must start at iteration 4, right after the last"),
        ("up:0-3,down:3-", 8, r"'down:3-' must start at iteration 4"),
        ("up:0-,down:4-", 8, r"'up:0-' has an open end but is not the last phase"),
        ("up:0-3,down:4-6", 8, r"ends at iteration 6 but the run has iterations 0..7"),
        ("up:0-9", 8, r"ends at iteration 9 but the run has iterations 0..7"),
        ("up:0-7,down:8-", 8, r"'down:8-' starts after the last iteration \(7; iterations=8\)"),
    ],
)
def test_schedule_errors_name_the_value_and_what_is_allowed(value: str, iterations: int, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        build_config({"space": "tiny", "iterations": iterations, "fitness_schedule": value})


def test_schedule_excludes_fitness_and_objectives_and_checks_names(widths: dict[str, WidthEvaluator]) -> None:
    base = {"space": SPACE.name, "iterations": 8, "fitness_schedule": SCHEDULE}
    with pytest.raises(ConfigError, match=r"either fitness \('up'\) or fitness_schedule, not both"):
        build_config({**base, "fitness": "up"})
    with pytest.raises(ConfigError, match=r"objectives \(params:max\) cannot be combined with fitness_schedule"):
        build_config({**base, "objectives": ["params:max"]})
    with pytest.raises(UnknownNameError, match="unknown evaluator 'sideways'"):
        plan_search(build_config({**base, "fitness_schedule": "up:0-3,sideways:4-"}))
    with pytest.raises(ConfigError, match=r"phase 1 \(down\): unknown metric 'up' in 'up<=1'.*\(analytic, down\)"):
        plan_search(build_config({**base, "constraints": ["up<=1"]}))


def test_fitness_direction_sets_the_default_objective(widths: dict[str, WidthEvaluator]) -> None:
    plan = plan_search(build_config({"space": SPACE.name, "fitness": "up", "out": "unused"}))
    assert [str(o) for o in plan.objectives] == ["up:max"]
    widths["up"].fitness_direction = "sideways"
    with pytest.raises(ConfigError, match="fitness_direction 'sideways'; allowed: 'min', 'max'"):
        plan_search(build_config({"space": SPACE.name, "fitness": "up", "out": "unused"}))


class _Forgetful:
    """A searcher that keeps state but cannot re-rank it: it must be refused with a schedule."""

    @classmethod
    def from_config(cls, space: Any, config: Any, *, rng: Any, feasible: Any) -> _Forgetful:
        return cls()

    def ask(self, n: int) -> list[Any]:
        return []

    def tell(self, records: Sequence[Record]) -> None:
        pass


def test_a_searcher_that_cannot_rescore_is_refused(
    monkeypatch: pytest.MonkeyPatch, widths: dict[str, WidthEvaluator], tmp_path: Path
) -> None:
    register_searcher_for_test(monkeypatch, "forgetful", _Forgetful)
    with pytest.raises(ConfigError, match=r"'forgetful' cannot follow a fitness_schedule.*retained\(\) / rescore\(\)"):
        plan_search(_config(tmp_path / "run", algorithm="forgetful"))


# phases in a run ---------------------------------------------------------------------------------------------------
def test_each_phase_ranks_by_its_own_fitness(tmp_path: Path, widths: dict[str, WidthEvaluator]) -> None:
    outcome = run_search(_config(tmp_path / "run"))
    result, evals = outcome.result, _journal(tmp_path / "run", "eval")
    first = [e for e in evals if e["phase"] == 0]
    second = [e for e in evals if e["phase"] == 1]
    assert all("up" in e["metrics"] and "down" not in e["metrics"] for e in first)
    assert all("down" in e["metrics"] and "up" not in e["metrics"] for e in second)
    history = result.history
    assert [h["phase"] for h in history] == [0, 0, 0, 0, 1, 1, 1, 1]
    ups = [h["best"]["up"] for h in history[:4]]
    downs = [h["best"]["down"] for h in history[4:]]
    assert ups == sorted(ups) and downs == sorted(downs, reverse=True)  # each phase improves its own metric
    assert ups[-1] == max(e["metrics"]["up"] for e in first)
    assert result.objectives == ["down:min"] and result.best is not None  # the last phase decides the best arch
    assert result.best["metrics"]["down"] == min(e["metrics"]["down"] for e in second) < ups[-1]
    assert result.best["arch_id"] in {e["arch_id"] for e in second}
    schedule = result.fitness_schedule or []
    assert [(p["fitness"], p["iterations"], p["objectives"]) for p in schedule] == [
        ("up", [0, 3], ["up:max"]),
        ("down", [4, 7], ["down:min"]),
    ]
    assert [p["counts"]["evaluations"] for p in schedule] == [len(first), len(second)]
    assert result.counts["evaluations"] == len(evals) == outcome.new_evaluations
    assert schedule[0]["best"]["metrics"]["up"] == ups[-1]
    timings = json.loads((tmp_path / "run" / "timings.json").read_text())
    assert timings == outcome.timings and len(timings["iterations_s"]) == 8
    assert [p["fitness"] for p in timings["phases"]] == ["up", "down"]
    assert sum(p["seconds"] for p in timings["phases"]) == pytest.approx(timings["total_s"], abs=1e-5)


def test_carried_archs_are_evaluated_again_under_the_new_fitness(
    tmp_path: Path, widths: dict[str, WidthEvaluator]
) -> None:
    plan = plan_search(_config(tmp_path / "run"))
    widths["down"].returned.clear()  # planning probed the smallest arch
    execute(plan)
    evals = _journal(tmp_path / "run", "eval")
    (phase,) = _journal(tmp_path / "run", "phase")
    carried = phase["carried"]
    assert phase["phase"] == 1 and phase["fitness"] == "down" and len(carried) == SMALL["parents"]
    first = {e["arch_id"]: e["metrics"]["up"] for e in evals if e["phase"] == 0}
    assert set(carried) <= set(first)  # evolution's parents at the end of phase 0: its best under "up"
    assert min(first[a] for a in carried) >= max(v for a, v in first.items() if a not in carried)
    assert widths["down"].returned[: len(carried)] == carried  # the new fitness saw them first
    assert {e["arch_id"] for e in evals if e["phase"] == 1} >= set(carried)


def _checking(cls: type) -> type:
    """``cls`` whose every ``tell`` asserts that its kept records and the new ones measure one fitness."""

    class Checking(cls):  # type: ignore[valid-type, misc]
        told: ClassVar[list[str]] = []

        def tell(self, records: Sequence[Record]) -> None:
            kept = list(getattr(self, "parent_records", []))
            kept += [self.current] if getattr(self, "current", None) is not None else []
            metrics = {next(m for m in ("up", "down") if m in r.metrics) for r in [*kept, *records]}
            assert len(metrics) <= 1, f"compared records of {sorted(metrics)}"
            Checking.told.extend(metrics)
            super().tell(records)

    return Checking


@pytest.mark.parametrize("cls", [EvolutionSearcher, LocalSearcher, RandomSearcher])
def test_searchers_never_compare_two_fitness_metrics(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, widths: dict[str, WidthEvaluator], cls: type
) -> None:
    checking = _checking(cls)
    options = EvolutionOptions if cls is EvolutionSearcher else NoOptions
    register_searcher_for_test(monkeypatch, "checking", checking, options)
    result = run_search(_config(tmp_path / "run", algorithm="checking")).result
    assert "up" in checking.told and checking.told[-1] == "down"
    assert result.best is not None and "down" in result.best["metrics"]


def test_the_budget_is_shared_by_the_phases(tmp_path: Path, widths: dict[str, WidthEvaluator]) -> None:
    result = run_search(_config(tmp_path / "run", max_evaluations=60)).result
    evals = _journal(tmp_path / "run", "eval")
    assert result.stopped == "max_evaluations" and result.counts["evaluations"] == 60 == len(evals)
    assert {e["phase"] for e in evals} == {0, 1}
    assert result.history[-1]["evaluations"] == 60 and result.objectives == ["down:min"]


def test_a_phase_never_reached_is_reported_as_such(tmp_path: Path, widths: dict[str, WidthEvaluator]) -> None:
    result = run_search(_config(tmp_path / "run", max_evaluations=20)).result
    assert result.stopped == "max_evaluations" and result.objectives == ["up:max"]
    assert [p["reached"] for p in result.fitness_schedule or []] == [True, False]


def _cut_points(run_dir: Path) -> list[int]:
    """Journal line counts to keep: early, right before the phase entry (carried archs journaled, the phase
    switch not yet), and inside the second phase."""
    kinds = [json.loads(line)["kind"] for line in (run_dir / "journal.jsonl").read_text().splitlines()]
    switch = kinds.index("phase")
    return [3, switch, switch + 8]


@pytest.mark.parametrize("cut", [0, 1, 2])
def test_scheduled_resume_replays_each_phase_and_ends_identically(
    tmp_path: Path, widths: dict[str, WidthEvaluator], cut: int
) -> None:
    run_search(_config(tmp_path / "full"))
    keep = _cut_points(tmp_path / "full")[cut]
    _interrupted_copy(tmp_path / "full", tmp_path / "resumed", keep)
    journaled = {(e["phase"], e["arch_id"]) for e in _journal(tmp_path / "resumed", "eval")}
    plan = plan_search(resolve_config({"out": str(tmp_path / "resumed"), "resume": True}))
    for evaluator in widths.values():
        evaluator.returned.clear()
    outcome = execute(plan)
    assert (tmp_path / "resumed" / "result.json").read_text() == (tmp_path / "full" / "result.json").read_text()
    again = {(0, a) for a in widths["up"].returned} | {(1, a) for a in widths["down"].returned}
    assert not journaled & again  # nothing journaled (in its phase) was evaluated again
    assert outcome.new_evaluations == outcome.result.counts["evaluations"] - len(journaled)
    assert len(_journal(tmp_path / "resumed", "phase")) == 1


def test_resume_refuses_a_journal_whose_carried_archs_differ(tmp_path: Path, widths: dict[str, WidthEvaluator]) -> None:
    run_search(_config(tmp_path / "run"))
    path = tmp_path / "run" / "journal.jsonl"
    entries = [json.loads(line) for line in path.read_text().splitlines()]
    phase = next(e for e in entries if e["kind"] == "phase")
    phase["carried"] = list(reversed(phase["carried"]))
    path.write_text("".join(json.dumps(e) + "\n" for e in entries))
    with pytest.raises(DataError, match="phase 1 carries other archs over than the journal records"):
        run_search(resolve_config({"out": str(tmp_path / "run"), "resume": True}))
