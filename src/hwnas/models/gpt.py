"""`GPTModel`: a plain decoder-only GPT of one HW-GPT-Bench architecture (family ``gpt``), for measurement.

It is the network the ``gpt`` family (:mod:`hwnas.families.gpt`) counts, built so that ``sum(p.numel())`` equals
the analytic ``params``: a token embedding and a separate, untied ``lm_head`` (no bias); rotary positions (no
position table); pre-norm blocks whose LayerNorms always have weight and bias; per block ``i`` an attention of
``n_head[i]`` heads of ``head_size`` (its width ``head_size * n_head[i]`` is independent of ``embed_dim``) with one
fused qkv projection, and a LLaMA-style gated MLP of hidden size ``mlp_ratio[i] * embed_dim``; the ``bias`` gene
switches the biases of every linear layer in the blocks. Weights are random: latency does not depend on their
values. The family decodes an arch into its :class:`GPTConfig` (re-exported here). The GPT supernet
(:mod:`hwnas.models.gpt_supernet`) subclasses these modules, so a subnet of it runs this same forward code, and its
extraction is a :class:`GPTModel` (trained weights; ``config.dropout`` applies in training).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from hwnas.models.gpt_config import GPTConfig

ROTARY_BASE = 10_000.0  # GPT-NeoX / litgpt frequency base


def rotary_tables(length: int, head_size: int, *, device: torch.device | None = None) -> tuple[Tensor, Tensor]:
    """cos, sin [T, head_size] of rotary positions 0..T-1 (each frequency used for both halves)."""
    inv_freq = ROTARY_BASE ** (-torch.arange(0, head_size, 2, device=device, dtype=torch.float32) / head_size)
    angles = torch.outer(torch.arange(length, device=device, dtype=torch.float32), inv_freq)  # [T, hs/2]
    angles = torch.cat([angles, angles], dim=-1)  # [T, hs]
    return angles.cos(), angles.sin()


def apply_rotary(x: Tensor, cos: Tensor, sin: Tensor) -> Tensor:
    """Rotate pairs (i, i + hs/2) of x [B,H,T,hs] by the position angles."""
    half = x.shape[-1] // 2
    rotated = torch.cat([-x[..., half:], x[..., :half]], dim=-1)  # [B,H,T,hs]
    return x * cos.to(x.dtype) + rotated * sin.to(x.dtype)


class CausalSelfAttention(nn.Module):
    qkv: nn.Module  # nn.Linear d -> 3 x heads x head_size (the supernet's subclass: a sliceable projection)
    proj: nn.Module

    def __init__(self, embed_dim: int, heads: int, head_size: int, *, bias: bool) -> None:
        super().__init__()
        self.heads, self.head_size = heads, head_size
        width = heads * head_size
        self.qkv = nn.Linear(embed_dim, 3 * width, bias=bias)
        self.proj = nn.Linear(width, embed_dim, bias=bias)

    def forward(self, x: Tensor, cos: Tensor, sin: Tensor) -> Tensor:
        batch, length, _ = x.shape
        qkv = self.qkv(x).view(batch, length, 3, self.heads, self.head_size)  # [B,T,3,H,hs]
        q, k, v = qkv.permute(2, 0, 3, 1, 4).unbind(0)  # each [B,H,T,hs]
        q, k = apply_rotary(q, cos, sin), apply_rotary(k, cos, sin)
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)  # [B,H,T,hs]
        out: Tensor = self.proj(y.transpose(1, 2).reshape(batch, length, self.heads * self.head_size))  # [B,T,d]
        return out


class GatedMLP(nn.Module):
    """LLaMA-style: proj(silu(fc_1 x) * fc_2 x)."""

    fc_1: nn.Module  # nn.Linear here, sliceable in the supernet's subclass
    fc_2: nn.Module
    proj: nn.Module

    def __init__(self, embed_dim: int, hidden: int, *, bias: bool) -> None:
        super().__init__()
        self.fc_1 = nn.Linear(embed_dim, hidden, bias=bias)
        self.fc_2 = nn.Linear(embed_dim, hidden, bias=bias)
        self.proj = nn.Linear(hidden, embed_dim, bias=bias)

    def forward(self, x: Tensor) -> Tensor:
        out: Tensor = self.proj(F.silu(self.fc_1(x)) * self.fc_2(x))  # [B,T,d]
        return out


def dropout(x: Tensor, rate: float, training: bool) -> Tensor:
    """Dropout in training only; no op at all at rate 0 (measurement and evaluation)."""
    return F.dropout(x, rate, training) if training and rate > 0 else x


class Block(nn.Module):
    norm_1: nn.Module  # nn.LayerNorm here, sliceable in the supernet's subclass (as every part below)
    attn: CausalSelfAttention
    norm_2: nn.Module
    mlp: GatedMLP

    def __init__(self, config: GPTConfig, index: int) -> None:
        super().__init__()
        d = config.embed_dim
        self.dropout = config.dropout
        self.norm_1 = nn.LayerNorm(d, eps=config.layer_norm_eps)
        self.attn = CausalSelfAttention(d, config.n_head[index], config.head_size, bias=config.bias)
        self.norm_2 = nn.LayerNorm(d, eps=config.layer_norm_eps)
        self.mlp = GatedMLP(d, config.mlp_ratio[index] * d, bias=config.bias)

    def forward(self, x: Tensor, cos: Tensor, sin: Tensor) -> Tensor:
        x = x + dropout(self.attn(self.norm_1(x), cos, sin), self.dropout, self.training)
        out: Tensor = x + dropout(self.mlp(self.norm_2(x)), self.dropout, self.training)
        return out


class GPTModel(nn.Module):
    """Token ids [B,T] -> logits [B,T,V] (one forward pass, HW-GPT-Bench's latency setting)."""

    embed_tokens: nn.Module  # nn.Embedding here, sliceable in the supernet's subclass (as the norm and lm_head)
    norm: nn.Module
    lm_head: nn.Module

    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.config = config
        self.embed_tokens = nn.Embedding(config.vocab_size, config.embed_dim)
        self.blocks = nn.ModuleList(Block(config, i) for i in range(config.n_layer))
        self.norm = nn.LayerNorm(config.embed_dim, eps=config.layer_norm_eps)
        self.lm_head = nn.Linear(config.embed_dim, config.vocab_size, bias=False)

    def forward(self, tokens: Tensor) -> Tensor:
        assert tokens.dim() == 2, f"tokens must be [B,T], got {tuple(tokens.shape)}"
        length = tokens.shape[1]
        assert length <= self.config.block_size, f"sequence of {length} > block_size {self.config.block_size}"
        cos, sin = rotary_tables(length, self.config.head_size, device=tokens.device)  # [T,hs] each
        x = dropout(self.embed_tokens(tokens), self.config.dropout, self.training)  # [B,T,d]
        for block in self.active_blocks():
            x = block(x, cos, sin)
        logits: Tensor = self.lm_head(self.norm(x))  # [B,T,V]
        return logits

    def active_blocks(self) -> list[nn.Module]:
        """The blocks the forward pass runs: all of them (the GPT supernet runs its active depth's first ones)."""
        return list(self.blocks)

    def num_params(self) -> int:
        return sum(p.numel() for p in self.parameters())


__all__ = [
    "Block",
    "CausalSelfAttention",
    "GPTConfig",
    "GPTModel",
    "GatedMLP",
    "apply_rotary",
    "dropout",
    "rotary_tables",
]
