"""Training the ``gpt`` family: the GPT supernet (or one arch from scratch) as a causal language model on plain text
(:mod:`hwnas.train.lm_text`), on the same loop, samplers, checkpoints and DDP as the encoder-decoder.

The supernet is the space's largest arch with the run tokenizer's vocabulary (:mod:`hwnas.models.gpt_supernet`);
a from-scratch arch starts as its slice of a fresh supernet (``model.scratch_init: supernet-slice``) or as a fresh
model of its own widths (``own-widths``), and is a plain :class:`GPTModel`. ``model.dropout`` is the embedding and
residual dropout of every subnet alike (``dropout_scaling`` and ``encoder_final_norm`` are the encoder-decoder's);
the family is pre-norm without attention dropout, so other values of those two are refused.
"""

from __future__ import annotations

from dataclasses import replace

import torch
from torch import nn

from hwnas.core.arch import Arch
from hwnas.core.errors import ConfigError
from hwnas.core.space import SearchSpace
from hwnas.models.gpt import GPTModel
from hwnas.models.gpt_config import GPTConfig
from hwnas.models.gpt_supernet import GPTSuperNet, gpt_config_of, supernet_config
from hwnas.train.config import DataConfig, ModelConfig
from hwnas.train.kinds import BuiltModel, ModelKind
from hwnas.train.lm_text import LanguageModelTask


class GPTTraining:
    """The ``gpt`` family: a decoder-only language model on plain text."""

    def check(self, space: SearchSpace, model: ModelConfig) -> None:
        if model.norm != "pre":
            raise ConfigError(f"model.norm is {model.norm!r} but a gpt space's blocks are pre-norm; allowed: 'pre'")
        if model.attention_dropout > 0:
            raise ConfigError(
                f"model.attention_dropout is {model.attention_dropout} but a gpt space has no attention dropout; "
                "allowed: 0 (model.dropout sets the embedding and residual dropout)"
            )

    def task(self, space: SearchSpace, data: DataConfig) -> LanguageModelTask:
        return LanguageModelTask(data, block_size=supernet_config(space).block_size)

    def build(
        self, *, space: SearchSpace, vocab_size: int, model: ModelConfig, arch: Arch | None, seed: int
    ) -> BuiltModel:
        torch.manual_seed(seed)
        if arch is not None and model.scratch_init == "own-widths":
            own = replace(gpt_config_of(arch, space), vocab_size=vocab_size, dropout=model.dropout)
            return BuiltModel(GPTSuperNet(own, space=space).extract(), "standalone", space)
        supernet = GPTSuperNet(supernet_config(space, vocab_size=vocab_size, dropout=model.dropout), space=space)
        if arch is None:
            return BuiltModel(supernet, "supernet", space)
        supernet.set_active_arch(arch)
        return BuiltModel(supernet.extract(), "standalone", space)

    def rebuild(self, *, kind: ModelKind, config_json: str, space: SearchSpace) -> nn.Module:
        config = GPTConfig.from_json(config_json)
        return GPTSuperNet(config, space=space) if kind == "supernet" else GPTModel(config)


GPT_TRAINING = GPTTraining()
