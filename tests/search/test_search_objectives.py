"""Objective / constraint parsing: the grammar, the canonical text round trip, and violations."""

from __future__ import annotations

import math

import pytest

from hwnas.core.errors import ConfigError, ConstraintError
from hwnas.core.objectives import Constraint, Objective, parse_constraints, parse_objectives, total_violation


@pytest.mark.parametrize(
    ("text", "metric", "direction", "sign"),
    [
        ("params:max", "params", "max", -1.0),
        ("latency:min", "latency", "min", 1.0),
        (" flops : MIN ", "flops", "min", 1.0),
    ],
)
def test_objective_parses(text: str, metric: str, direction: str, sign: float) -> None:
    objective = Objective.parse(text)
    assert (objective.metric, objective.direction, objective.sign) == (metric, direction, sign)
    assert Objective.parse(str(objective)) == objective
    assert objective.to_min(5) == sign * 5


@pytest.mark.parametrize("text", ["params", "params:maximum", ":max", "1x:min", "params:max:min", ""])
def test_objective_errors_show_the_grammar(text: str) -> None:
    with pytest.raises(ConfigError, match=r"METRIC:min or METRIC:max"):
        Objective.parse(text)


def test_objectives_need_one_and_no_duplicates() -> None:
    with pytest.raises(ConfigError, match="at least one"):
        parse_objectives([])
    with pytest.raises(ConfigError, match="'params' is given more than once"):
        parse_objectives(["params:max", "params:min"])


@pytest.mark.parametrize(
    ("text", "metric", "op", "value", "canonical"),
    [
        ("flops<=3e9", "flops", "<=", 3e9, "flops<=3000000000"),
        ("latency <= 150", "latency", "<=", 150.0, "latency<=150"),
        ("params>1e7", "params", ">", 1e7, "params>10000000"),
        ("energy_mj>=0.25", "energy_mj", ">=", 0.25, "energy_mj>=0.25"),
        ("latency@rpi<-1.5", "latency@rpi", "<", -1.5, "latency@rpi<-1.5"),
    ],
)
def test_constraint_parses_and_round_trips(text: str, metric: str, op: str, value: float, canonical: str) -> None:
    constraint = Constraint.parse(text)
    assert (constraint.metric, constraint.op, constraint.value) == (metric, op, value)
    assert str(constraint) == canonical
    assert Constraint.parse(str(constraint)) == constraint


@pytest.mark.parametrize("text", ["flops=<3", "flops==3", "flops<=", "<=3", "flops<=abc", "flops<=inf", "flops<=3 4"])
def test_constraint_errors_name_the_text_and_the_grammar(text: str) -> None:
    with pytest.raises(ConstraintError) as info:
        Constraint.parse(text)
    assert repr(text) in str(info.value)
    assert "e.g. 'flops<=3e9'" in str(info.value) or "finite" in str(info.value)


def test_constraint_checks_and_violations() -> None:
    le, lt, ge = Constraint.parse("x<=10"), Constraint.parse("x<10"), Constraint.parse("x>=4")
    assert le.is_met(10) and not lt.is_met(10) and lt.is_met(9.9)
    assert le.violation(10) == 0.0 and le.violation(15) == pytest.approx(0.5)
    assert 0 < lt.violation(10) < 1e-9  # a strict bound hit exactly is (barely) violated
    assert ge.violation(3) == pytest.approx(0.25) and ge.violation(4) == 0.0
    assert le.violation(math.nan) == math.inf and not le.is_met(math.nan)
    assert not le.check({"y": 1}) and le.check({"x": 1})
    both = parse_constraints(["x<=10", "x>=4"])
    assert total_violation(both, {"x": 20}) == pytest.approx(1.0)
    assert total_violation(both, {"x": 5}) == 0.0
    assert total_violation(both, {}) == math.inf
