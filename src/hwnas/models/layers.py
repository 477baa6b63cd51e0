"""Plain Transformer building blocks shared by the SuperTransformer and the standalone extracted model.

The elastic layers subclass these and only swap their parameters for sliceable ones, so both models run the very
same forward code: a subnet of the supernet and its extracted copy differ only in where the weights live.
Attention (:mod:`hwnas.models.attention`) goes through ``F.scaled_dot_product_attention`` with all heads in one call.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from hwnas.models.attention import Attention, KVCache
from hwnas.models.dropout import DropoutRates, DropoutScaling, dropout_rates


@dataclass(frozen=True, kw_only=True)
class LayerSettings:
    """What every layer of one stack shares (from the model config)."""

    qkv_dim: int  # total q/k/v width, fixed across subnets (HAT: 512)
    normalize_before: bool  # pre-norm (True) or post-norm (False, HAT's WMT setting)
    dropout: float  # on embeddings and sublayer outputs, at the super width
    attention_dropout: float  # on attention probabilities (never scaled)
    activation_dropout: float  # after the FFN's ReLU, at the super width
    dropout_scaling: DropoutScaling  # which rates a narrower subnet scales down (models/dropout.py)
    eps: float  # layer-norm epsilon

    def rates(self, active_dim: int, super_dim: int) -> DropoutRates:
        """The dropout rates of a side of active width ``active_dim`` cut from width ``super_dim``."""
        return dropout_rates(
            dropout=self.dropout,
            activation_dropout=self.activation_dropout,
            scaling=self.dropout_scaling,
            active_dim=active_dim,
            super_dim=super_dim,
        )


def leading(tensor: Tensor, dim: int, size: int) -> Tensor:
    """The first ``size`` entries along ``dim`` as a view; the tensor itself when that is all of it."""
    return tensor if tensor.shape[dim] == size else tensor.narrow(dim, 0, size)


def autocast_dtype(x: Tensor) -> torch.dtype | None:
    """The autocast dtype active for ``x``'s device, or None outside autocast."""
    kind = x.device.type
    return torch.get_autocast_dtype(kind) if torch.is_autocast_enabled(kind) else None


def to_autocast_dtype(x: Tensor) -> Tensor:
    """Cast activations to the autocast dtype (if any): the residual stream then stays in bf16 under autocast, as
    fairseq's --fp16/--bf16 runs HAT, instead of autocast's fp32 stream (twice the memory traffic per layer)."""
    dtype = autocast_dtype(x)
    return x if dtype is None or x.dtype == dtype else x.to(dtype)


def layer_norm(x: Tensor, weight: Tensor, bias: Tensor, eps: float) -> Tensor:
    """Layer norm whose output keeps the activation dtype under autocast (statistics are still accumulated in fp32
    by the kernel); outside autocast it is plain ``F.layer_norm``."""
    dtype = autocast_dtype(x)
    if dtype is None:
        return F.layer_norm(x, (x.shape[-1],), weight, bias, eps)
    with torch.autocast(x.device.type, enabled=False):
        return F.layer_norm(x.to(dtype), (x.shape[-1],), weight.to(dtype), bias.to(dtype), eps)


class LayerNorm(nn.LayerNorm):
    """``nn.LayerNorm`` that keeps the autocast dtype (see :func:`layer_norm`)."""

    def forward(self, x: Tensor) -> Tensor:
        return layer_norm(x, self.weight, self.bias, self.eps)


def make_positions(tokens: Tensor, pad_id: int) -> Tensor:
    """Positions 1, 2, ... of the non-pad tokens and 0 at pads (left or right padding alike).  [B,T] -> [B,T]"""
    nonpad = tokens.ne(pad_id).long()  # [B,T]
    return torch.cumsum(nonpad, dim=1) * nonpad


def sinusoidal_positions(positions: Tensor, dim: int, base_dim: int) -> Tensor:
    """Sinusoidal position vectors, fairseq layout (all sines, then all cosines), cut to the leading ``dim`` columns.

    The frequencies come from ``base_dim`` (the supernet's largest embed dim), as HAT slices one super table, so a
    subnet sees the same position signal in each column whatever its width. Position 0 (padding) is all zeros.
    positions [B,T] long -> [B,T,dim] float32.
    """
    assert 0 < dim <= base_dim, (dim, base_dim)
    half = base_dim // 2
    step = math.log(10000.0) / max(half - 1, 1)
    freqs = torch.exp(torch.arange(half, device=positions.device, dtype=torch.float32) * -step)  # [half]
    angles = positions.to(torch.float32).unsqueeze(-1) * freqs  # [B,T,half]
    table = torch.cat([torch.sin(angles), torch.cos(angles)], dim=-1)  # [B,T,2*half]
    if base_dim % 2:
        table = F.pad(table, (0, 1))
    return table[..., :dim] * positions.ne(0).unsqueeze(-1)  # [B,T,dim]


def residual(
    x: Tensor, sublayer_out: Tensor, norm: nn.Module, *, normalize_before: bool, dropout: float, training: bool
) -> Tensor:
    """Dropout, residual add and (post-norm only) the layer norm; pre-norm normalises the sublayer's input instead."""
    if training and dropout > 0.0:
        sublayer_out = F.dropout(sublayer_out, p=dropout, training=True)
    out = x + sublayer_out
    return out if normalize_before else norm(out)


class FeedForward(nn.Module):
    """Position-wise FFN: fc1 -> ReLU -> dropout -> fc2 (fairseq / HAT)."""

    def __init__(self, fc1: nn.Module, fc2: nn.Module, *, activation_dropout: float) -> None:
        super().__init__()
        self.fc1, self.fc2, self.activation_dropout = fc1, fc2, activation_dropout

    def forward(self, x: Tensor) -> Tensor:
        hidden = F.relu(self.fc1(x))  # [B,T,F]
        if self.training and self.activation_dropout > 0.0:
            hidden = F.dropout(hidden, p=self.activation_dropout, training=True)
        return self.fc2(hidden)  # type: ignore[no-any-return]


class EncoderLayer(nn.Module):
    """Self-attention + FFN, each wrapped in dropout, a residual and a layer norm (pre- or post-norm).

    ``dropout`` is applied to sublayer outputs; the encoder's self-attention output has its own rate
    (``self_attn_residual_dropout``, default the same), which HAT does not scale with the width (models/dropout.py).
    """

    def __init__(
        self,
        *,
        self_attn: Attention,
        ffn: FeedForward,
        attn_norm: nn.Module,
        ffn_norm: nn.Module,
        normalize_before: bool,
        dropout: float,
        self_attn_residual_dropout: float | None = None,
    ) -> None:
        super().__init__()
        self.self_attn, self.ffn, self.attn_norm, self.ffn_norm = self_attn, ffn, attn_norm, ffn_norm
        self.normalize_before, self.dropout = normalize_before, dropout
        self.self_attn_residual_dropout = dropout if self_attn_residual_dropout is None else self_attn_residual_dropout

    def _block(self, x: Tensor, norm: nn.Module, sublayer: nn.Module, dropout: float, **kwargs: object) -> Tensor:
        h = norm(x) if self.normalize_before else x
        out = sublayer(h, **kwargs)
        return residual(x, out, norm, normalize_before=self.normalize_before, dropout=dropout, training=self.training)

    def forward(self, x: Tensor, attn_mask: Tensor | None) -> Tensor:
        """x [B,S,E] -> [B,S,E]; attn_mask bool [B,1,1,S] (True = attend) or None when nothing is padded."""
        x = self._block(x, self.attn_norm, self.self_attn, self.self_attn_residual_dropout, attn_mask=attn_mask)
        return self._block(x, self.ffn_norm, self.ffn, self.dropout)


@dataclass
class DecoderLayerCache:
    """Incremental-decoding state of one decoder layer."""

    self_attn: KVCache
    cross_attn: KVCache


class DecoderLayer(EncoderLayer):
    """Causal self-attention, attention over ``ende_layers`` concatenated encoder outputs, FFN."""

    def __init__(
        self,
        *,
        self_attn: Attention,
        cross_attn: Attention,
        ffn: FeedForward,
        attn_norm: nn.Module,
        cross_attn_norm: nn.Module,
        ffn_norm: nn.Module,
        ende_layers: int,
        normalize_before: bool,
        dropout: float,
    ) -> None:
        super().__init__(
            self_attn=self_attn,
            ffn=ffn,
            attn_norm=attn_norm,
            ffn_norm=ffn_norm,
            normalize_before=normalize_before,
            dropout=dropout,
        )
        self.cross_attn, self.cross_attn_norm = cross_attn, cross_attn_norm
        self.ende_layers = ende_layers  # how many of the last encoder layers this layer attends to (HAT: 1-3)

    def forward(  # type: ignore[override]
        self, x: Tensor, memory: Tensor, memory_mask: Tensor | None, cache: DecoderLayerCache | None = None
    ) -> Tensor:
        """x [B,T,E]; memory [B,k*S,E_enc]; memory_mask bool [B,1,1,k*S] or None. Returns [B,T,E].

        Without a cache, T target positions attend causally; with a cache, either the first call (any T, causal)
        or one new position per call (attending to everything cached).
        """
        first_call = cache is None or cache.self_attn.key is None
        assert first_call or x.shape[1] == 1, "incremental decoding feeds one new position per call"
        self_cache = None if cache is None else cache.self_attn
        causal = first_call and x.shape[1] > 1
        x = self._block(x, self.attn_norm, self.self_attn, self.dropout, is_causal=causal, cache=self_cache)
        cross_cache = None if cache is None else cache.cross_attn
        x = self._block(
            x,
            self.cross_attn_norm,
            self.cross_attn,
            self.dropout,
            memory=memory,
            attn_mask=memory_mask,
            cache=cross_cache,
        )
        return self._block(x, self.ffn_norm, self.ffn, self.dropout)
