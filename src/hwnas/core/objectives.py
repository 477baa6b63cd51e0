"""Objectives ("params:max") and constraints ("flops<=3e9"): parsed once, up front, with errors that show the grammar.

Both are tiny value objects so that configs, journals and results can carry them as their canonical text
(``str(obj)``) and get the same object back with ``parse``.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Literal, TypeAlias

from hwnas.core.errors import ConfigError, ConstraintError

Direction: TypeAlias = Literal["min", "max"]
Op: TypeAlias = Literal["<=", "<", ">=", ">"]

_METRIC = r"[A-Za-z_][\w.@/-]*"
_METRIC_RE = re.compile(rf"^{_METRIC}$")
_CONSTRAINT_RE = re.compile(rf"^\s*({_METRIC})\s*(<=|>=|<|>)\s*(\S+)\s*$")
_OPS: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le,
    "<": operator.lt,
    ">=": operator.ge,
    ">": operator.gt,
}

OBJECTIVE_GRAMMAR = "METRIC:min or METRIC:max, e.g. 'params:max' or 'latency:min'"
CONSTRAINT_GRAMMAR = "METRIC OP VALUE with OP one of <=, <, >=, >, e.g. 'flops<=3e9' or 'latency <= 150'"


@dataclass(frozen=True)
class Objective:
    """A metric to minimise or maximise. ``sign`` turns any objective into one to minimise (pymoo's convention)."""

    metric: str
    direction: Direction

    @classmethod
    def parse(cls, text: str) -> Objective:
        metric, sep, direction = str(text).strip().rpartition(":")
        metric, direction = metric.strip(), direction.strip().lower()
        if not sep or not _METRIC_RE.match(metric) or direction not in ("min", "max"):
            raise ConfigError(f"objective {text!r} is malformed; expected {OBJECTIVE_GRAMMAR}")
        return cls(metric, direction)  # type: ignore[arg-type]

    @property
    def sign(self) -> float:
        return 1.0 if self.direction == "min" else -1.0

    def to_min(self, value: float) -> float:
        """The value in minimisation form (negated for ``max``)."""
        return self.sign * float(value)

    def __str__(self) -> str:
        return f"{self.metric}:{self.direction}"


@dataclass(frozen=True)
class Constraint:
    """``metric OP value``. ``violation`` measures how far a value is from the bound (relative), 0 when met."""

    metric: str
    op: Op
    value: float

    @classmethod
    def parse(cls, text: str) -> Constraint:
        match = _CONSTRAINT_RE.match(str(text))
        if match is None:
            raise ConstraintError(f"constraint {text!r} is malformed; expected {CONSTRAINT_GRAMMAR}")
        metric, op, raw = match.groups()
        try:
            value = float(raw)
        except ValueError:
            raise ConstraintError(
                f"constraint {text!r}: bound {raw!r} is not a number; expected {CONSTRAINT_GRAMMAR}"
            ) from None
        if not math.isfinite(value):
            raise ConstraintError(f"constraint {text!r}: bound must be a finite number, not {raw!r}")
        return cls(metric, op, value)  # type: ignore[arg-type]

    def is_met(self, value: float) -> bool:
        value = float(value)
        return not math.isnan(value) and _OPS[self.op](value, self.value)

    def violation(self, value: float) -> float:
        """0 when met; otherwise the distance to the bound relative to the bound (inf for NaN)."""
        value = float(value)
        if math.isnan(value):
            return math.inf
        if self.is_met(value):
            return 0.0
        scale = abs(self.value) if self.value != 0 else 1.0
        # A strict bound hit exactly is violated by zero distance: keep it above 0 so it still ranks as infeasible.
        return max(abs(value - self.value) / scale, 1e-12)

    def check(self, metrics: Mapping[str, float]) -> bool:
        """Whether ``metrics`` meets this constraint (a missing metric does not)."""
        return self.metric in metrics and self.is_met(metrics[self.metric])

    def __str__(self) -> str:
        return f"{self.metric}{self.op}{_format_number(self.value)}"


def _format_number(value: float) -> str:
    """Shortest text that parses back to exactly ``value`` (integers without a trailing .0)."""
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


def parse_objectives(texts: Iterable[str]) -> tuple[Objective, ...]:
    objectives = tuple(Objective.parse(t) for t in texts)
    if not objectives:
        raise ConfigError(f"at least one objective is needed; expected {OBJECTIVE_GRAMMAR}")
    metrics = [o.metric for o in objectives]
    duplicates = sorted({m for m in metrics if metrics.count(m) > 1})
    if duplicates:
        raise ConfigError(f"objective metric {duplicates[0]!r} is given more than once")
    return objectives


def parse_constraints(texts: Iterable[str]) -> tuple[Constraint, ...]:
    return tuple(Constraint.parse(t) for t in texts)


def total_violation(constraints: Iterable[Constraint], metrics: Mapping[str, float]) -> float:
    """Sum of the constraints' violations (inf when a constrained metric is missing)."""
    total = 0.0
    for c in constraints:
        total += c.violation(metrics[c.metric]) if c.metric in metrics else math.inf
    return total
