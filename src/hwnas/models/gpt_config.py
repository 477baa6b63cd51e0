"""`GPTConfig`: the sizes of one HW-GPT-Bench decoder-only subnet (family ``gpt``), without torch, so the ``gpt``
family (:mod:`hwnas.families.gpt`) can decode an arch into it and count it; :mod:`hwnas.models.gpt` builds it."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

# Fallbacks when a gpt-family space omits a constant: HW-GPT-Bench's GPT-2 tokenizer set-up.
DEFAULT_HEAD_SIZE = 64
DEFAULT_VOCAB_SIZE = 50254
DEFAULT_BLOCK_SIZE = 1024


@dataclass(frozen=True, kw_only=True)
class GPTConfig:
    vocab_size: int  # rows of the token embedding and of the untied lm_head (HW-GPT-Bench: 50,254)
    embed_dim: int  # model width d
    n_head: tuple[int, ...]  # attention heads per block (one entry per block)
    mlp_ratio: tuple[int, ...]  # gated-MLP hidden size / d per block
    bias: bool  # biases in every linear layer of the blocks (not in lm_head, always in LayerNorms)
    head_size: int = DEFAULT_HEAD_SIZE  # width of one attention head
    block_size: int = DEFAULT_BLOCK_SIZE  # longest sequence (rotary tables are built for it)
    layer_norm_eps: float = 1e-5  # LayerNorm epsilon
    dropout: float = 0.0  # embedding and residual dropout in training (0: measurement, HW-GPT-Bench)

    def __post_init__(self) -> None:
        if len(self.n_head) != len(self.mlp_ratio) or not self.n_head:
            raise ValueError(f"n_head {self.n_head} and mlp_ratio {self.mlp_ratio} need one entry per block")
        if self.head_size % 2:
            raise ValueError(f"rotary positions need an even head size, got {self.head_size}")

    @property
    def n_layer(self) -> int:
        return len(self.n_head)

    def to_json(self) -> str:
        """The config as JSON (a checkpoint stores it to rebuild the model without the run's files)."""
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> GPTConfig:
        data: dict[str, Any] = json.loads(text)
        return cls(**{**data, "n_head": tuple(data["n_head"]), "mlp_ratio": tuple(data["mlp_ratio"])})
