"""Settings of the ``hwnas llm-pp`` commands, validated up front. Each key is a CLI flag (``max_attempts`` <->
``--max-attempts``; the list keys ``tasks``, ``seeds`` and ``constraints`` <-> the repeatable ``--task``, ``--seed``
and ``--constraint``); ``--config FILE`` gives any of them in YAML and flags override it."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from hwnas.configio import explain_validation_error, read_config_mapping
from hwnas.core.errors import ConfigError
from hwnas.core.objectives import parse_constraints
from hwnas.data.tables import LLMPP_SEEDS, LLMPP_TASKS

USER_TEMPLATE = "llmpp-demos-v1"  # distill's default template with a user's demonstrations


class PredictorConfig(BaseModel):
    """How LLM-PP asks: template, demonstrations, samples and their aggregation, retries, the answer's range."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    template: str = Field("llmpp-v1", description="built-in template name or path to a .j2 file")
    k: int | None = Field(None, ge=1, description="demonstrations per prompt (default: all 10 of the split)")
    samples: int = Field(1, ge=1, description="answers per arch, aggregated")
    aggregate: Literal["mean", "median"] = Field("mean", description="how samples are combined")
    max_attempts: int = Field(3, ge=1, le=20, description="asks per sample before it is recorded as failed")
    value_min: float = Field(0.0, description="lowest plausible answer")
    value_max: float = Field(100.0, description="highest plausible answer")
    metric: str = Field("valid BLEU", min_length=1, description="metric name the prompt uses")
    examples: int = Field(3, ge=0, le=20, description="source/target sentence pairs shown from the task's corpus")
    example_seed: int = Field(0, ge=0, description="seed of the drawn sentence pairs")
    llm: dict[str, Any] = Field(
        default_factory=dict, description="LLM client settings (hwnas.llm.clients.LLMSettings keys; --llm-* flags)"
    )

    @model_validator(mode="after")
    def _range(self) -> PredictorConfig:
        if not self.value_min < self.value_max:
            raise ValueError(f"value_min ({self.value_min}) must be below value_max ({self.value_max})")
        return self


def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, str | int) else value


class SplitsConfig(PredictorConfig):
    """Which seed-arch splits an evaluation covers."""

    seeds: list[int] = Field(default_factory=lambda: list(LLMPP_SEEDS), min_length=1, description="split seeds")
    limit: int | None = Field(None, ge=1, description="test archs per split (default all 20; for quick checks)")

    @field_validator("seeds", mode="before")
    @classmethod
    def _seeds_list(cls, value: Any) -> Any:
        return _as_list(value)

    @field_validator("seeds")
    @classmethod
    def _known_seeds(cls, value: list[int]) -> list[int]:
        for seed in value:
            if seed not in LLMPP_SEEDS:
                raise ValueError(f"unknown split seed {seed}; known: {', '.join(map(str, LLMPP_SEEDS))}")
        return value


class EvaluateConfig(SplitsConfig):
    """``hwnas llm-pp evaluate``: LLM-PP on the seed archs next to the four supernet predictors."""

    tasks: list[str] = Field(default_factory=lambda: list(LLMPP_TASKS), min_length=1, description="tasks")
    out: str | None = Field(None, description="result JSON path")

    @field_validator("tasks", mode="before")
    @classmethod
    def _tasks_list(cls, value: Any) -> Any:
        return _as_list(value)

    @field_validator("tasks")
    @classmethod
    def _known_tasks(cls, value: list[str]) -> list[str]:
        for task in value:
            if task not in LLMPP_TASKS:
                raise ValueError(f"unknown task {task!r}; known: {', '.join(LLMPP_TASKS)}")
        return value


class DistillConfig(SplitsConfig):
    """``hwnas llm-pp distill``: label random archs with LLM-PP and fit a regressor on HAT's features.

    Without ``demonstrations``: once per split seed, with that split's seed archs as demonstrations, each model
    scored on the split's test archs (the LLM-PP paper's setting; the space must have an LLM-PP task). With a
    ``demonstrations`` file: one label set and one model for any HAT-family space, its prompts built from the
    user's demonstrations, ``metric`` and ``task_description``; ``seeds`` and ``limit`` do not apply."""

    space: str = Field(description="HAT-family space (name or YAML); without demonstrations one with an LLM-PP task")
    out: str = Field(description="output folder (labels, models, result.json); re-running resumes it")
    n: int = Field(500, ge=4, description="random archs labelled by the LLM (per split seed without demonstrations)")
    sample_seed: int = Field(0, ge=0, description="seed of the random archs")
    batch_size: int = Field(32, ge=1, description="archs per runner call (labels are saved after each)")
    regressor: str = Field("auto", description="hwnas.predictors name; auto picks by cross-validation")
    demonstrations: str | None = Field(
        None, description='JSONL of measured archs, {"arch": {"space", "genes"}, "value": float} per line'
    )
    task_description: str | None = Field(
        None, description="with demonstrations: a registered corpus (multi30k, multi30k:en-de) or the task in words"
    )

    @model_validator(mode="after")
    def _space_fits_mode(self) -> DistillConfig:
        from hwnas.llm.seedarchs import TASKS

        if self.demonstrations is None:
            spaces = [task.space for task in TASKS.values()]
            if self.space not in spaces:
                raise ValueError(
                    f"space {self.space!r} has no LLM-PP task (no seed archs to demonstrate); use one of {spaces}, "
                    "or give your own --demonstrations FILE"
                )
            if self.task_description is not None:
                raise ValueError("task_description applies with demonstrations only (the seed-arch tasks have theirs)")
            return self
        return self._user_mode()

    def _user_mode(self) -> DistillConfig:
        from hwnas.spaces import get_space

        given = self.model_fields_set & {"seeds", "limit"}
        if given:
            raise ValueError(f"{sorted(given)[0]} applies to the seed-arch splits only, not with demonstrations")
        family = get_space(self.space).family
        if family != "hat":
            raise ValueError(f"space {self.space!r} is of family {family!r}; LLM-Distill-PP fits HAT's features (hat)")
        if "template" not in self.model_fields_set:
            object.__setattr__(self, "template", USER_TEMPLATE)
        return self

    @field_validator("regressor")
    @classmethod
    def _known_regressor(cls, value: str) -> str:
        from hwnas.predictors import predictor_names

        if value not in predictor_names():
            raise ValueError(f"unknown regressor {value!r}; known: {', '.join(predictor_names())}")
        return value


class GenerateConfig(BaseModel):
    """``hwnas llm-pp generate``: archs proposed by the LLM under constraints, validated against the space."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    space: str = Field(description="space name or path to a space YAML file")
    k: int = Field(10, ge=1, le=1000, description="archs wanted")
    constraints: list[str] = Field(default_factory=list, description="METRIC<=VALUE (also <, >=, >)")
    latency_model: str | None = Field(None, description="saved latency predictor: allows 'latency' constraints")
    device: str = Field("auto", description="device the latency model predicts for (see hwnas search)")
    template: str = Field("llmgen-v1", description="built-in template name or path to a .j2 file")
    max_rounds: int = Field(5, ge=1, le=100, description="asks before giving up on reaching k archs")
    out: str | None = Field(None, description="JSONL file of {space, genes} lines")
    llm: dict[str, Any] = Field(
        default_factory=dict, description="LLM client settings (hwnas.llm.clients.LLMSettings keys; --llm-* flags)"
    )

    @field_validator("constraints", mode="before")
    @classmethod
    def _constraints_list(cls, value: Any) -> Any:
        return _as_list(value)

    @field_validator("constraints")
    @classmethod
    def _constraints_parse(cls, value: list[str]) -> list[str]:
        return [str(c) for c in parse_constraints(value)]


def resolve(model: type[BaseModel], file_values: Mapping[str, Any], flags: Mapping[str, Any]) -> Any:
    """``model`` from a config file's mapping overlaid with the flags that were given (None = not given)."""
    values = {**file_values, **{k: v for k, v in flags.items() if v is not None}}
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        raise ConfigError(explain_validation_error(exc, model, source="llm-pp settings")) from None


def load_config_file(path: str | Path | None) -> dict[str, Any]:
    return read_config_mapping(path) if path is not None else {}
