"""Multi-objective search problems as data: a YAML file names the space, the objectives, the constraints, the
evaluators that answer them and the normalisation the hypervolume is scored on.

    name: gpt-s-perplexity-latency-h100
    space: gpt-s
    objectives: [perplexity:min, latency@h100:min]
    constraints: []                       # e.g. ["energy@a100<=0.5"]
    bounds:                               # raw units, per objective: [best, worst]
      perplexity: [23.1, 45.0]
      latency@h100: [1.9, 12.0]
    reference: [1.0, 1.0]                 # the hypervolume's reference point, normalised (1 = the worst bound)
    provenance: where the bounds come from

``METRIC@DEVICE`` is a benchmark metric on one of its devices (``latency@h100`` is what the ``bench`` evaluator
reports as ``latency_h100``); a plain name is any metric of the run. On the HW-GPT-Bench spaces (gpt-s, gpt-m,
gpt-l) the ``bench`` evaluator is added with the devices the objectives and constraints name, unless ``evaluators``
lists the run's evaluators itself (``[{name, options}]`` blocks, as in a search config).

Each objective ``o`` is normalised to ``(v - best) / (worst - best)`` in minimisation form (a ``max`` objective
states ``best > worst``, so the same formula flips it): 0 is the best bound, 1 the worst. A value beyond a bound is
not clipped: an arch better than the stated best raises the hypervolume above what the bounds alone allow.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from hwnas.configio import parse_yaml, read_text_file
from hwnas.core.errors import ConfigError, UnknownNameError
from hwnas.core.objectives import Constraint, Objective

BUILTIN = Path(__file__).resolve().parent / "problems"
BENCH_SPACES = ("gpt-s", "gpt-m", "gpt-l")
_AT = re.compile(r"^([A-Za-z_]\w*)@([A-Za-z][\w.-]*)$")


def run_metric(name: str) -> str:
    """The metric a search run reports for a problem's metric name: ``latency@h100`` -> ``latency_h100``."""
    match = _AT.match(name)
    return f"{match.group(1)}_{match.group(2)}" if match else name


def device_of(name: str) -> str | None:
    match = _AT.match(name)
    return match.group(2) if match else None


class EvaluatorEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    options: dict[str, Any] = Field(default_factory=dict)


class Problem(BaseModel):
    """One problem (see the module doc). ``objectives`` and ``constraints`` are kept as their canonical text."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, description="the problem's name (a bundled problem's file stem)")
    space: str = Field(min_length=1, description="built-in space name or space YAML path")
    description: str = Field("", description="one line: what the trade-off is")
    objectives: list[str] = Field(min_length=2, description="METRIC[@DEVICE]:min|max, at least two")
    constraints: list[str] = Field(default_factory=list, description="METRIC[@DEVICE]<=VALUE (also <, >=, >)")
    evaluators: list[EvaluatorEntry] = Field(
        default_factory=list, description="the run's evaluators; default on gpt-s/m/l: bench with the named devices"
    )
    bounds: dict[str, tuple[float, float]] = Field(description="per objective, raw units: [best, worst]")
    reference: list[float] = Field(description="hypervolume reference point in normalised units, one per objective")
    provenance: str = Field("", description="where the bounds come from")

    @field_validator("objectives")
    @classmethod
    def _objectives(cls, value: list[str]) -> list[str]:
        parsed = [Objective.parse(text) for text in value]
        metrics = [o.metric for o in parsed]
        repeated = sorted({m for m in metrics if metrics.count(m) > 1})
        if repeated:
            raise ValueError(f"objective metric {repeated[0]!r} is given more than once")
        return [str(o) for o in parsed]

    @field_validator("constraints")
    @classmethod
    def _constraints(cls, value: list[str]) -> list[str]:
        return [str(Constraint.parse(text)) for text in value]

    @model_validator(mode="after")
    def _normalisation(self) -> Problem:
        metrics = [o.metric for o in self.parsed_objectives()]
        if set(self.bounds) != set(metrics):
            missing, extra = sorted(set(metrics) - set(self.bounds)), sorted(set(self.bounds) - set(metrics))
            detail = f"missing {', '.join(missing)}" if missing else f"not an objective: {', '.join(extra)}"
            raise ValueError(f"bounds must give [best, worst] for each objective ({', '.join(metrics)}); {detail}")
        for objective in self.parsed_objectives():
            best, worst = self.bounds[objective.metric]
            if not (math.isfinite(best) and math.isfinite(worst)) or best == worst:
                raise ValueError(f"bounds of {objective.metric!r} must be two different finite numbers")
            if (best > worst) != (objective.direction == "max"):
                order = "best > worst" if objective.direction == "max" else "best < worst"
                raise ValueError(f"bounds of {objective} must have {order}, got [{best}, {worst}]")
        if len(self.reference) != len(metrics) or not all(math.isfinite(r) and r > 0 for r in self.reference):
            raise ValueError(
                f"reference must hold {len(metrics)} positive numbers (normalised units), one per objective"
            )
        return self

    # what a search run sees ------------------------------------------------------------------------------------------
    def parsed_objectives(self) -> tuple[Objective, ...]:
        return tuple(Objective.parse(text) for text in self.objectives)

    def parsed_constraints(self) -> tuple[Constraint, ...]:
        return tuple(Constraint.parse(text) for text in self.constraints)

    def run_objectives(self) -> list[str]:
        return [f"{run_metric(o.metric)}:{o.direction}" for o in self.parsed_objectives()]

    def run_constraints(self) -> list[str]:
        return [str(Constraint(run_metric(c.metric), c.op, c.value)) for c in self.parsed_constraints()]

    def devices(self) -> list[str]:
        """The devices the objectives and constraints name, in order of first mention."""
        names = [o.metric for o in self.parsed_objectives()] + [c.metric for c in self.parsed_constraints()]
        found = [d for d in (device_of(n) for n in names) if d is not None]
        return list(dict.fromkeys(found))

    def evaluator_blocks(self) -> list[dict[str, Any]]:
        """The run's evaluators: the listed ones, else ``bench`` on the named devices for a benchmark space."""
        if self.evaluators:
            return [entry.model_dump() for entry in self.evaluators]
        if self.space not in BENCH_SPACES:
            raise ConfigError(f"problem {self.name!r}: space {self.space!r} needs an 'evaluators' list")
        metrics = [o.metric for o in self.parsed_objectives()] + [c.metric for c in self.parsed_constraints()]
        base = list(dict.fromkeys(_AT.sub(r"\1", m) for m in metrics))
        options: dict[str, Any] = {"metrics": base}
        if self.devices():
            options["devices"] = self.devices()
        return [{"name": "bench", "options": options}]

    # normalisation ---------------------------------------------------------------------------------------------------
    def normalise(self, metrics: Sequence[Mapping[str, float]]) -> np.ndarray:
        """[n, objectives] of the runs' metric mappings (run names, e.g. ``latency_h100``): 0 best, 1 worst."""
        columns = []
        for objective in self.parsed_objectives():
            best, worst = self.bounds[objective.metric]
            values = np.array([float(m[run_metric(objective.metric)]) for m in metrics], dtype=np.float64)
            columns.append((values - best) / (worst - best))
        return np.stack(columns, axis=1) if metrics else np.zeros((0, len(columns)))


def bundled_problems() -> list[str]:
    """The names of the problems installed with hwnas."""
    return sorted(path.stem for path in BUILTIN.glob("*.yaml"))


def load_problem(name_or_path: str | Path) -> Problem:
    """A bundled problem by name, or a problem YAML file; every error names the file and the key."""
    text = str(name_or_path)
    path = Path(text)
    if not (path.suffix in (".yaml", ".yml") or path.exists()):
        if text not in bundled_problems():
            raise UnknownNameError("problem", text, bundled_problems())
        path = BUILTIN / f"{text}.yaml"
    source = f"problem file {str(path)!r}"
    data = parse_yaml(read_text_file(path, what="problem file"), source=source)
    if not isinstance(data, dict):
        raise ConfigError(f"{source} must hold a mapping of keys to values")
    data.setdefault("name", path.stem)
    try:
        return Problem.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        key = ".".join(str(p) for p in error["loc"]) or "(problem)"
        if error["type"] == "extra_forbidden":
            raise ConfigError(f"{source}: unknown key {key!r}; known: {', '.join(Problem.model_fields)}") from None
        message = str(error["msg"]).removeprefix("Value error, ")
        raise ConfigError(f"{source}: {key}: {message}") from None
