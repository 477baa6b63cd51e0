"""Components as configured: each registry's built-ins (registered by the package implementing them, imported
lazily), options blocks merged over layers with the 0.1 keys as aliases, stored 0.1 configs resuming, shorthand
keys filling evaluator options, devices, parsed constraints, and reading evaluators' answers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from hwnas.contracts.evaluator import EVALUATORS, Outcome, evaluate_outcomes
from hwnas.contracts.executor import EXECUTORS
from hwnas.contracts.screening import ConstraintScreen
from hwnas.contracts.searcher import SEARCHERS
from hwnas.core.errors import ConfigError
from hwnas.core.objectives import Constraint, Objective
from hwnas.search import build_config, resolve_config
from hwnas.search.config import first_difference
from hwnas.search.rundir import check_run_dir
from hwnas.spaces import get_space

SPACE = get_space("tiny")
BASE = {"space": "tiny", "objectives": ["params:max"]}


def test_every_built_in_is_registered_by_its_package_and_reading_them_imports_no_torch() -> None:
    assert {"evolution", "random", "local"} <= set(SEARCHERS.names())
    assert {"analytic", "latency", "latency-model", "supernet", "llm-distill"} <= set(EVALUATORS.names())
    assert {"serial", "process"} <= set(EXECUTORS.names())
    code = (
        "import sys; from hwnas.contracts.evaluator import EVALUATORS\n"
        "[EVALUATORS.describe(n) for n in EVALUATORS.names()]\n"
        "print('torch' in sys.modules, 'transformers' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_0_1_keys_fill_the_blocks_and_searchers_without_such_knobs_ignore_them() -> None:
    evolution = build_config({**BASE, "algorithm": "evolution", "parents": 5, "mutation_prob": 0.1})
    assert evolution.searcher.model_dump() == {"name": "evolution", "options": {"parents": 5, "mutation_prob": 0.1}}
    assert build_config({**BASE, "algorithm": "random", "parents": 5}).searcher.options == {}
    with pytest.raises(ConfigError, match="searcher 'random': unknown option 'parents'; known: "):
        build_config({**BASE, "searcher": {"name": "random", "options": {"parents": 5}}})


def test_later_layers_win_key_by_key_and_another_searcher_drops_the_options() -> None:
    file = {**BASE, "searcher": {"name": "evolution", "options": {"parents": 3, "mutation_size": 7}}}
    flags = {"parents": 4, "searcher": {"options": {"crossover_size": 9}}}
    merged = build_config(file, flags).searcher.options
    assert merged == {"parents": 4, "mutation_size": 7, "crossover_size": 9}
    assert build_config(file, {"algorithm": "local"}).searcher.model_dump() == {"name": "local", "options": {}}
    assert build_config(file, {"searcher": "evolution"}).searcher.options == {"parents": 3, "mutation_size": 7}


def test_evaluator_options_configure_listed_and_added_evaluators_by_name() -> None:
    file = {**BASE, "evaluators": ["analytic", {"name": "latency", "options": {"runs": 3}}], "fitness": "supernet"}
    flags = {
        "evaluator_options": {
            "latency": {"warmup": 0},
            "supernet": {"options": {"device": "cpu"}, "devices": "cpu,cuda:0"},
        }
    }
    config = build_config(file, flags)
    assert [b.name for b in config.evaluators] == ["analytic", "latency"]
    assert config.evaluators[1].options == {"runs": 3, "warmup": 0}
    assert config.evaluator_options["supernet"].devices == ["cpu", "cuda:0"]
    assert config.evaluator_names() == ["analytic", "latency", "supernet"]
    with pytest.raises(ConfigError, match="evaluator 'analytic' has no 'device' option"):
        build_config(BASE, {"evaluator_options": {"analytic": {"devices": ["cpu"]}}})
    with pytest.raises(ConfigError, match="evaluator 'latency': unknown option 'repeats'; known: device, threads"):
        build_config(BASE, {"evaluators": [{"name": "latency", "options": {"repeats": 3}}]})
    with pytest.raises(ConfigError, match=r"names 'latency', which this run does not use.*--evaluator latency"):
        build_config(BASE, {"evaluator_options": {"latency": {"runs": 3}}})


def test_shorthand_keys_fill_what_each_evaluator_declares_and_blocks_win() -> None:
    config = build_config(
        {**BASE, "fitness": "supernet", "checkpoint": "sn.pt", "device": "cpu", "latency_model": "lat.npz"},
        {"evaluator_options": {"supernet": {"device": "cuda:1"}}},
    )
    specs = {spec.name: spec for spec in config.evaluator_specs()}
    assert list(specs) == ["analytic", "supernet", "latency-model"]
    assert specs["analytic"].options == {}
    assert specs["supernet"].options == {"checkpoint": "sn.pt", "device": "cuda:1"}
    assert specs["latency-model"].options == {"latency_model": "lat.npz", "device": "cpu"}


def test_a_schedule_phase_evaluator_is_configured_without_running_it_in_other_phases() -> None:
    config = build_config(
        {"space": "tiny", "iterations": 4, "fitness_schedule": "analytic:0-1,supernet:2-"},
        {"evaluator_options": {"supernet": {"checkpoint": "sn.pt"}}},
    )
    assert config.phase_evaluator_names("analytic") == ["analytic"]
    assert config.phase_evaluator_names("supernet") == ["analytic", "supernet"]
    assert [s.options for s in config.evaluator_specs()] == [{}, {"checkpoint": "sn.pt", "device": "auto"}]


def test_a_stored_0_1_config_resumes_and_the_executor_may_change(tmp_path: Path) -> None:
    old = {
        **BASE,
        "constraints": ["flops<=3e9"],
        "algorithm": "evolution",
        "evaluators": ["analytic"],
        "fitness": None,
        "checkpoint": None,
        "device": "auto",
        "iterations": 30,
        "population": 125,
        "parents": 25,
        "mutation_size": 50,
        "mutation_prob": 0.3,
        "crossover_size": 50,
        "seed": 1,
        "out": str(tmp_path / "run"),
        "resume": False,
    }
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "config.yaml").write_text(yaml.safe_dump(old, sort_keys=False))
    resumed = resolve_config({"out": str(tmp_path / "run"), "resume": True, "executor": "process"})
    assert check_run_dir(resumed) is not None and resumed.searcher.options["parents"] == 25
    changed = resolve_config({"out": str(tmp_path / "run"), "resume": True, "parents": 5})
    with pytest.raises(ConfigError, match="config key 'searcher'"):
        check_run_dir(changed)


def test_constraints_may_be_given_parsed_and_are_parsed_once() -> None:
    limit = Constraint("latency", "<=", 2.125)
    config = build_config({**BASE, "constraints": [limit], "objectives": [Objective("params", "max")]})
    assert config.constraints == ["latency<=2.125"] and config.parsed_constraints() == (limit,)
    assert config.parsed_constraints() is config.parsed_constraints()
    assert first_difference(config, build_config(config.to_dict())) is None


class _Answers:
    metrics = ("x",)
    cheap = True

    def __init__(self, answers: Any) -> None:
        self.answers, self.calls = answers, 0

    def evaluate(self, archs: Any) -> Any:
        self.calls += 1
        return self.answers(archs)


def test_answers_are_read_one_outcome_per_arch() -> None:
    archs = [SPACE.smallest(), SPACE.largest()]
    mixed = _Answers(lambda archs: [{"x": 1}, Outcome({"x": 2.0}, "partly failed")])
    assert evaluate_outcomes(mixed, archs) == [Outcome({"x": 1.0}), Outcome({"x": 2.0}, "partly failed")]
    short = _Answers(lambda archs: [{"x": 1}])  # one answer for two archs: asked again one by one
    assert evaluate_outcomes(short, archs) == [Outcome({"x": 1.0}), Outcome({"x": 1.0})] and short.calls == 3
    bad = _Answers(lambda archs: [{"x": "n/a"} for _ in archs])
    assert [o.error for o in evaluate_outcomes(bad, archs)] == [
        "_Answers: ValueError: could not convert string to float: 'n/a'"
    ] * 2


def test_the_screen_decides_and_leaves_undecidable_archs_to_the_caller() -> None:
    small, large = SPACE.smallest(), SPACE.largest()
    failing = _Answers(lambda archs: [{"x": 1.0} if a is small else Outcome(error="no") for a in archs])
    screen = ConstraintScreen([Constraint("x", "<=", 0.5), Constraint("y", "<", 1)], [failing])
    assert screen.constraints == (Constraint("x", "<=", 0.5),)  # nothing reports y: checked after evaluation
    assert (screen.verdict(small), screen.verdict(large)) == (False, None)
    screen.verdict(small)
    assert failing.calls == 2 and screen.known(small) == {0: {"x": 1.0}} and screen.known(large) == {}


def test_the_screen_answers_a_batch_in_one_call_with_the_same_verdicts() -> None:
    small, large = SPACE.smallest(), SPACE.largest()
    failing = _Answers(lambda archs: [{"x": 1.0} if a is small else Outcome(error="no") for a in archs])
    screen = ConstraintScreen([Constraint("x", ">=", 0.5)], [failing])
    assert screen.verdicts([small, large, small]) == [True, None, True]
    assert failing.calls == 1  # one batch; the verdicts then come from the memo
    assert screen.verdicts([large, small]) == [None, True] and failing.calls == 1
    assert screen.known(small) == {0: {"x": 1.0}} and screen.known(large) == {}
