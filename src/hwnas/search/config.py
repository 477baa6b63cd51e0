"""`SearchConfig`: every setting of a search run, validated up front. Each key is also a CLI flag of
``hwnas search`` (``max_evaluations`` <-> ``--max-evaluations``; the list keys ``objectives``, ``constraints``,
``evaluators`` and ``fitness_schedule`` <-> the repeatable ``--objective``, ``--constraint``, ``--evaluator`` and
``--fitness-schedule``)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from hwnas.configio import read_config_mapping
from hwnas.core.errors import ConfigError
from hwnas.core.objectives import Constraint, Objective, parse_constraints, parse_objectives
from hwnas.search.schedule import PhaseSpec, check_coverage, parse_schedule, split_phases

# Keys that say how to run, not what to compute: they may differ when a run is resumed.
RUN_ONLY_KEYS = frozenset({"out", "resume"})


class SearchConfig(BaseModel):
    """A search run. Defaults reproduce HAT's evolutionary search (population 125, 25 parents, 50 mutants with
    probability 0.3, 50 crossovers, 30 iterations)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    space: str = Field(description="built-in space name or path to a space YAML file")
    objectives: list[str] = Field(
        default_factory=list, description="METRIC:min|max, in priority order (default: minimise the fitness metric)"
    )
    constraints: list[str] = Field(default_factory=list, description="METRIC<=VALUE (also <, >=, >)")
    algorithm: str = Field("evolution", description="searcher name: evolution, random, local, or a plugin's")
    evaluators: list[str] = Field(default_factory=lambda: ["analytic"], min_length=1, description="evaluator names")
    fitness: str | None = Field(None, description="evaluator whose first metric is the fitness, e.g. supernet")
    fitness_schedule: list[str] = Field(
        default_factory=list,
        description="hybrid search: EVALUATOR:START-END phases (e.g. llm-distill:0-14,supernet:15-), each ranking "
        "its iterations by its evaluator's first metric; replaces fitness and objectives",
    )
    init_archs: str | None = Field(
        None, description="JSONL (or YAML/JSON list) of {space, genes} archs that start the first generation"
    )
    checkpoint: str | None = Field(None, description="supernet checkpoint for the supernet evaluator")
    latency_model: str | None = Field(
        None,
        description="saved latency predictor; adds the latency-model evaluator (without it, a 'latency' objective or "
        "constraint and no latency evaluator use the predictor shipped for the space and this device)",
    )
    accuracy_model: str | None = Field(
        None, description="saved LLM-Distill-PP / accuracy predictor for the llm-distill evaluator"
    )
    device: str = Field("auto", description="device for evaluators that run models: auto, cpu, cuda")
    iterations: int = Field(30, ge=1, description="ask/tell rounds (HAT's evo_iter)")
    max_evaluations: int | None = Field(
        None, ge=1, description="stop after this many evaluations (distinct archs; (phase, arch) pairs if scheduled)"
    )
    population: int = Field(125, ge=1, description="batch size; evolution's first generation")
    parents: int = Field(25, ge=1, description="evolution: archs kept each generation")
    mutation_size: int = Field(50, ge=0, description="evolution: mutants per generation")
    mutation_prob: float = Field(0.3, ge=0.0, le=1.0, description="evolution: per-decision mutation probability")
    crossover_size: int = Field(50, ge=0, description="evolution: crossover children per generation")
    seed: int = Field(0, ge=0, description="seed of every random draw of the run")
    max_retries: int = Field(1000, ge=1, description="draws allowed to find one arch meeting cheap constraints")
    batch_size: int = Field(64, ge=1, description="archs per evaluator call (and per journal flush)")
    out: str | None = Field(None, description="run directory")
    resume: bool = Field(False, description="continue the run in `out` (replaying its journal)")

    @field_validator("objectives", "constraints", "evaluators", mode="before")
    @classmethod
    def _one_string_is_a_list(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("fitness_schedule", mode="before")
    @classmethod
    def _schedule_split(cls, value: Any) -> Any:
        return split_phases(value) if isinstance(value, str | list | tuple) else value

    @field_validator("fitness_schedule")
    @classmethod
    def _schedule_parse(cls, value: list[str]) -> list[str]:
        return [str(p) for p in parse_schedule(value)]

    @field_validator("objectives")
    @classmethod
    def _objectives_parse(cls, value: list[str]) -> list[str]:
        """Empty is allowed (the fitness or the schedule then sets the objective, e.g. in a stored config)."""
        return [str(o) for o in parse_objectives(value)] if value else []

    @field_validator("constraints")
    @classmethod
    def _constraints_parse(cls, value: list[str]) -> list[str]:
        return [str(c) for c in parse_constraints(value)]

    @model_validator(mode="after")
    def _evolution_sizes(self) -> SearchConfig:
        if self.parents > self.population:
            raise ValueError(f"parents ({self.parents}) must be <= population ({self.population})")
        return self

    @model_validator(mode="after")
    def _schedule_alone(self) -> SearchConfig:
        if not self.fitness_schedule:
            return self
        if self.fitness is not None:
            raise ConfigError(
                f"give either fitness ({self.fitness!r}) or fitness_schedule, not both; a one-phase schedule "
                f"'{self.fitness}:0-' is the same as fitness"
            )
        if self.objectives:
            raise ConfigError(
                f"objectives ({', '.join(self.objectives)}) cannot be combined with fitness_schedule: each phase's "
                "objective is its evaluator's first metric"
            )
        check_coverage(self.schedule(), self.iterations)
        return self

    def schedule(self) -> tuple[PhaseSpec, ...]:
        return parse_schedule(self.fitness_schedule)

    def evaluator_names(self) -> list[str]:
        """Every evaluator the run needs: the listed ones, the fitness evaluator (or each phase's), and
        latency-model when a latency predictor is given or the predicted latency is needed (see
        :meth:`_wants_predicted_latency`)."""
        return self._with_extras([self.fitness, *(p.evaluator for p in self.schedule())])

    def phase_evaluator_names(self, fitness: str | None) -> list[str]:
        """The evaluators of one phase: the listed ones, that phase's fitness evaluator, and latency-model."""
        return self._with_extras([fitness])

    def _with_extras(self, fitness: list[str | None]) -> list[str]:
        names = list(self.evaluators)
        for extra in fitness:
            if extra and extra not in names:
                names.append(extra)
        if "latency-model" not in names and (self.latency_model or self._wants_predicted_latency(names)):
            names.append("latency-model")
        return names

    def _wants_predicted_latency(self, names: list[str]) -> bool:
        """A 'latency' objective or constraint that no evaluator of ``names`` measures: the predictor shipped for
        the space and device answers it (``--constraint 'latency<=X'`` alone works, as HAT's search does)."""
        metrics = {Objective.parse(o).metric for o in self.objectives} | {c.metric for c in self.parsed_constraints()}
        return "latency" in metrics and "latency" not in names

    def evaluator_options(self) -> dict[str, Any]:
        return {
            "checkpoint": self.checkpoint,
            "latency_model": self.latency_model,
            "accuracy_model": self.accuracy_model,
            "device": self.device,
        }

    def parsed_objectives(self) -> tuple[Objective, ...]:
        return parse_objectives(self.objectives)

    def parsed_constraints(self) -> tuple[Constraint, ...]:
        return parse_constraints(self.constraints)

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


def build_config(*layers: Mapping[str, Any]) -> SearchConfig:
    """Merge layers (later ones win; None values are skipped) and validate; errors name the offending key."""
    merged: dict[str, Any] = {}
    for layer in layers:
        merged.update({k: v for k, v in layer.items() if v is not None})
    try:
        return SearchConfig.model_validate(merged)
    except ValidationError as exc:
        raise ConfigError(_explain(exc)) from None


def _explain(exc: ValidationError) -> str:
    error = exc.errors()[0]
    key = ".".join(str(p) for p in error["loc"]) or "(config)"
    if error["type"] == "extra_forbidden":
        return f"unknown config key {key!r}; known keys: {', '.join(SearchConfig.model_fields)}"
    if error["type"] == "missing":
        return f"config key {key!r} is required (give --{key.replace('_', '-')} or set it in --config)"
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "value_error" and error["loc"]:
        return f"config key {key!r}: {message}"
    if error["loc"]:
        return f"config key {key!r}: {message} (got {error.get('input')!r})"
    return f"config: {message}"


def load_config_file(path: str | Path) -> dict[str, Any]:
    """The mapping in a YAML config file (validated later, together with the CLI flags)."""
    return read_config_mapping(path)


def first_difference(stored: SearchConfig, given: SearchConfig) -> tuple[str, Any, Any] | None:
    """The first key (ignoring run-only keys) whose value differs: (key, stored value, given value)."""
    old, new = stored.to_dict(), given.to_dict()
    for key in SearchConfig.model_fields:
        if key not in RUN_ONLY_KEYS and old.get(key) != new.get(key):
            return key, old.get(key), new.get(key)
    return None
