"""`SearchConfig`: every setting of a search run, validated up front.

The run's components are ``{name, options}`` blocks, each validated by the options model its component registered:
``searcher``, ``evaluators`` (plus ``devices``: one instance per device; ``evaluator_options`` configures by name
the evaluators the run adds itself) and ``executor``. The other keys are the
run's own (space, objectives, constraints, budgets, seed, run folder); each is a CLI flag of ``hwnas search``
(``max_evaluations`` <-> ``--max-evaluations``; the list keys ``objectives``, ``constraints``, ``evaluators`` and
``fitness_schedule`` <-> the repeatable ``--objective``, ``--constraint``, ``--evaluator`` and
``--fitness-schedule``). ``checkpoint``, ``latency_model``, ``accuracy_model`` and ``device`` are shorthands: each
fills the option of that name of every evaluator of the run that declares it, unless the evaluator's block sets it.
The keys of hwnas 0.1 (``algorithm``, evolution's ``parents``...) still load: :mod:`hwnas.search.config_layers`.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from hwnas.configio import read_config_mapping
from hwnas.contracts.evaluator import EVALUATORS
from hwnas.contracts.executor import EXECUTORS, EvaluatorSpec
from hwnas.contracts.options import Component, Options
from hwnas.contracts.searcher import SEARCHERS
from hwnas.core.errors import ConfigError
from hwnas.core.objectives import Constraint, Objective, parse_constraints, parse_objectives
from hwnas.search.config_layers import ALIAS_KEYS, merge_layers
from hwnas.search.schedule import PhaseSpec, check_coverage, parse_schedule, split_phases

# Keys that say how to run, not what to compute: they may differ when a run is resumed.
RUN_ONLY_KEYS = frozenset({"out", "resume", "executor"})
SHORTHAND_KEYS = ("checkpoint", "latency_model", "accuracy_model", "device")
SEARCH_BLOCKS = ("searcher", "evaluators", "evaluator_options", "executor")  # the component keys


class EvaluatorSettings(BaseModel):
    """How one evaluator of the run is configured: its options, and the devices to run it on (one instance per
    device, batches spread over them; empty: one instance on the options' own device)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    options: dict[str, Any] = Field(default_factory=dict, description="the evaluator's options (its own model)")
    devices: list[str] = Field(
        default_factory=list, description="one evaluator instance per device, e.g. [cpu, cuda:0]"
    )

    @field_validator("devices", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        return [d.strip() for d in value.split(",") if d.strip()] if isinstance(value, str) else value


class EvaluatorBlock(EvaluatorSettings):
    """A listed evaluator: ``{name, options, devices}``."""

    name: str = Field(min_length=1, description="registered name")


class SearchConfig(BaseModel):
    """A search run. Defaults reproduce HAT's evolutionary search (population 125, 25 parents, 50 mutants with
    probability 0.3, 50 crossovers, 30 iterations)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    space: str = Field(description="built-in space name or path to a space YAML file")
    objectives: list[str] = Field(
        default_factory=list, description="METRIC:min|max, in priority order (default: minimise the fitness metric)"
    )
    constraints: list[str] = Field(default_factory=list, description="METRIC<=VALUE (also <, >=, >)")
    searcher: Component = Field(
        default_factory=lambda: Component(name="evolution"), description="the searcher and its options"
    )
    evaluators: list[EvaluatorBlock] = Field(
        default_factory=lambda: [EvaluatorBlock(name="analytic")],
        min_length=1,
        description="the evaluators run in every phase, with their options",
    )
    evaluator_options: dict[str, EvaluatorSettings] = Field(
        default_factory=dict,
        description="options of evaluators the run adds itself (the fitness, a schedule phase's, latency-model)",
    )
    fitness: str | None = Field(None, description="evaluator whose first metric is the fitness, e.g. supernet")
    fitness_schedule: list[str] = Field(
        default_factory=list,
        description="hybrid search: EVALUATOR:START-END phases (e.g. llm-distill:0-14,supernet:15-), each ranking "
        "its iterations by its evaluator's first metric; replaces fitness and objectives",
    )
    init_archs: str | None = Field(
        None,
        description="JSONL (or YAML/JSON list) of {space, genes} archs, or an LM-Searcher historical_results.json, "
        "that start the first generation",
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
    executor: Component = Field(
        default_factory=lambda: Component(name="serial"), description="who runs evaluation batches, and its options"
    )
    iterations: int = Field(30, ge=1, description="ask/tell rounds (HAT's evo_iter)")
    max_evaluations: int | None = Field(
        None, ge=1, description="stop after this many evaluations (distinct archs; (phase, arch) pairs if scheduled)"
    )
    population: int = Field(125, ge=1, description="archs asked per iteration (evolution: the first generation)")
    seed: int = Field(0, ge=0, description="seed of every random draw of the run")
    max_retries: int = Field(1000, ge=1, description="draws allowed to find one arch meeting cheap constraints")
    batch_size: int = Field(64, ge=1, description="archs per evaluator call (and per journal flush)")
    out: str | None = Field(None, description="run directory")
    resume: bool = Field(False, description="continue the run in `out` (replaying its journal)")

    @model_validator(mode="before")
    @classmethod
    def _blocks(cls, data: Any) -> Any:
        """0.1 keys and short forms (a bare name for a block) -> blocks, as :func:`build_config` merges layers."""
        return merge_layers([data], _declared_searcher_options) if isinstance(data, Mapping) else data

    @field_validator("objectives", "constraints", mode="before")
    @classmethod
    def _one_is_a_list(cls, value: Any) -> Any:
        """One text or object is a list; parsed objects are kept as their canonical text."""
        items = [value] if isinstance(value, str | Objective | Constraint) else value
        return [str(v) if isinstance(v, Objective | Constraint) else v for v in items]

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
        return [str(o) for o in _objectives(tuple(value))] if value else []

    @field_validator("constraints")
    @classmethod
    def _constraints_parse(cls, value: list[str]) -> list[str]:
        return [str(c) for c in _constraints(tuple(value))]

    @model_validator(mode="after")
    def _components(self) -> SearchConfig:
        """Every block's options against its component's options model (names and values, up front)."""
        SEARCHERS.options(self.searcher.name, self.searcher.options)
        EXECUTORS.options(self.executor.name, self.executor.options)
        settings = [(b.name, b) for b in self.evaluators] + list(self.evaluator_options.items())
        for name, given in settings:
            EVALUATORS.options(name, given.options)
            if given.devices and "device" not in EVALUATORS.options_model(name).model_fields:
                raise ConfigError(f"evaluator {name!r} has no 'device' option, so it cannot take devices")
        unused = sorted(set(self.evaluator_options) - set(self.evaluator_names()))
        if unused:
            raise ConfigError(
                f"evaluator_options names {unused[0]!r}, which this run does not use (it uses "
                f"{', '.join(self.evaluator_names())}); list it with --evaluator {unused[0]} to run it"
            )
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

    @property
    def algorithm(self) -> str:
        """The searcher's name (the 0.1 key, still what ``result.json`` calls it)."""
        return self.searcher.name

    def searcher_options(self) -> Options:
        return SEARCHERS.options(self.searcher.name, self.searcher.options)

    def executor_options(self) -> Options:
        return EXECUTORS.options(self.executor.name, self.executor.options)

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
        names = [b.name for b in self.evaluators]
        for extra in fitness:
            if extra and extra not in names:
                names.append(extra)
        if "latency-model" not in names and (self.latency_model or self._wants_predicted_latency(names)):
            names.append("latency-model")
        return names

    def _wants_predicted_latency(self, names: list[str]) -> bool:
        """A 'latency' objective or constraint that no evaluator of ``names`` measures: the predictor shipped for
        the space and device answers it (``--constraint 'latency<=X'`` alone works, as HAT's search does)."""
        metrics = {o.metric for o in self.parsed_objectives()} | {c.metric for c in self.parsed_constraints()}
        return "latency" in metrics and "latency" not in names

    def evaluator_specs(self) -> list[EvaluatorSpec]:
        """One spec per evaluator of the run (:meth:`evaluator_names` order): its settings' options (its block's,
        or its ``evaluator_options`` entry) over the shorthand keys the evaluator declares."""
        settings: dict[str, EvaluatorSettings] = {**self.evaluator_options, **{b.name: b for b in self.evaluators}}
        shorthands = {k: getattr(self, k) for k in SHORTHAND_KEYS if getattr(self, k) is not None}
        specs = []
        for name in self.evaluator_names():
            block = settings.get(name) or EvaluatorSettings()
            declared = EVALUATORS.options_model(name).model_fields
            shared = {k: v for k, v in shorthands.items() if k in declared}
            specs.append(EvaluatorSpec(name, self.space, {**shared, **block.options}, tuple(block.devices)))
        return specs

    def parsed_objectives(self) -> tuple[Objective, ...]:
        return _objectives(tuple(self.objectives)) if self.objectives else ()

    def parsed_constraints(self) -> tuple[Constraint, ...]:
        return _constraints(tuple(self.constraints))

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


@functools.cache
def _objectives(texts: tuple[str, ...]) -> tuple[Objective, ...]:
    """Parsed once per distinct list of texts (configs are rebuilt on resume and copied; the parse is not)."""
    return parse_objectives(texts)


@functools.cache
def _constraints(texts: tuple[str, ...]) -> tuple[Constraint, ...]:
    return parse_constraints(texts)


def _declared_searcher_options(name: str) -> list[str]:
    return list(SEARCHERS.options_model(name).model_fields)


def build_config(*layers: Mapping[str, Any]) -> SearchConfig:
    """Merge layers (later ones win; None values are skipped; see :mod:`hwnas.search.config_layers`) and validate;
    errors name the offending key. Objectives and constraints may be given parsed (``Constraint`` objects)."""
    try:
        return SearchConfig.model_validate(merge_layers(layers, _declared_searcher_options))
    except ValidationError as exc:
        raise ConfigError(_explain(exc)) from None


def _explain(exc: ValidationError) -> str:
    error = exc.errors()[0]
    key = ".".join(str(p) for p in error["loc"]) or "(config)"
    if error["type"] == "extra_forbidden":
        known = [*SearchConfig.model_fields, *ALIAS_KEYS]
        return f"unknown config key {key!r}; known keys: {', '.join(known)}"
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
