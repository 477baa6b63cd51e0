"""What the one training loop needs to know of a space family: what it reads and which network it trains.

The loop, the samplers, checkpoints, DDP and the validation loss are family-blind. They reach a family through
its :class:`TrainingFamily` (``TRAINABLE``, by the space's ``family`` name), which checks the model options, gives
the run's :class:`TextTask` (corpus -> tokenizer -> encoded split -> batches) and builds the network (a supernet,
or one arch trained from scratch) or rebuilds it from a checkpoint; every batch runs the model itself
(:meth:`TrainBatch.logits`), so nothing downstream asks which family it trains. Built-ins: ``hat`` (an
encoder-decoder on parallel text, :mod:`hwnas.train.modeling`) and ``gpt`` (a decoder-only language model on plain
text, :mod:`hwnas.train.gpt_modeling`); a user's family registers its own from a module of ``HWNAS_PLUGINS``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, cast

import numpy as np
import torch
from torch import Tensor, nn

from hwnas.contracts.registry import Registry
from hwnas.core.arch import Arch
from hwnas.core.errors import ConfigError
from hwnas.core.space import SearchSpace

if TYPE_CHECKING:
    from hwnas.train.config import DataConfig, ModelConfig
    from hwnas.train.text import TextCodec

ModelKind = Literal["supernet", "standalone"]


class TrainBatch(Protocol):
    """One batch of a split, able to run a model of its family on itself."""

    @property
    def target(self) -> Tensor: ...  # [B,T] ids to predict, PAD_ID at pads

    @property
    def num_target_tokens(self) -> int: ...  # non-pad target tokens (the loss's denominator)

    @property
    def num_tokens(self) -> int: ...  # tokens read and predicted, padding excluded (what tokens/s counts)

    def to(self, device: torch.device) -> TrainBatch: ...

    def logits(self, model: nn.Module) -> Tensor: ...  # [B,T,V]


class TrainData(Protocol):
    """An encoded split: its examples, batched by index."""

    def __len__(self) -> int: ...

    def batch(self, indices: Sequence[int]) -> TrainBatch: ...

    def token_batches(
        self, *, max_tokens: int, rng: np.random.Generator | None, max_positions: int | None
    ) -> list[list[int]]: ...


class TextTask(Protocol):
    """A run's text, bound to its ``data`` config: read a split, train the tokenizer, encode, batch for scoring."""

    def load(self, which: str) -> Any: ...  # "train" | "valid" -> the split's corpus

    def train_codec(self, corpus: Any, *, path: Path, seed: int) -> TextCodec: ...

    def encode(self, codec: TextCodec, corpus: Any) -> TrainData: ...

    def eval_batches(self, data: TrainData, *, max_tokens: int, device: torch.device) -> Sequence[TrainBatch]: ...


class SupernetModule(Protocol):
    """The verbs training uses on a supernet."""

    def set_active_arch(self, arch: Arch) -> object: ...

    def reset(self) -> None: ...


@dataclass
class BuiltModel:
    """The trained module and how to switch its subnet (a no-op for a standalone model)."""

    module: nn.Module
    kind: ModelKind
    space: SearchSpace

    def activate(self, arch: Arch) -> None:
        if self.kind == "supernet":
            cast(SupernetModule, self.module).set_active_arch(arch)

    def config_json(self) -> str:
        return str(self.module.config.to_json())  # type: ignore[union-attr,operator]


class TrainingFamily(Protocol):
    def check(self, space: SearchSpace, model: ModelConfig) -> None: ...  # refuse options the family lacks

    def task(self, space: SearchSpace, data: DataConfig) -> TextTask: ...

    def build(
        self, *, space: SearchSpace, vocab_size: int, model: ModelConfig, arch: Arch | None, seed: int
    ) -> BuiltModel: ...  # a fresh supernet (arch None) or standalone model of arch

    def rebuild(self, *, kind: ModelKind, config_json: str, space: SearchSpace) -> nn.Module: ...  # from JSON


TRAINABLE: Registry[TrainingFamily] = Registry("trainable space family")
TRAINABLE.register("hat", "hwnas.train.modeling:HAT_TRAINING", summary="encoder-decoder MT on parallel text")
TRAINABLE.register("gpt", "hwnas.train.gpt_modeling:GPT_TRAINING", summary="decoder-only language model on text")


def training_for(space: SearchSpace) -> TrainingFamily:
    """How to train the networks of ``space``'s family (a one-line error for a family no trainer knows)."""
    if space.family not in TRAINABLE.names():
        raise ConfigError(
            f"space {space.name!r} is of family {space.family!r}, which cannot be trained; "
            f"allowed: spaces of family {', '.join(TRAINABLE.names())}"
        )
    return TRAINABLE.get(space.family)
