from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from hwnas.models.layers import LayerSettings, make_positions, sinusoidal_positions
from hwnas.models.subnet import DecoderLayerDims, EncoderLayerDims
from hwnas.models.transformer import build_decoder_layer, build_encoder_layer

D, HEADS, FFN = 16, 4, 24


def _settings(pre: bool) -> LayerSettings:
    return LayerSettings(
        qkv_dim=D,
        normalize_before=pre,
        dropout=0.0,
        attention_dropout=0.0,
        activation_dropout=0.0,
        dropout_scaling="none",
        eps=1e-5,
    )


def _copy(dst: nn.Module, src: nn.Module) -> None:
    with torch.no_grad():
        for name in ("weight", "bias"):
            getattr(dst, name).copy_(getattr(src, name))


def _randomise_norms(module: nn.Module) -> None:
    with torch.no_grad():
        for m in module.modules():
            if isinstance(m, nn.LayerNorm):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.5, 0.5)


@pytest.mark.parametrize("pre", [False, True])
def test_encoder_layer_equals_torch_encoder_layer(pre: bool) -> None:
    torch.manual_seed(0)
    ours = build_encoder_layer(D, EncoderLayerDims(FFN, HEADS), _settings(pre)).eval()
    _randomise_norms(ours)
    ref = nn.TransformerEncoderLayer(D, HEADS, FFN, dropout=0.0, batch_first=True, norm_first=pre).eval()
    with torch.no_grad():
        ref.self_attn.in_proj_weight.copy_(ours.self_attn.in_proj.weight)  # type: ignore[union-attr]
        ref.self_attn.in_proj_bias.copy_(ours.self_attn.in_proj.bias)  # type: ignore[union-attr]
    _copy(ref.self_attn.out_proj, ours.self_attn.out_proj)
    for dst, src in [(ref.linear1, ours.ffn.fc1), (ref.linear2, ours.ffn.fc2)]:
        _copy(dst, src)
    for dst, src in [(ref.norm1, ours.attn_norm), (ref.norm2, ours.ffn_norm)]:
        _copy(dst, src)
    x = torch.randn(2, 6, D)
    pad = torch.zeros(2, 6, dtype=torch.bool)
    pad[1, 4:] = True
    expected = ref(x, src_key_padding_mask=pad)
    got = ours(x, ~pad[:, None, None, :])
    assert torch.allclose(got[~pad], expected[~pad], atol=1e-5)


@pytest.mark.parametrize("pre", [False, True])
def test_decoder_layer_equals_torch_decoder_layer(pre: bool) -> None:
    torch.manual_seed(1)
    dims = DecoderLayerDims(ffn_dim=FFN, self_heads=HEADS, ende_heads=HEADS, ende_layers=1)
    ours = build_decoder_layer(D, D, dims, _settings(pre)).eval()
    _randomise_norms(ours)
    ref = nn.TransformerDecoderLayer(D, HEADS, FFN, dropout=0.0, batch_first=True, norm_first=pre).eval()
    with torch.no_grad():
        ref.self_attn.in_proj_weight.copy_(ours.self_attn.in_proj.weight)  # type: ignore[union-attr]
        ref.self_attn.in_proj_bias.copy_(ours.self_attn.in_proj.bias)  # type: ignore[union-attr]
        cross = ours.cross_attn
        ref.multihead_attn.in_proj_weight.copy_(torch.cat([cross.q_proj.weight, cross.kv_proj.weight]))  # type: ignore[union-attr]
        ref.multihead_attn.in_proj_bias.copy_(torch.cat([cross.q_proj.bias, cross.kv_proj.bias]))  # type: ignore[union-attr]
    _copy(ref.self_attn.out_proj, ours.self_attn.out_proj)
    _copy(ref.multihead_attn.out_proj, ours.cross_attn.out_proj)
    _copy(ref.linear1, ours.ffn.fc1)
    _copy(ref.linear2, ours.ffn.fc2)
    for dst, src in [(ref.norm1, ours.attn_norm), (ref.norm2, ours.cross_attn_norm), (ref.norm3, ours.ffn_norm)]:
        _copy(dst, src)
    x, memory = torch.randn(2, 5, D), torch.randn(2, 7, D)
    pad = torch.zeros(2, 7, dtype=torch.bool)
    pad[0, 5:] = True
    causal = nn.Transformer.generate_square_subsequent_mask(5)
    expected = ref(x, memory, tgt_mask=causal, memory_key_padding_mask=pad)
    assert torch.allclose(ours(x, memory, ~pad[:, None, None, :]), expected, atol=1e-5)


def test_sinusoidal_positions_known_values_and_padding() -> None:
    tokens = torch.tensor([[5, 6, 7, 0], [0, 0, 8, 9]])  # right- and left-padded
    positions = make_positions(tokens, pad_id=0)
    assert positions.tolist() == [[1, 2, 3, 0], [0, 0, 1, 2]]
    table = sinusoidal_positions(positions, dim=4, base_dim=6)  # half = 3 frequencies: 1, 1e-2, 1e-4
    assert table.shape == (2, 4, 4)
    p = 2.0
    expected = [math.sin(p), math.sin(p * 1e-2), math.sin(p * 1e-4), math.cos(p)]
    assert torch.allclose(table[0, 1], torch.tensor(expected), atol=1e-6)
    assert table[0, 3].abs().sum() == 0 and table[1, :2].abs().sum() == 0  # pads get no position signal
    # a narrower subnet sees the leading columns of the same super table
    assert torch.equal(sinusoidal_positions(positions, dim=2, base_dim=6), table[..., :2])
