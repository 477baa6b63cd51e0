"""Elastic parts of the GPT supernet: the plain GPT modules (:mod:`hwnas.models.gpt`) with sliceable weights.

Each subclasses its plain counterpart and only swaps its layers for elastic ones, so a subnet runs the plain
forward code, and ``extract()`` returns that plain counterpart holding copies of the active slices. The verbs are
those of :mod:`hwnas.models.elastic` (``set_active``, ``reset``, ``extract``, ``num_active_params``). One block's
active sizes: the model width (leading features everywhere), its heads (attention width = heads x head_size: the
leading heads of each of q, k and v), its MLP ratio (hidden = ratio x width, the leading units) and whether its
linear layers use their biases (the ``bias`` gene: skipped when off, and absent from the extraction).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from hwnas.models.elastic import ElasticLayerNorm, ElasticLinear, _check_size, _copy_param
from hwnas.models.gpt import Block, CausalSelfAttention, GatedMLP
from hwnas.models.gpt_config import GPTConfig
from hwnas.models.layers import leading


class ElasticQKV(nn.Module):
    """The fused q/k/v projection ``d -> 3 x width``. Its super weight is [3, width, d], so a subnet's weight
    ``[:, :w, :d]`` keeps the plain projection's row layout (q rows, then k, then v, each head after head)."""

    def __init__(self, in_features: int, width: int, *, bias: bool) -> None:
        super().__init__()
        self.in_features, self.width = in_features, width
        self.weight = nn.Parameter(torch.empty(3, width, in_features))
        self.bias = nn.Parameter(torch.zeros(3, width)) if bias else None
        nn.init.normal_(self.weight, std=0.02)
        self.active_in, self.active_width, self.bias_on = in_features, width, bias

    def set_active(self, *, in_features: int, width: int, bias: bool) -> None:
        if bias and self.bias is None:
            raise ValueError("bias=True on a qkv projection built without a bias")
        self.active_in = _check_size("in_features", in_features, self.in_features)
        self.active_width = _check_size("width", width, self.width)
        self.bias_on = bias

    def reset(self) -> None:
        self.set_active(in_features=self.in_features, width=self.width, bias=self.bias is not None)

    def active_weight(self) -> Tensor:
        """[3w, d]: a view when all heads are active, a copy (whose gradient reaches the super weight) otherwise."""
        weight = leading(leading(self.weight, 1, self.active_width), 2, self.active_in)  # [3,w,d]
        return weight.reshape(3 * self.active_width, self.active_in)  # [3w,d]

    def active_bias(self) -> Tensor | None:
        if self.bias is None or not self.bias_on:
            return None
        return leading(self.bias, 1, self.active_width).reshape(3 * self.active_width)  # [3w]

    def forward(self, x: Tensor) -> Tensor:
        assert x.shape[-1] == self.active_in, (x.shape, self.active_in)
        return F.linear(x, self.active_weight(), self.active_bias())  # [...,d] -> [...,3w]

    def extract(self) -> nn.Linear:
        bias = self.active_bias()
        layer = nn.Linear(self.active_in, 3 * self.active_width, bias=bias is not None, device="meta")
        layer.weight = _copy_param(self.active_weight())
        if bias is not None:
            layer.bias = _copy_param(bias)
        return layer

    def num_active_params(self) -> int:
        return 3 * self.active_width * (self.active_in + (1 if self.active_bias() is not None else 0))

    def extra_repr(self) -> str:
        return f"super={self.in_features}->3x{self.width}, active={self.active_in}->3x{self.active_width}"


class ElasticCausalSelfAttention(CausalSelfAttention):
    """Elastic heads at a fixed head size: the attention width follows the active heads."""

    qkv: ElasticQKV
    proj: ElasticLinear

    def __init__(self, embed_dim: int, heads: int, head_size: int, *, bias: bool) -> None:
        nn.Module.__init__(self)  # the plain __init__ would build plain projections
        self.heads, self.head_size, self.max_heads = heads, head_size, heads
        self.qkv = ElasticQKV(embed_dim, heads * head_size, bias=bias)
        self.proj = ElasticLinear(heads * head_size, embed_dim, bias=bias)

    def set_active(self, *, embed_dim: int, heads: int, bias: bool) -> None:
        width = _check_size("heads", heads, self.max_heads) * self.head_size
        self.qkv.set_active(in_features=embed_dim, width=width, bias=bias)
        self.proj.set_active(in_features=width, out_features=embed_dim, bias=bias)
        self.heads = heads

    def reset(self) -> None:
        self.set_active(embed_dim=self.qkv.in_features, heads=self.max_heads, bias=self.qkv.bias is not None)

    def extract(self) -> CausalSelfAttention:
        with torch.device("meta"):  # every projection is replaced below
            plain = CausalSelfAttention(self.qkv.active_in, self.heads, self.head_size, bias=self.qkv.bias_on)
        plain.qkv, plain.proj = self.qkv.extract(), self.proj.extract()
        return plain

    def num_active_params(self) -> int:
        return self.qkv.num_active_params() + self.proj.num_active_params()


class ElasticGatedMLP(GatedMLP):
    fc_1: ElasticLinear
    fc_2: ElasticLinear
    proj: ElasticLinear

    def __init__(self, embed_dim: int, hidden: int, *, bias: bool) -> None:
        nn.Module.__init__(self)
        self.fc_1, self.fc_2 = ElasticLinear(embed_dim, hidden, bias=bias), ElasticLinear(embed_dim, hidden, bias=bias)
        self.proj = ElasticLinear(hidden, embed_dim, bias=bias)

    def set_active(self, *, embed_dim: int, hidden: int, bias: bool) -> None:
        for fc in (self.fc_1, self.fc_2):
            fc.set_active(in_features=embed_dim, out_features=hidden, bias=bias)
        self.proj.set_active(in_features=hidden, out_features=embed_dim, bias=bias)

    def reset(self) -> None:
        for layer in (self.fc_1, self.fc_2, self.proj):
            layer.reset()

    def extract(self) -> GatedMLP:
        with torch.device("meta"):
            plain = GatedMLP(1, 1, bias=False)  # every layer is replaced below
        plain.fc_1, plain.fc_2, plain.proj = self.fc_1.extract(), self.fc_2.extract(), self.proj.extract()
        return plain

    def num_active_params(self) -> int:
        return sum(layer.num_active_params() for layer in (self.fc_1, self.fc_2, self.proj))


class ElasticBlock(Block):
    """One pre-norm block of the supernet: elastic width, heads, MLP ratio and bias."""

    norm_1: ElasticLayerNorm
    attn: ElasticCausalSelfAttention
    norm_2: ElasticLayerNorm
    mlp: ElasticGatedMLP

    def __init__(self, config: GPTConfig, index: int) -> None:
        nn.Module.__init__(self)
        d, eps = config.embed_dim, config.layer_norm_eps
        self.dropout = config.dropout
        self.norm_1, self.norm_2 = ElasticLayerNorm(d, eps=eps), ElasticLayerNorm(d, eps=eps)
        self.attn = ElasticCausalSelfAttention(d, config.n_head[index], config.head_size, bias=config.bias)
        self.mlp = ElasticGatedMLP(d, config.mlp_ratio[index] * d, bias=config.bias)

    def set_active(self, *, embed_dim: int, heads: int, mlp_ratio: int, bias: bool) -> None:
        for norm in (self.norm_1, self.norm_2):
            norm.set_active(normalized_dim=embed_dim)
        self.attn.set_active(embed_dim=embed_dim, heads=heads, bias=bias)
        self.mlp.set_active(embed_dim=embed_dim, hidden=mlp_ratio * embed_dim, bias=bias)

    def reset(self) -> None:
        for part in (self.norm_1, self.norm_2, self.attn, self.mlp):
            part.reset()

    def extract(self) -> Block:
        one_layer = GPTConfig(vocab_size=1, embed_dim=1, n_head=(1,), mlp_ratio=(1,), bias=False, dropout=self.dropout)
        with torch.device("meta"):
            plain = Block(one_layer, 0)  # every part is replaced below; the dropout rate is kept
        plain.norm_1, plain.attn = self.norm_1.extract(), self.attn.extract()
        plain.norm_2, plain.mlp = self.norm_2.extract(), self.mlp.extract()
        return plain

    def num_active_params(self) -> int:
        parts = (self.norm_1, self.attn, self.norm_2, self.mlp)
        return sum(p.num_active_params() for p in parts)


__all__ = ["ElasticBlock", "ElasticCausalSelfAttention", "ElasticGatedMLP", "ElasticQKV"]
