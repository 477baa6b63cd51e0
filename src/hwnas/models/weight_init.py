"""How a fresh model's weights are drawn: HAT's (fairseq's) rules, shared by the supernet and the standalone model.

The supernet applies them to its super shapes, so a subnet sliced out of it starts from HAT's init; a standalone
model built for its own widths applies them to its own shapes (``model.scratch_init``, docs/hat-fidelity.md).
Layer norms keep PyTorch's 1 / 0.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn


def init_linear(layer: nn.Linear) -> nn.Linear:
    """Xavier-uniform weights and zero bias (``linear_super.py``, ``multihead_attention_super.py``)."""
    nn.init.xavier_uniform_(layer.weight)
    if layer.bias is not None:
        nn.init.zeros_(layer.bias)
    return layer


def init_token_table(weight: Tensor, padding_idx: int) -> None:
    """Normal with std = width^-0.5 and a zero padding row (``embedding_super.py``)."""
    nn.init.normal_(weight, mean=0.0, std=weight.shape[1] ** -0.5)
    with torch.no_grad():
        weight[padding_idx].zero_()


def init_cross_attention(q_weight: Tensor, kv_weight: Tensor) -> None:
    """HAT's draw of the encoder-decoder attention's q, k and v projections (``multihead_attention_super.py``,
    ``reset_parameters``). With equal query and key/value widths they are one [3*qkv, E] matrix there, so all three
    come from that shape's xavier range; with unequal widths each of q, k, v is xavier over its own [qkv, width].
    hwnas keeps q [qkv, Eq] and k|v [2*qkv, Ekv] as two matrices, whose own xavier ranges would be wider."""
    qkv, query_dim = q_weight.shape
    kv_dim = kv_weight.shape[1]
    assert kv_weight.shape[0] == 2 * qkv, (q_weight.shape, kv_weight.shape)
    with torch.no_grad():
        if query_dim == kv_dim:
            bound = math.sqrt(6.0 / (query_dim + 3 * qkv))
            q_weight.uniform_(-bound, bound)
            kv_weight.uniform_(-bound, bound)
        else:
            nn.init.xavier_uniform_(q_weight)
            for part in (kv_weight[:qkv], kv_weight[qkv:]):  # k, then v: each [qkv, Ekv]
                nn.init.xavier_uniform_(part)
