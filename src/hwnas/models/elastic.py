"""Elastic (weight-sharing) layers: a sub-network uses the leading slices of each super weight.

Every elastic module speaks the same small set of verbs (whittle's pattern), so containers only delegate:

* ``set_active(...)`` — choose the active sub-network (keyword arguments, sizes only);
* ``reset()`` — back to the full (super) size;
* ``extract()`` — a plain ``nn.Module`` holding copies of the active slices (no link back to the supernet);
* ``num_active_params()`` — parameters of the active sub-network (analytic, no extraction).

Slices are views (``weight[:out, :in]``), never copies, so training a subnet updates the shared super weights.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, runtime_checkable

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from hwnas.models.attention import Attention
from hwnas.models.layers import LayerNorm, layer_norm, leading
from hwnas.models.weight_init import init_linear, init_token_table


@runtime_checkable
class Elastic(Protocol):
    """The verbs every elastic module and container implements. ``set_active`` is part of it too, but its keyword
    sizes differ per layer kind (``in_features=``, ``embedding_dim=``, ...), so the protocol cannot spell them."""

    @property
    def set_active(self) -> Callable[..., None]: ...

    def reset(self) -> None: ...

    def extract(self) -> nn.Module: ...

    def num_active_params(self) -> int: ...


def _copy_param(tensor: Tensor) -> nn.Parameter:
    """A contiguous copy of an active slice as a new parameter (extraction: no link back to the super weight)."""
    return nn.Parameter(tensor.detach().clone(memory_format=torch.contiguous_format))


def _check_size(name: str, value: int, maximum: int) -> int:
    if not 0 < value <= maximum:
        raise ValueError(f"{name}={value} is outside 1..{maximum} (the super layer's size)")
    return value


class ElasticLinear(nn.Module):
    """``y = x W[:out, :in]^T + b[:out]``: active input/output features are leading slices of the super weight.

    A layer with a bias can switch it off for a subnet (``set_active(bias=False)``: the GPT family's ``bias`` gene);
    the subnet then skips it, and its extraction has none."""

    def __init__(self, in_features: int, out_features: int, *, bias: bool = True) -> None:
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        self.weight = nn.Parameter(torch.empty(out_features, in_features))
        self.bias = nn.Parameter(torch.empty(out_features)) if bias else None
        init_linear(self)  # type: ignore[arg-type]  # same attribute names as nn.Linear
        self.active_in, self.active_out = in_features, out_features
        self.bias_on = bias

    def set_active(
        self, *, in_features: int | None = None, out_features: int | None = None, bias: bool | None = None
    ) -> None:
        if in_features is not None:
            self.active_in = _check_size("in_features", in_features, self.in_features)
        if out_features is not None:
            self.active_out = _check_size("out_features", out_features, self.out_features)
        if bias is not None:
            if bias and self.bias is None:
                raise ValueError("bias=True on a super layer built without a bias")
            self.bias_on = bias

    def reset(self) -> None:
        self.active_in, self.active_out = self.in_features, self.out_features
        self.bias_on = self.bias is not None

    def active_weight(self) -> Tensor:
        """[out,in] strided view; no slice op at all for a full dimension (fewer autograd nodes and kernels)."""
        return leading(leading(self.weight, 0, self.active_out), 1, self.active_in)

    def active_bias(self) -> Tensor | None:
        return None if self.bias is None or not self.bias_on else leading(self.bias, 0, self.active_out)

    def forward(self, x: Tensor) -> Tensor:
        assert x.shape[-1] == self.active_in, (x.shape, self.active_in)
        return F.linear(x, self.active_weight(), self.active_bias())  # [...,in] -> [...,out]

    def extract(self) -> nn.Linear:
        bias = self.active_bias()
        layer = nn.Linear(self.active_in, self.active_out, bias=bias is not None, device="meta")
        layer.weight = _copy_param(self.active_weight())
        if bias is not None:
            layer.bias = _copy_param(bias)
        return layer

    def num_active_params(self) -> int:
        return self.active_out * self.active_in + (self.active_out if self.active_bias() is not None else 0)

    def extra_repr(self) -> str:
        return f"super={self.in_features}->{self.out_features}, active={self.active_in}->{self.active_out}"


class ElasticEmbedding(nn.Module):
    """Token embedding whose active width is the leading ``active_dim`` columns of the super table."""

    def __init__(self, num_embeddings: int, embedding_dim: int, *, padding_idx: int) -> None:
        super().__init__()
        self.num_embeddings, self.embedding_dim, self.padding_idx = num_embeddings, embedding_dim, padding_idx
        self.weight = nn.Parameter(torch.empty(num_embeddings, embedding_dim))
        init_token_table(self.weight, padding_idx)
        self.active_dim = embedding_dim

    def set_active(self, *, embedding_dim: int) -> None:
        self.active_dim = _check_size("embedding_dim", embedding_dim, self.embedding_dim)

    def reset(self) -> None:
        self.active_dim = self.embedding_dim

    def active_weight(self) -> Tensor:
        return leading(self.weight, 1, self.active_dim)  # [V,d] strided view

    def forward(self, tokens: Tensor) -> Tensor:
        return F.embedding(tokens, self.active_weight(), self.padding_idx)  # [B,T] -> [B,T,d]

    def extract(self) -> nn.Embedding:
        embedding = nn.Embedding(self.num_embeddings, self.active_dim, padding_idx=self.padding_idx, device="meta")
        embedding.weight = _copy_param(self.active_weight())
        return embedding

    def num_active_params(self) -> int:
        return self.num_embeddings * self.active_dim

    def extra_repr(self) -> str:
        return f"{self.num_embeddings}, super_dim={self.embedding_dim}, active_dim={self.active_dim}"


class ElasticLayerNorm(nn.Module):
    """Layer norm over the leading ``active_dim`` features with the leading slices of its scale and shift."""

    def __init__(self, normalized_dim: int, *, eps: float = 1e-5) -> None:
        super().__init__()
        self.normalized_dim, self.eps = normalized_dim, eps
        self.weight = nn.Parameter(torch.ones(normalized_dim))
        self.bias = nn.Parameter(torch.zeros(normalized_dim))
        self.active_dim = normalized_dim

    def set_active(self, *, normalized_dim: int) -> None:
        self.active_dim = _check_size("normalized_dim", normalized_dim, self.normalized_dim)

    def reset(self) -> None:
        self.active_dim = self.normalized_dim

    def forward(self, x: Tensor) -> Tensor:
        d = self.active_dim
        assert x.shape[-1] == d, (x.shape, d)
        return layer_norm(x, leading(self.weight, 0, d), leading(self.bias, 0, d), self.eps)

    def extract(self) -> nn.LayerNorm:
        norm = LayerNorm(self.active_dim, eps=self.eps, device="meta")
        norm.weight, norm.bias = _copy_param(self.weight[: self.active_dim]), _copy_param(self.bias[: self.active_dim])
        return norm

    def num_active_params(self) -> int:
        return 2 * self.active_dim


class ElasticAttention(Attention):
    """HAT's elastic attention: elastic query-side and key/value-side widths, elastic heads at a fixed qkv dim.

    Heads only change how the fixed qkv_dim is split (head_dim = qkv_dim / heads), so the projections never shrink
    with heads; only their embed-side slices follow the active widths.
    """

    in_proj: ElasticLinear | None
    q_proj: ElasticLinear | None
    kv_proj: ElasticLinear | None
    out_proj: ElasticLinear

    def __init__(
        self, *, query_dim: int, kv_dim: int, qkv_dim: int, num_heads: int, self_attention: bool, dropout: float
    ) -> None:
        super().__init__(
            query_dim=query_dim,
            kv_dim=kv_dim,
            qkv_dim=qkv_dim,
            num_heads=num_heads,
            self_attention=self_attention,
            dropout=dropout,
        )
        self.max_heads = num_heads
        self.active_query_dim, self.active_kv_dim = query_dim, kv_dim

    def _build_projections(self) -> nn.Module:
        if self.self_attention:
            assert self.query_dim == self.kv_dim, "self-attention needs equal query and key/value widths"
            self.in_proj = ElasticLinear(self.query_dim, 3 * self.qkv_dim)
        else:
            self.q_proj = ElasticLinear(self.query_dim, self.qkv_dim)
            self.kv_proj = ElasticLinear(self.kv_dim, 2 * self.qkv_dim)
        return ElasticLinear(self.qkv_dim, self.query_dim)

    def set_active(self, *, query_dim: int, num_heads: int, kv_dim: int | None = None) -> None:
        """Self-attention ignores ``kv_dim`` (keys/values come from the query side)."""
        self._check_heads(num_heads)
        kv_dim = query_dim if self.self_attention or kv_dim is None else kv_dim
        if self.in_proj is not None:
            self.in_proj.set_active(in_features=query_dim)
        if self.q_proj is not None and self.kv_proj is not None:
            self.q_proj.set_active(in_features=query_dim)
            self.kv_proj.set_active(in_features=kv_dim)
        self.out_proj.set_active(out_features=query_dim)
        self.active_query_dim, self.active_kv_dim, self.num_heads = query_dim, kv_dim, num_heads

    def reset(self) -> None:
        self.set_active(query_dim=self.query_dim, kv_dim=self.kv_dim, num_heads=self.max_heads)

    def _projections(self) -> list[ElasticLinear]:
        return [p for p in (self.in_proj, self.q_proj, self.kv_proj, self.out_proj) if p is not None]

    def extract(self) -> Attention:
        with torch.device("meta"):  # skip a throw-away random init; every projection is replaced below
            plain = Attention(
                query_dim=self.active_query_dim,
                kv_dim=self.active_kv_dim,
                qkv_dim=self.qkv_dim,
                num_heads=self.num_heads,
                self_attention=self.self_attention,
                dropout=self.dropout,
            )
        for name in ("in_proj", "q_proj", "kv_proj", "out_proj"):
            elastic = getattr(self, name)
            setattr(plain, name, None if elastic is None else elastic.extract())
        return plain

    def num_active_params(self) -> int:
        return sum(p.num_active_params() for p in self._projections())
