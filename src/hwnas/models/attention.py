"""Multi-head attention shared by the SuperTransformer and the extracted model, and its incremental-decoding cache.

All heads go through one ``F.scaled_dot_product_attention`` call (flash / memory-efficient kernels on a GPU). The
elastic attention (:mod:`hwnas.models.elastic`) subclasses :class:`Attention` and only swaps its projections for
sliceable ones, so a subnet of the supernet and its extracted copy run this same forward code.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from hwnas.models.weight_init import init_cross_attention, init_linear


@dataclass
class KVCache:
    """Keys and values of one attention module during incremental decoding, each [B,H,S,head_dim]."""

    key: Tensor | None = None
    value: Tensor | None = None

    def append(self, key: Tensor, value: Tensor) -> tuple[Tensor, Tensor]:
        if self.key is not None and self.value is not None:
            key = torch.cat([self.key, key], dim=2)  # [B,H,S+t,hd]
            value = torch.cat([self.value, value], dim=2)
        self.key, self.value = key, value
        return key, value

    def reorder(self, order: Tensor) -> None:
        if self.key is not None and self.value is not None:
            self.key, self.value = self.key.index_select(0, order), self.value.index_select(0, order)


class Attention(nn.Module):
    """Multi-head attention with a fixed total qkv dim (HAT): head_dim = qkv_dim / num_heads.

    Self-attention projects q, k, v with one fused ``in_proj`` (query_dim -> 3*qkv_dim); cross-attention projects q
    from the query side and k, v with one fused ``kv_proj`` from the key/value side (whose width may differ).
    """

    def __init__(
        self, *, query_dim: int, kv_dim: int, qkv_dim: int, num_heads: int, self_attention: bool, dropout: float
    ) -> None:
        super().__init__()
        self.query_dim, self.kv_dim, self.qkv_dim = query_dim, kv_dim, qkv_dim
        self.num_heads, self.self_attention, self.dropout = num_heads, self_attention, dropout
        self._check_heads(num_heads)
        self.in_proj: nn.Module | None = None
        self.q_proj: nn.Module | None = None
        self.kv_proj: nn.Module | None = None
        self.out_proj: nn.Module = self._build_projections()
        if not self_attention:  # HAT draws q, k and v as one matrix (weight_init.py)
            assert self.q_proj is not None and self.kv_proj is not None
            init_cross_attention(self.q_proj.weight, self.kv_proj.weight)

    def _check_heads(self, num_heads: int) -> None:
        if num_heads <= 0 or self.qkv_dim % num_heads:
            raise ValueError(f"num_heads={num_heads} must divide qkv_dim={self.qkv_dim}")

    def _build_projections(self) -> nn.Module:
        if self.self_attention:
            assert self.query_dim == self.kv_dim, "self-attention needs equal query and key/value widths"
            self.in_proj = init_linear(nn.Linear(self.query_dim, 3 * self.qkv_dim))
        else:
            self.q_proj = init_linear(nn.Linear(self.query_dim, self.qkv_dim))
            self.kv_proj = init_linear(nn.Linear(self.kv_dim, 2 * self.qkv_dim))
        return init_linear(nn.Linear(self.qkv_dim, self.query_dim))

    def _heads(self, x: Tensor, parts: int) -> Tensor:
        """[B,T,parts*qkv] -> [parts,B,H,T,hd] as a strided view (no copy)."""
        batch, length, _ = x.shape
        head_dim = self.qkv_dim // self.num_heads
        return x.view(batch, length, parts, self.num_heads, head_dim).permute(2, 0, 3, 1, 4)

    def forward(
        self,
        query: Tensor,
        memory: Tensor | None = None,
        *,
        attn_mask: Tensor | None = None,
        is_causal: bool = False,
        cache: KVCache | None = None,
    ) -> Tensor:
        """query [B,T,Eq], memory [B,S,Ekv] (cross-attention only), attn_mask bool [B,1,1,S] True = attend.

        With a cache, self-attention appends this call's keys/values; cross-attention computes them once and
        reuses them on later calls (``memory`` is then ignored).
        """
        batch, length, _ = query.shape
        if self.self_attention:
            assert self.in_proj is not None and memory is None
            q, k, v = self._heads(self.in_proj(query), 3).unbind(0)  # each [B,H,T,hd]
            if cache is not None:
                k, v = cache.append(k, v)  # [B,H,S,hd]
        else:
            assert self.q_proj is not None and self.kv_proj is not None
            q = self._heads(self.q_proj(query), 1)[0]  # [B,H,T,hd]
            if cache is not None and cache.key is not None and cache.value is not None:
                k, v = cache.key, cache.value
            else:
                assert memory is not None, "cross-attention needs the encoder memory"
                k, v = self._heads(self.kv_proj(memory), 2).unbind(0)  # each [B,H,S,hd]
                if cache is not None:
                    cache.key, cache.value = k, v
        dropout = self.dropout if self.training else 0.0
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask, dropout_p=dropout, is_causal=is_causal)
        out = out.transpose(1, 2).reshape(batch, length, self.qkv_dim)  # [B,T,qkv]
        return self.out_proj(out)  # type: ignore[no-any-return]
