"""`PipelineConfig`: one validated YAML file drives the whole HAT loop (supernet -> latency data -> predictor ->
search per latency budget -> retrain -> BLEU -> report).

Unknown keys are errors that name the key and the keys allowed there, because a typo in a long pipeline config
would otherwise silently fall back to a default and waste an hour of training. The ``training`` section is a
training config (:class:`hwnas.train.TrainConfig` keys without ``space``/``arch``/``run_dir``): it is validated
here too, so a bad key fails before the first stage starts.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from hwnas.configio import explain_validation_error, parse_yaml, read_text_file
from hwnas.core.errors import ConfigError, HwnasError
from hwnas.search.config import SEARCH_BLOCKS, build_config
from hwnas.search.config_layers import merge_layers
from hwnas.train.config import TrainConfig, parse_config

DEFAULT_TRAIN_STEPS = 1000  # when neither the stage nor training.run says how long to train
DEFAULT_MARGIN = 0.05  # latency_margin "auto" without a held-out predictor check
LatencySource = Literal["measure", "dataset", "predictor"]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SupernetStage(_Section):
    """How long the SuperTransformer trains (overrides ``training.run``), and optimizer keys of its own."""

    max_steps: int | None = Field(None, ge=1, description="optimizer steps of supernet training")
    max_epochs: float | None = Field(None, gt=0)
    optim: dict[str, Any] = Field(default_factory=dict, description="training.optim keys for this stage only")
    checkpoint: str | None = Field(
        None, description="a supernet trained elsewhere (e.g. `hwnas supernet train` under torchrun): no training here"
    )


class LatencyStage(_Section):
    """Where latency figures come from: measured here, a collected CSV, or an already fitted predictor."""

    source: LatencySource = Field("measure", description="measure (this machine), dataset (a CSV) or predictor")
    archs: int = Field(40, ge=2, description="measure: archs measured (resumable collector)")
    sampler: str = Field("random", description="measure: arch stream of the collector")
    device: str = Field("cpu", description="measure: the device whose latency is searched for")
    threads: int | None = Field(None, ge=1, description="measure: torch threads while timing (default 1 on CPU)")
    dtype: str = Field("fp32", description="measure: fp32, bf16 or fp16 (CUDA); HAT timed fp32")
    warmup: int = Field(3, ge=0)
    runs: int = Field(10, ge=1)
    estimator: Literal["min", "median", "trimmed-mean"] = Field(
        "min", description="measure: the arch's latency from its timed runs (min: least moved by other processes)"
    )
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
    budget_fractions: list[float] = Field(
        default_factory=list,
        description="used when budgets_ms is empty: fractions of the largest arch's latency (measured when measured)",
    )
    budget_quantiles: list[float] = Field(
        default_factory=lambda: [0.3, 0.7],
        description="used when budgets_ms and budget_fractions are empty: quantiles of random archs' predicted latency",
    )
    latency_margin: float | Literal["auto"] = Field(
        DEFAULT_MARGIN,
        description="search under predicted <= budget * (1 - margin); auto: the predictor's held-out MAPE",
    )
    max_remeasures: int = Field(
        5, ge=0, description="measured latency only: archs re-measured per budget to find one within it (0: trust)"
    )
    iterations: int = Field(10, ge=1)
    population: int = Field(40, ge=2)
    parents: int = Field(10, ge=1)
    mutation_size: int = Field(15, ge=0)
    crossover_size: int = Field(15, ge=0)
    mutation_prob: float = Field(0.3, ge=0.0, le=1.0)
    # hwnas search's blocks (hwnas.search.config), passed through; checked when this config is read
    searcher: str | dict[str, Any] | None = Field(None, description="searcher block (default: evolution, keys above)")
    evaluators: list[str | dict[str, Any]] | None = Field(None, description="evaluator blocks (default: analytic)")
    evaluator_options: dict[str, Any] | None = Field(None, description="supernet / latency-model options, by name")
    executor: str | dict[str, Any] | None = Field(None, description="executor block (default: serial)")

    @model_validator(mode="after")
    def _budgets(self) -> SearchStage:
        if any(b <= 0 for b in self.budgets_ms):
            raise ValueError(f"search.budgets_ms must all be > 0, got {self.budgets_ms}")
        if not self.budgets_ms and not self.budget_quantiles:
            raise ValueError("give search.budgets_ms or search.budget_quantiles (at least one budget)")
        if any(not 0.0 < q <= 1.0 for q in self.budget_quantiles):
            raise ValueError(f"search.budget_quantiles must lie in (0, 1], got {self.budget_quantiles}")
        if any(not 0.0 < f <= 1.0 for f in self.budget_fractions):
            raise ValueError(f"search.budget_fractions must lie in (0, 1], got {self.budget_fractions}")
        if isinstance(self.latency_margin, float) and not 0.0 <= self.latency_margin < 0.5:
            raise ValueError(f"search.latency_margin must lie in [0, 0.5) or be 'auto', got {self.latency_margin}")
        if self.parents > self.population:
            raise ValueError(f"search.parents ({self.parents}) must be <= search.population ({self.population})")
        if blocks := self.model_dump(include=set(SEARCH_BLOCKS), exclude_none=True):  # now, not hours later
            build_config({"space": "-", "fitness": "supernet", "latency_model": "-", **blocks})
        return self


class RetrainStage(_Section):
    """From-scratch training of each found architecture (HAT warms up 4k steps here, 10k for the supernet)."""

    max_steps: int | None = Field(None, ge=1)
    max_epochs: float | None = Field(None, gt=0)
    optim: dict[str, Any] = Field(default_factory=dict, description="training.optim keys for this stage only")


class EvaluateStage(_Section):
    """BLEU of each retrained model, and its latency measured on the search device (when it was measured).

    The test set is a split of the training corpus (``split``), a split of another registered corpus (``corpus``
    + ``split``, e.g. newstest2014 / test), or the user's two files (``test_src`` / ``test_tgt``)."""

    split: str | None = Field("test2016", description="corpus split scored with sacreBLEU (null: the validation one)")
    corpus: str | None = Field(None, description="registered corpus of the test split (default: the training one)")
    test_src: str | None = Field(None, description="user test set: source file (plain or .gz; $VARS expanded)")
    test_tgt: str | None = Field(None, description="user test set: reference file")
    max_sentences: int | None = Field(None, ge=1, description="score only the first N sentences (quick runs)")
    beam: int = Field(4, ge=1)
    measure_latency: bool = Field(
        True, description="measure the chosen archs here (only when latency.source=measure); false: trust the predictor"
    )

    @model_validator(mode="after")
    def _one_test_set(self) -> EvaluateStage:
        if (self.test_src is None) != (self.test_tgt is None):
            raise ValueError("give both evaluate.test_src and evaluate.test_tgt, or neither")
        if self.test_src is not None and self.corpus is not None:
            raise ValueError("set either evaluate.corpus or evaluate.test_src/test_tgt, not both")
        if self.corpus is not None and self.split is None:
            raise ValueError("evaluate.corpus needs evaluate.split (the split of that corpus to score)")
        return self


class PipelineConfig(_Section):
    """A whole pipeline run; ``run_dir`` receives every stage's outputs."""

    description: str = Field("", description="what this config is for; shown by --dry-run next to missing inputs")
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
    baselines: list[str] = Field(
        default_factory=list,
        description="per budget, a hand-made arch retrained like the searched one (uniform-shrink); also the largest",
    )

    @field_validator("baselines", mode="before")
    @classmethod
    def _one_baseline_is_a_list(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("baselines")
    @classmethod
    def _known_baselines(cls, value: list[str]) -> list[str]:
        from hwnas.pipeline.baselines import BASELINES

        unknown = [name for name in value if name not in BASELINES]
        if unknown:
            raise ValueError(f"unknown baseline {unknown[0]!r}; known: {', '.join(BASELINES)}")
        return list(dict.fromkeys(value))

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
    source = "pipeline config, section 'training'"
    if length.optim:
        data["optim"] = {**(base.get("optim") or {}), **length.optim}
        stage = "supernet" if isinstance(length, SupernetStage) else "retrain"
        source += f" with {stage}.optim"
    if isinstance(base.get("data"), dict):
        data["data"] = {k: expand_path(v) if k in USER_CORPUS_KEYS else v for k, v in base["data"].items()}
    return parse_config(data, source=source)


USER_CORPUS_KEYS = ("train_src", "train_tgt", "valid_src", "valid_tgt")


def expand_path(value: Any) -> Any:
    """``~`` and ``$VAR`` / ``${VAR}`` in a user corpus path (e.g. ``${HWNAS_DATA_DIR}/mt/...``); an unset
    variable stays as written, so the missing-file message shows it."""
    return os.path.expanduser(os.path.expandvars(value)) if isinstance(value, str) else value


def _check_test_set(config: PipelineConfig, source: str) -> None:
    """A user corpus (training.data.corpus: null) has no named splits: the test set must be named elsewhere."""
    data = config.training.get("data") or {}
    stage = config.evaluate
    user_corpus = "corpus" in data and data["corpus"] is None
    if user_corpus and stage.split is not None and stage.corpus is None and stage.test_src is None:
        raise ConfigError(
            f"{source}: training.data.corpus is null (your own files), so evaluate.split {stage.split!r} has no "
            "corpus: set evaluate.corpus (a registered corpus, e.g. newstest2014), evaluate.test_src/test_tgt, "
            "or evaluate.split: null to score the validation files"
        )


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
    for length in (config.supernet, config.retrain):
        train_config(config, run_dir=Path(config.run_dir), arch=None, length=length, quiet=True)
    _check_test_set(config, source)
    return config


BUNDLED_PACKAGE = "hwnas.configs.pipeline"


def bundled_config_names() -> list[str]:
    """Names of the configs shipped in the package (``hwnas pipeline NAME`` runs one)."""
    from importlib import resources

    files = resources.files(BUNDLED_PACKAGE).iterdir()
    return sorted(f.name.removesuffix(".yaml") for f in files if f.name.endswith(".yaml"))


def _config_text(path_or_name: str | Path) -> tuple[str, str]:
    """(YAML text, source label) of a config file, or of a bundled config named without its folder."""
    from importlib import resources

    path = Path(path_or_name)
    if path.is_file() or path.suffix or len(path.parts) > 1:
        hint = f" (bundled configs, by name: {', '.join(bundled_config_names())})"
        return read_text_file(path, what="pipeline config", error=lambda m: ConfigError(m + hint)), str(path)
    name = str(path_or_name)
    if name not in bundled_config_names():
        names = ", ".join(bundled_config_names())
        raise ConfigError(f"pipeline config {name!r} is neither a file nor a bundled config; bundled: {names}")
    text = resources.files(BUNDLED_PACKAGE).joinpath(f"{name}.yaml").read_text(encoding="utf-8")
    return text, f"bundled {name}.yaml"


def load_pipeline_config(
    path_or_name: str | Path, *, executor: Mapping[str, Any] | None = None, **overrides: Any
) -> PipelineConfig:
    """Read a YAML pipeline config (a path, or the name of a bundled one such as ``multi30k-gpu``); ``overrides``
    are top-level keys set on top (None values are ignored); ``executor`` (an executor block, e.g. from ``hwnas
    pipeline --executor ray``) is merged over ``search.executor`` as ``hwnas search``'s flags merge over its config
    file: another name replaces the block, the same name (or none) adds options."""
    text, source = _config_text(path_or_name)
    data = parse_yaml(text, source=source)
    if isinstance(data, dict):
        data = {**data, **{k: v for k, v in overrides.items() if v is not None}}
        search = data.get("search") or {}
        if executor is not None and isinstance(search, dict):  # else the validation names what search must be
            block = merge_layers([{"executor": search.get("executor")}, {"executor": executor}], lambda _: ())
            data["search"] = {**search, "executor": block["executor"]}
            source += " with the --executor flags"
            _check_executor(block["executor"], source)
    return parse_pipeline_config(data, source=source)


def _check_executor(block: Mapping[str, Any], source: str) -> None:
    """The executor block the flags made, validated by its options model (one line naming the option, before the
    rest of the config is)."""
    from hwnas.contracts.executor import EXECUTORS

    try:
        EXECUTORS.options(block["name"], block["options"])
    except HwnasError as exc:
        raise ConfigError(f"{source}: search.executor: {exc}") from None
