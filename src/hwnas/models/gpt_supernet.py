"""`GPTSuperNet`: one weight-sharing decoder-only GPT whose sub-networks are the archs of a ``gpt``-family space.

It is the largest arch of the space (widest ``embed_dim``, deepest ``n_layer``, most heads and widest MLP per layer,
biases on) as a :class:`~hwnas.models.gpt.GPTModel` subclass whose layers are elastic
(:mod:`hwnas.models.gpt_elastic`); a subnet uses the leading slices of every weight and the first ``n_layer``
blocks, and skips the blocks' biases when its ``bias`` gene is off. Verbs as the SuperTransformer's:
``set_active_arch(arch)`` / ``set_active(config)`` / ``reset()`` / ``extract()`` / ``num_active_params()``.
``extract()`` gives a plain :class:`GPTModel` of the active subnet whose outputs equal the supernet's (tested to
1e-5 in fp32) and whose parameter count is the ``gpt`` family's analytic ``params`` when the vocabulary is the
space's; so measurement (``lm-forward``) and counts apply to it unchanged.

Weights start as GPT-2's: normal(0, 0.02), residual output projections scaled by 1/sqrt(2 x n_layer), zero biases.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any, cast

import torch
from torch import nn

from hwnas.contracts.family import family_of
from hwnas.core.arch import Arch
from hwnas.core.errors import ConfigError, InvalidArchError
from hwnas.core.space import SearchSpace
from hwnas.models.elastic import ElasticEmbedding, ElasticLayerNorm, ElasticLinear
from hwnas.models.gpt import GPTModel
from hwnas.models.gpt_config import GPTConfig
from hwnas.models.gpt_elastic import ElasticBlock
from hwnas.models.vocab import PAD_ID
from hwnas.spaces.registry import get_space

INIT_STD = 0.02  # GPT-2


def gpt_config_of(arch: Arch, space: SearchSpace) -> GPTConfig:
    """The :class:`GPTConfig` of an arch of a ``gpt``-family space (validated first)."""
    space.validate(arch)
    config = family_of(space).decode(arch, space)
    if not isinstance(config, GPTConfig):
        raise ConfigError(f"space {space.name!r} (family {space.family!r}) has no decoder-only GPT sizes; need 'gpt'")
    return config


def supernet_config(space: SearchSpace, **overrides: Any) -> GPTConfig:
    """The sizes of the supernet of ``space``: its largest arch with biases on; ``overrides`` replace fields (e.g.
    ``vocab_size`` of the run's tokenizer, ``dropout``)."""
    largest = gpt_config_of(space.largest(), space)
    return replace(largest, bias=True, **overrides)


class GPTSuperNet(GPTModel):
    """The GPT supernet of a ``gpt``-family space. Token ids [B,T] -> logits [B,T,V] of the active subnet."""

    embed_tokens: ElasticEmbedding
    norm: ElasticLayerNorm
    lm_head: ElasticLinear

    def __init__(self, config: GPTConfig, *, space: SearchSpace | None = None) -> None:
        nn.Module.__init__(self)  # GPTModel's __init__ would build plain layers
        self.config, self.space = config, space
        self.embed_tokens = ElasticEmbedding(config.vocab_size, config.embed_dim, padding_idx=PAD_ID)
        self.blocks = nn.ModuleList(ElasticBlock(config, i) for i in range(config.n_layer))
        self.norm = ElasticLayerNorm(config.embed_dim, eps=config.layer_norm_eps)
        self.lm_head = ElasticLinear(config.embed_dim, config.vocab_size, bias=False)
        self._init_weights()
        self.active_dims = config
        self.reset()

    @classmethod
    def from_space(cls, space: SearchSpace | str, **overrides: Any) -> GPTSuperNet:
        space = get_space(space) if isinstance(space, str) else space
        return cls(supernet_config(space, **overrides), space=space)

    def _init_weights(self) -> None:
        residual_std = INIT_STD / math.sqrt(2 * self.config.n_layer)
        with torch.no_grad():
            for name, param in self.named_parameters():
                if "norm" in name:
                    continue  # layer norms keep 1 / 0
                if name.endswith("bias"):
                    param.zero_()
                else:
                    param.normal_(0.0, residual_std if name.endswith(".proj.weight") else INIT_STD)
            self.embed_tokens.weight[PAD_ID].zero_()

    # verbs ------------------------------------------------------------------------------------------------------
    def set_active_arch(self, arch: Arch) -> GPTConfig:
        """Validate ``arch`` with its space (this supernet's, or the registry's for another ``gpt`` space) and make
        it the active sub-network. Returns its sizes (with this supernet's vocabulary and block size)."""
        space = self.space if self.space is not None and self.space.name == arch.space else get_space(arch.space)
        self.set_active(gpt_config_of(arch, space), space=arch.space)
        return self.active_dims

    def set_active(self, config: GPTConfig, *, space: str | None = None) -> None:
        """Activate the subnet of ``config`` (its vocabulary, block size, norm eps and dropout are the supernet's)."""
        active = self._fit(config, space or (self.space.name if self.space is not None else "(sizes)"))
        d = active.embed_dim
        self.embed_tokens.set_active(embedding_dim=d)
        for block, heads, ratio in zip(self._elastic_blocks(), active.n_head, active.mlp_ratio, strict=False):
            block.set_active(embed_dim=d, heads=heads, mlp_ratio=ratio, bias=active.bias)
        self.norm.set_active(normalized_dim=d)
        self.lm_head.set_active(in_features=d)
        self.active_dims = active

    def reset(self) -> None:
        """Back to the largest sub-network (the whole supernet)."""
        self.set_active(self.config)

    def extract(self) -> GPTModel:
        """A plain :class:`GPTModel` holding copies of the active sub-network's weights."""
        with torch.device("meta"):  # every part is replaced below
            model = GPTModel(self.active_dims)
        model.embed_tokens = self.embed_tokens.extract()
        model.blocks = nn.ModuleList(block.extract() for block in self._elastic_blocks()[: self.active_dims.n_layer])
        model.norm, model.lm_head = self.norm.extract(), self.lm_head.extract()
        return model

    def num_active_params(self) -> int:
        blocks = sum(b.num_active_params() for b in self._elastic_blocks()[: self.active_dims.n_layer])
        parts = (self.embed_tokens, self.norm, self.lm_head)
        return blocks + sum(p.num_active_params() for p in parts)

    def num_params(self) -> int:
        """Parameters of the active sub-network (as the extracted model's ``num_params``)."""
        return self.num_active_params()

    def active_blocks(self) -> list[nn.Module]:
        return list(self.blocks)[: self.active_dims.n_layer]

    def _elastic_blocks(self) -> list[ElasticBlock]:
        return [cast(ElasticBlock, block) for block in self.blocks]

    def _fit(self, config: GPTConfig, space: str) -> GPTConfig:
        """``config`` checked against this supernet's sizes, with the supernet's constants."""
        c = self.config
        checks = [("embed_dim", config.embed_dim, c.embed_dim), ("n_layer", config.n_layer, c.n_layer)]
        for i, (heads, ratio) in enumerate(zip(config.n_head, config.mlp_ratio, strict=True)):
            if i < c.n_layer:
                checks += [(f"n_head[{i}]", heads, c.n_head[i]), (f"mlp_ratio[{i}]", ratio, c.mlp_ratio[i])]
        for gene, value, limit in checks:
            if not 0 < value <= limit:
                raise InvalidArchError(space, gene, value, f"1..{limit} (this supernet's size)")
        if config.head_size != c.head_size:
            raise InvalidArchError(space, "head_size", config.head_size, [c.head_size])
        if config.bias and not c.bias:
            raise InvalidArchError(space, "bias", True, [False])
        constants = ("vocab_size", "block_size", "layer_norm_eps", "dropout")
        return replace(config, **{name: getattr(c, name) for name in constants})


__all__ = ["GPTSuperNet", "gpt_config_of", "supernet_config"]
