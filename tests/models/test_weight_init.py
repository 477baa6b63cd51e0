"""A fresh model's weights follow HAT's init, drawn over the supernet's shapes or a standalone model's own."""

from __future__ import annotations

import math

import pytest
import torch

from hwnas.core.space import SearchSpace
from hwnas.models import SuperTransformer, TransformerConfig, TransformerModel
from hwnas.models.subnet import subnet_dims


def _check_uniform(weight: torch.Tensor, bound: float, wider: float) -> None:
    """Uniform on [-bound, bound]: std bound / sqrt(3), nothing beyond it, and the sample reaches past ``wider``
    (the range the old per-matrix xavier used), so a draw from that range would fail."""
    assert float(weight.std()) == pytest.approx(bound / math.sqrt(3), rel=0.06)
    assert float(weight.abs().max()) <= bound and float(weight.abs().max()) > 0.95 * bound
    assert abs(bound - wider) > 0.1 * bound


def test_cross_attention_draws_q_k_v_as_hats_one_matrix_when_widths_are_equal(tiny: SearchSpace) -> None:
    """HAT's encoder-decoder attention has one [3*qkv, E] in_proj when encoder and decoder widths are equal
    (multihead_attention_super.py, line 140): q and k|v share its xavier range, narrower than their own shapes'."""
    torch.manual_seed(0)
    supernet = SuperTransformer.from_space(tiny)  # E = 64 both sides, qkv = 32
    cross = supernet.decoder_layers[0].cross_attn
    fused = math.sqrt(6 / (64 + 3 * 32))
    _check_uniform(cross.q_proj.weight.detach(), fused, wider=math.sqrt(6 / (64 + 32)))
    _check_uniform(cross.kv_proj.weight.detach(), fused, wider=math.sqrt(6 / (64 + 64)))
    assert not cross.q_proj.bias.any() and not cross.kv_proj.bias.any()


def test_cross_attention_draws_q_k_v_apart_when_widths_differ(tiny: SearchSpace) -> None:
    """Unequal widths (here a model built for its own widths: decoder 64, encoder 32): q, k and v are three
    matrices in HAT (multihead_attention_super.py, lines 142-144), each xavier over its own [qkv, width]."""
    genes = {**tiny.smallest().genes, "decoder_embed_dim": 64}
    torch.manual_seed(0)
    model = TransformerModel(TransformerConfig(vocab_size=1000, dims=subnet_dims(tiny.make(genes), tiny), qkv_dim=32))
    cross = model.decoder_layers[0].cross_attn
    _check_uniform(cross.q_proj.weight.detach(), math.sqrt(6 / (64 + 32)), wider=math.sqrt(6 / (64 + 3 * 32)))
    kv = cross.kv_proj.weight.detach()  # [2*32, 32]: k then v
    for part in (kv[:32], kv[32:]):
        _check_uniform(part, math.sqrt(6 / (32 + 32)), wider=math.sqrt(6 / (32 + 64)))
