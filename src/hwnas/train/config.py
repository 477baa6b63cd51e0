"""Training configuration: one validated pydantic model for supernet and from-scratch training, read from YAML.

Every CLI flag of ``hwnas supernet train`` / ``hwnas train`` maps to a key here, so a run directory's
``config.yaml`` alone reproduces the run. Unknown keys are errors that name the key (typos must not be ignored).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from hwnas.configio import explain_validation_error, read_config_mapping
from hwnas.core.errors import ConfigError


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DataConfig(_Section):
    """Where the text comes from and how it is tokenised: parallel pairs for an encoder-decoder (hat space), plain
    text for a decoder-only language model (gpt space: a registered corpus's tgt_lang side, or *_text files)."""

    corpus: str | None = Field(
        "multi30k", description="registered corpus name; null to use the *_src/*_tgt (or *_text) paths"
    )
    src_lang: str = "en"
    tgt_lang: str = "de"
    train_split: str = "train"
    valid_split: str = "val"
    train_src: str | None = Field(None, description="user corpus: training source file (plain or .gz)")
    train_tgt: str | None = None
    valid_src: str | None = None
    valid_tgt: str | None = None
    train_text: str | None = Field(
        None, description="language model (gpt space): training text file, one text per line (plain or .gz)"
    )
    valid_text: str | None = None
    vocab_size: int = Field(10_000, ge=8, description="joint SentencePiece BPE vocabulary size")
    max_train_pairs: int | None = Field(
        None, ge=1, description="use only the first N training pairs (a language model: lines) (quick runs)"
    )
    valid_subset: int | None = Field(
        None,
        ge=1,
        description="validation pairs the loss is computed on: null = the whole validation split (HAT scores "
        "subnets on all of it); N = only its first N pairs, a cost cap of hwnas's for CPU runs (not HAT's)",
    )
    max_len: int = Field(
        256,
        ge=2,
        description="pairs with a side longer than this many tokens are dropped; a language model's texts are cut "
        "into pieces of at most this many tokens (and of the space's block_size)",
    )

    @model_validator(mode="after")
    def _paths_or_corpus(self) -> DataConfig:
        paths = [self.train_src, self.train_tgt, self.valid_src, self.valid_tgt]
        texts = [self.train_text, self.valid_text]
        if self.corpus is None and not all(paths) and not all(texts):
            raise ValueError(
                "data.corpus is null, so data.train_src/train_tgt/valid_src/valid_tgt are all required "
                "(or, for a language model, data.train_text/valid_text)"
            )
        if self.corpus is not None and any(paths + texts):
            raise ValueError("set either data.corpus or the data.*_src/*_tgt (or *_text) paths, not both")
        if any(paths) and any(texts):
            raise ValueError("set either the data.*_src/*_tgt paths (pairs) or data.*_text (plain text), not both")
        return self


class ModelConfig(_Section):
    """Regularisation and layout of the network (the shape comes from the space / arch)."""

    dropout: float = Field(0.1, ge=0.0, lt=1.0, description="on embeddings and sublayer outputs (super width)")
    attention_dropout: float = Field(0.0, ge=0.0, lt=1.0, description="on attention probabilities")
    dropout_scaling: Literal["hat", "all", "none"] = Field(
        "hat",
        description="how a narrower subnet's dropout follows its width, in supernet and from-scratch training "
        "alike: 'hat' = HAT's rule (embedding, residual and activation dropout * active width / super width, "
        "except the encoder's self-attention residual and attention probabilities); 'all' = every site but "
        "attention probabilities scaled (hwnas's supernet rule before this option); 'none' = the configured "
        "rates (hwnas's from-scratch rule before this option)",
    )
    scratch_init: Literal["supernet-slice", "own-widths"] = Field(
        "supernet-slice",
        description="from-scratch runs (arch set): 'supernet-slice' = the leading slices of a fresh supernet's "
        "init, as HAT retrains a SubTransformer inside its SuperTransformer (xavier-uniform over the super "
        "shapes, token table std = super width^-0.5); 'own-widths' = initialised for the model's own widths",
    )
    norm: Literal["pre", "post"] = Field("pre", description="pre-norm trains stably without long warm-up")
    encoder_final_norm: Literal["last", "all"] = Field(
        "last",
        description="pre-norm only: the final encoder LayerNorm normalises the last encoder output only (HAT), or "
        "'all' encoder outputs kept for arbitrary encoder-decoder attention (hwnas before this option)",
    )


class OptimConfig(_Section):
    """Adam(W) with warm-up then cosine or inverse-sqrt decay, as HAT / fairseq."""

    lr: float = Field(5e-4, gt=0.0, description="peak learning rate, reached at the end of warm-up")
    min_lr: float = Field(1e-7, ge=0.0, description="floor of the cosine decay; start of the warm-up")
    betas: tuple[float, float] = (0.9, 0.98)
    eps: float = Field(1e-8, gt=0.0)
    weight_decay: float = Field(0.0, ge=0.0)
    schedule: Literal["inverse_sqrt", "cosine", "constant"] = "inverse_sqrt"
    warmup_steps: int = Field(4000, ge=0)
    clip_norm: float = Field(0.0, ge=0.0, description="0 disables gradient clipping")
    label_smoothing: float = Field(0.1, ge=0.0, lt=1.0)
    max_tokens: int = Field(
        4096, ge=16, description="padded tokens per side of one micro-batch on one rank (fairseq's --max-tokens)"
    )
    grad_accum: int = Field(1, ge=1, description="micro-batches per optimizer step (per rank)")


class SamplingConfig(_Section):
    """Which subnets a supernet step trains."""

    strategy: Literal["random", "sandwich"] = Field(
        "random", description="random: one uniform subnet per step (HAT); sandwich: largest + smallest + N random"
    )
    num_random: int = Field(2, ge=0, description="random subnets per step in the sandwich rule")


class RunConfig(_Section):
    """Length, checkpoints, logging and hardware."""

    max_steps: int | None = Field(None, ge=1, description="optimizer steps; at least one of max_steps/max_epochs")
    max_epochs: float | None = Field(None, gt=0)
    checkpoint_every: int = Field(1000, ge=1)
    keep_checkpoints: int = Field(2, ge=1, description="how many step checkpoints to keep (oldest removed)")
    log_every: int = Field(10, ge=1)
    valid_every: int | None = Field(None, ge=1, description="validation loss every N steps (and at the end)")
    seed: int = 1
    device: Literal["auto", "cpu", "cuda"] = "auto"
    bf16: bool = Field(True, description="bf16 autocast on CUDA (ignored on CPU)")
    quiet: bool = Field(False, description="no progress bar")
    threads: int | None = Field(None, ge=1, description="torch CPU threads (default: torch's choice)")

    @model_validator(mode="after")
    def _has_length(self) -> RunConfig:
        if self.max_steps is None and self.max_epochs is None:
            raise ValueError("set run.max_steps or run.max_epochs")
        return self


class TrainConfig(_Section):
    """A whole training run. ``arch`` is set for from-scratch training of one architecture."""

    space: str = Field("tiny", description="built-in space name or path to a space YAML file")
    arch: dict[str, Any] | None = Field(None, description="from-scratch: the arch to train ({space, genes})")
    run_dir: str = Field("runs/train", description="output folder: config.yaml, train_log.jsonl, checkpoints/")
    data: DataConfig = Field(default_factory=DataConfig)
    model: ModelConfig = Field(default_factory=ModelConfig)
    optim: OptimConfig = Field(default_factory=OptimConfig)
    sampling: SamplingConfig = Field(default_factory=SamplingConfig)
    run: RunConfig = Field(default_factory=lambda: RunConfig(max_steps=1000))

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.model_dump(mode="json"), sort_keys=False)


def parse_config(data: Any, *, source: str = "config") -> TrainConfig:
    """Validate a mapping into a :class:`TrainConfig`; errors become one :class:`ConfigError` line."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: a training config must be a YAML mapping, got {type(data).__name__}")
    try:
        return TrainConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(explain_validation_error(exc, TrainConfig, source=source)) from None


def parse_stored_config(data: Any, *, source: str) -> TrainConfig:
    """A run config saved in a checkpoint. One saved before ``model.encoder_final_norm`` or
    ``model.dropout_scaling`` existed gets the setting its model was trained with, not today's default (the rules
    live with the models, which import torch)."""
    from hwnas.models.dropout import legacy_dropout_scaling
    from hwnas.models.encdec import legacy_encoder_final_norm

    model = data.get("model") if isinstance(data, dict) else None
    if isinstance(model, dict):
        legacy: dict[str, Any] = {}
        if "encoder_final_norm" not in model:
            legacy["encoder_final_norm"] = legacy_encoder_final_norm(model.get("norm", ModelConfig().norm) == "pre")
        if "dropout_scaling" not in model:
            legacy["dropout_scaling"] = legacy_dropout_scaling(supernet=data.get("arch") is None)
        data = {**data, "model": {**legacy, **model}}
    return parse_config(data, source=source)


def load_config(path: str | Path, **overrides: Any) -> TrainConfig:
    """Read a YAML config file; ``overrides`` are top-level keys set on top (e.g. from CLI flags)."""
    data = {**read_config_mapping(path), **{k: v for k, v in overrides.items() if v is not None}}
    return parse_config(data, source=str(path))
