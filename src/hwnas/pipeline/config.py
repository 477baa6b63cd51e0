"""`PipelineConfig`: one validated YAML file drives the whole HAT loop (supernet -> latency data -> predictor ->
search per latency budget -> retrain -> BLEU -> report).

Unknown keys are errors that name the key and the keys allowed there, because a typo in a long pipeline config
would otherwise silently fall back to a default and waste an hour of training. The ``training`` section is a
training config (:class:`hwnas.train.TrainConfig` keys without ``space``/``arch``/``run_dir``): it is validated
here too, so a bad key fails before the first stage starts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from hwnas.configio import explain_validation_error
from hwnas.core.errors import ConfigError
from hwnas.train.config import TrainConfig, parse_config

DEFAULT_TRAIN_STEPS = 1000  # when neither the stage nor training.run says how long to train
LatencySource = Literal["measure", "dataset", "predictor"]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SupernetStage(_Section):
    """How long the SuperTransformer trains (overrides ``training.run``)."""

    max_steps: int | None = Field(None, ge=1, description="optimizer steps of supernet training")
    max_epochs: float | None = Field(None, gt=0)


class LatencyStage(_Section):
    """Where latency figures come from: measured here, a collected CSV, or an already fitted predictor."""

    source: LatencySource = Field("measure", description="measure (this machine), dataset (a CSV) or predictor")
    archs: int = Field(40, ge=2, description="measure: archs measured (resumable collector)")
    sampler: str = Field("random", description="measure: arch stream of the collector")
    device: str = Field("cpu", description="measure: the device whose latency is searched for")
    threads: int | None = Field(None, ge=1, description="measure: torch threads while timing")
    warmup: int = Field(3, ge=0)
    runs: int = Field(10, ge=1)
    dataset: str | None = Field(None, description="source=dataset: a latency CSV of this space, or 'shipped'")
    predictor_file: str | None = Field(None, description="source=predictor: a fitted predictor file, or 'shipped'")
    model: str | None = Field(None, description="predictor name (default: chosen by the encoding)")
    encoding: str | None = Field(None, description="predictor input encoding (default: the dataset's)")
    holdout: float = Field(0.25, ge=0.0, lt=1.0, description="share of measured archs kept out for the parity plot")

    @model_validator(mode="after")
    def _source_inputs(self) -> LatencyStage:
        if self.source == "dataset" and not self.dataset:
            raise ValueError("latency.source is 'dataset', so latency.dataset (a CSV path) is required")
        if self.source == "predictor" and not self.predictor_file:
            raise ValueError("latency.source is 'predictor', so latency.predictor_file is required")
        return self


class SearchStage(_Section):
    """HAT's evolutionary search, run once per latency budget with the supernet's validation loss as fitness."""

    budgets_ms: list[float] = Field(default_factory=list, description="latency budgets (ms); one model each")
    budget_quantiles: list[float] = Field(
        default_factory=lambda: [0.3, 0.7],
        description="used when budgets_ms is empty: quantiles of the predicted latency of random archs",
    )
    iterations: int = Field(10, ge=1)
    population: int = Field(40, ge=2)
    parents: int = Field(10, ge=1)
    mutation_size: int = Field(15, ge=0)
    crossover_size: int = Field(15, ge=0)
    mutation_prob: float = Field(0.3, ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _budgets(self) -> SearchStage:
        if any(b <= 0 for b in self.budgets_ms):
            raise ValueError(f"search.budgets_ms must all be > 0, got {self.budgets_ms}")
        if not self.budgets_ms and not self.budget_quantiles:
            raise ValueError("give search.budgets_ms or search.budget_quantiles (at least one budget)")
        if any(not 0.0 < q <= 1.0 for q in self.budget_quantiles):
            raise ValueError(f"search.budget_quantiles must lie in (0, 1], got {self.budget_quantiles}")
        if self.parents > self.population:
            raise ValueError(f"search.parents ({self.parents}) must be <= search.population ({self.population})")
        return self


class RetrainStage(_Section):
    """From-scratch training of each found architecture."""

    max_steps: int | None = Field(None, ge=1)
    max_epochs: float | None = Field(None, gt=0)


class EvaluateStage(_Section):
    """BLEU of each retrained model, and its latency measured on the search device (when it was measured)."""

    split: str | None = Field("test2016", description="corpus split scored with sacreBLEU (null: the validation one)")
    max_sentences: int | None = Field(None, ge=1, description="score only the first N sentences (quick runs)")
    beam: int = Field(4, ge=1)
    measure_latency: bool = Field(True, description="measure the found archs (only when latency.source=measure)")


class PipelineConfig(_Section):
    """A whole pipeline run; ``run_dir`` receives every stage's outputs."""

    run_dir: str = Field("runs/pipeline", description="output folder (a killed run resumes from it)")
    space: str = Field("tiny", description="built-in space name or a space YAML path")
    device: Literal["auto", "cpu", "cuda"] = Field("auto", description="training / search / BLEU device")
    seed: int = Field(1, ge=0)
    training: dict[str, Any] = Field(default_factory=dict, description="training config keys (data, optim, run...)")
    supernet: SupernetStage = Field(default_factory=SupernetStage)
    latency: LatencyStage = Field(default_factory=LatencyStage)
    search: SearchStage = Field(default_factory=SearchStage)
    retrain: RetrainStage = Field(default_factory=RetrainStage)
    evaluate: EvaluateStage = Field(default_factory=EvaluateStage)

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.model_dump(mode="json"), sort_keys=False)


def train_config(
    config: PipelineConfig,
    *,
    run_dir: Path,
    arch: dict[str, Any] | None,
    length: SupernetStage | RetrainStage,
    quiet: bool,
) -> TrainConfig:
    """The training config of one stage: the shared ``training`` section plus this stage's length and folder."""
    base = dict(config.training)
    run = {**base.get("run", {}), "device": config.device, "seed": config.seed, "quiet": quiet}
    if length.max_steps is not None or length.max_epochs is not None:
        run.update(max_steps=length.max_steps, max_epochs=length.max_epochs)
    run = {k: v for k, v in run.items() if v is not None}
    if "max_steps" not in run and "max_epochs" not in run:
        run["max_steps"] = DEFAULT_TRAIN_STEPS
    data = {**base, "space": config.space, "arch": arch, "run_dir": str(run_dir), "run": run}
    return parse_config(data, source="pipeline config, section 'training'")


def parse_pipeline_config(data: Any, *, source: str = "pipeline config") -> PipelineConfig:
    """Validate a mapping (the ``training`` section included); errors become one :class:`ConfigError` line."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: a pipeline config must be a YAML mapping, got {type(data).__name__}")
    try:
        config = PipelineConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(explain_validation_error(exc, PipelineConfig, source=source)) from None
    for key in ("space", "arch", "run_dir"):
        if key in config.training:
            raise ConfigError(f"{source}: config key 'training.{key}' is set by the pipeline; remove it")
    train_config(config, run_dir=Path(config.run_dir), arch=None, length=config.supernet, quiet=True)
    return config


def load_pipeline_config(path: str | Path, **overrides: Any) -> PipelineConfig:
    """Read a YAML pipeline config; ``overrides`` are top-level keys set on top (None values are ignored)."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read pipeline config {str(path)!r}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: malformed YAML: {' '.join(str(exc).split())}") from None
    if isinstance(data, dict):
        data = {**data, **{k: v for k, v in overrides.items() if v is not None}}
    return parse_pipeline_config(data, source=str(path))
