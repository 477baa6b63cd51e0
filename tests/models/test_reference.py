"""One subnet of the SuperTransformer checked against an independent computation.

The extraction tests compare the supernet with its extracted model, two users of the same forward code
(``EncoderDecoder``), so a bug in that code would hide from them. Here the supernet's weights are read from its state
dict, sliced by hand (leading rows / columns, as HAT slices its super weights) and pushed through a teacher-forced
forward written below with torch.nn.functional primitives only: embedding scale, sinusoidal positions from the super
width, multi-head attention as explicit matmuls and softmax, layer norms, ReLU FFN, HAT's arbitrary encoder-decoder
attention over the last k encoder layers, and the tied output projection. Nothing from hwnas.models' layers is used.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest
import torch
import torch.nn.functional as F
from torch import Tensor

from hwnas.models import EOS_ID, PAD_ID, SuperTransformer, SuperTransformerConfig, padding_mask
from hwnas.models.subnet import DecoderLayerDims, EncoderLayerDims, SubnetDims

QKV, EPS = 32, 1e-5
# Every choice differs from the super size somewhere: widths (48 -> 40, 56 -> 32), 3 of 4 encoder and 3 of 4
# decoder layers, per-layer FFN widths and heads, and decoder layers attending to the last 3, 1 and 2 encoder layers.
SUBNET = SubnetDims(
    encoder_embed_dim=40,
    decoder_embed_dim=32,
    encoder_layers=(EncoderLayerDims(96, 4), EncoderLayerDims(64, 2), EncoderLayerDims(80, 1)),
    decoder_layers=(
        DecoderLayerDims(ffn_dim=64, self_heads=2, ende_heads=4, ende_layers=3),
        DecoderLayerDims(ffn_dim=112, self_heads=8, ende_heads=2, ende_layers=1),
        DecoderLayerDims(ffn_dim=48, self_heads=4, ende_heads=1, ende_layers=2),
    ),
)


def _supernet(pre: bool, scope: str) -> SuperTransformer:
    config = SuperTransformerConfig(
        vocab_size=60,
        encoder_embed_dim=48,
        decoder_embed_dim=56,
        encoder_ffn_dim=96,
        decoder_ffn_dim=112,
        encoder_heads=4,
        decoder_heads=8,
        encoder_layers=4,
        decoder_layers=4,
        qkv_dim=QKV,
        max_ende_layers=3,
        normalize_before=pre,
        encoder_final_norm=scope,  # type: ignore[arg-type]
    )
    model = SuperTransformer(config).eval()
    gen = torch.Generator().manual_seed(11)
    with torch.no_grad():  # non-trivial norms and biases, so a misplaced or missing one shows
        for name, p in model.named_parameters():
            noise = torch.randn(p.shape, generator=gen)
            if "norm" in name:
                p.copy_(1.0 + 0.3 * noise if name.endswith("weight") else 0.3 * noise)
            elif name.endswith("bias"):
                p.copy_(0.2 * noise)
            else:
                p.copy_(noise / math.sqrt(p.shape[-1]) if p.dim() == 2 and "embed" not in name else noise)
        model.embed_tokens.weight[PAD_ID].zero_()
    model.set_active(SUBNET)
    return model


def _positions(tokens: Tensor, dim: int, base_dim: int) -> Tensor:
    """fairseq sinusoids (sines then cosines) with frequencies of the super width, first ``dim`` columns; 0 at pads."""
    nonpad = tokens.ne(PAD_ID)
    pos = (torch.cumsum(nonpad.long(), dim=1) * nonpad).float()  # [B,T] 1, 2, ... and 0 at pads
    half = base_dim // 2
    freqs = torch.exp(-math.log(10000.0) / (half - 1) * torch.arange(half, dtype=torch.float32))
    angles = pos[..., None] * freqs  # [B,T,half]
    return torch.cat([angles.sin(), angles.cos()], dim=-1)[..., :dim] * nonpad[..., None]


def _attention(
    q_in: Tensor, kv_in: Tensor, w: tuple[Tensor, ...], heads: int, key_pad: Tensor | None, *, causal: bool
) -> Tensor:
    """w = (Wq, bq, Wk, bk, Wv, bv, Wo, bo); key_pad [B,S] True at pads."""
    wq, bq, wk, bk, wv, bv, wo, bo = w
    (b, t, _), s = q_in.shape, kv_in.shape[1]
    hd = wq.shape[0] // heads
    q = (q_in @ wq.T + bq).view(b, t, heads, hd).transpose(1, 2)  # [B,H,T,hd]
    k = (kv_in @ wk.T + bk).view(b, s, heads, hd).transpose(1, 2)  # [B,H,S,hd]
    v = (kv_in @ wv.T + bv).view(b, s, heads, hd).transpose(1, 2)
    scores = q @ k.transpose(-1, -2) / math.sqrt(hd)  # [B,H,T,S]
    if key_pad is not None:
        scores = scores.masked_fill(key_pad[:, None, None, :], float("-inf"))
    if causal:
        scores = scores.masked_fill(torch.ones(t, s, dtype=torch.bool).triu(1), float("-inf"))
    out = (scores.softmax(dim=-1) @ v).transpose(1, 2).reshape(b, t, heads * hd)  # [B,T,qkv]
    return out @ wo.T + bo


class HandSliced:
    """The active subnet's weights, cut by hand from the supernet's state dict."""

    def __init__(self, model: SuperTransformer) -> None:
        self.w = {k: v.detach() for k, v in model.state_dict().items()}
        self.pre = model.config.normalize_before

    def linear(self, name: str, out: int, inp: int, row0: int = 0) -> tuple[Tensor, Tensor]:
        """Rows row0 .. row0+out and the leading ``inp`` columns of a super weight, and its bias rows."""
        return self.w[f"{name}.weight"][row0 : row0 + out, :inp], self.w[f"{name}.bias"][row0 : row0 + out]

    def norm(self, name: str, x: Tensor) -> Tensor:
        d = x.shape[-1]
        return F.layer_norm(x, (d,), self.w[f"{name}.weight"][:d], self.w[f"{name}.bias"][:d], EPS)

    def sublayer(self, x: Tensor, norm: str, fn: Callable[[Tensor], Tensor]) -> Tensor:
        return x + fn(self.norm(norm, x)) if self.pre else self.norm(norm, x + fn(x))

    def ffn(self, name: str, x: Tensor, hidden: int) -> Tensor:
        d = x.shape[-1]
        (w1, b1), (w2, b2) = self.linear(f"{name}.fc1", hidden, d), self.linear(f"{name}.fc2", d, hidden)
        return F.relu(x @ w1.T + b1) @ w2.T + b2

    def encoder_layer(self, i: int, x: Tensor, dims: EncoderLayerDims, pad: Tensor) -> Tensor:
        p = f"encoder_layers.{i}"
        x = self.sublayer(
            x, f"{p}.attn_norm", lambda h: self.self_attention(f"{p}.self_attn", h, dims.heads, pad, causal=False)
        )
        return self.sublayer(x, f"{p}.ffn_norm", lambda h: self.ffn(f"{p}.ffn", h, dims.ffn_dim))

    def decoder_layer(self, i: int, y: Tensor, dims: DecoderLayerDims, memory: Tensor, pad: Tensor) -> Tensor:
        p = f"decoder_layers.{i}"
        y = self.sublayer(
            y, f"{p}.attn_norm", lambda h: self.self_attention(f"{p}.self_attn", h, dims.self_heads, None, causal=True)
        )
        y = self.sublayer(
            y,
            f"{p}.cross_attn_norm",
            lambda h: self.cross_attention(f"{p}.cross_attn", h, memory, dims.ende_heads, pad),
        )
        return self.sublayer(y, f"{p}.ffn_norm", lambda h: self.ffn(f"{p}.ffn", h, dims.ffn_dim))

    def self_attention(self, name: str, x: Tensor, heads: int, key_pad: Tensor | None, *, causal: bool) -> Tensor:
        d = x.shape[-1]
        q, k, v = (self.linear(f"{name}.in_proj", QKV, d, row0=i * QKV) for i in range(3))  # fused q, k, v rows
        out = self.linear(f"{name}.out_proj", d, QKV)
        return _attention(x, x, (*q, *k, *v, *out), heads, key_pad, causal=causal)

    def cross_attention(self, name: str, x: Tensor, memory: Tensor, heads: int, key_pad: Tensor | None) -> Tensor:
        d, e = x.shape[-1], memory.shape[-1]
        q = self.linear(f"{name}.q_proj", QKV, d)
        k, v = (self.linear(f"{name}.kv_proj", QKV, e, row0=i * QKV) for i in range(2))  # fused k, v rows
        out = self.linear(f"{name}.out_proj", d, QKV)
        return _attention(x, memory, (*q, *k, *v, *out), heads, key_pad, causal=False)

    def embed(self, tokens: Tensor, dim: int, base_dim: int) -> Tensor:
        table = self.w["embed_tokens.weight"][:, :dim]  # each side reads the leading columns of the shared table
        return math.sqrt(dim) * table[tokens] + _positions(tokens, dim, base_dim)


def _reference_logits(model: SuperTransformer, src: Tensor, tgt: Tensor) -> Tensor:
    """Teacher-forced logits [B,T,V] of the active subnet, from hand-sliced weights."""
    ref, c = HandSliced(model), model.config
    enc, dec, pad = SUBNET.encoder_embed_dim, SUBNET.decoder_embed_dim, src.eq(PAD_ID)
    x, states = ref.embed(src, enc, c.encoder_embed_dim), []
    for i, enc_dims in enumerate(SUBNET.encoder_layers):
        x = ref.encoder_layer(i, x, enc_dims, pad)
        states.insert(0, x)  # newest first
    if ref.pre:  # HAT: the final norm on the encoder output only; "all": also on the earlier layers kept
        normed = len(states) if c.encoder_final_norm == "all" else 1
        states = [ref.norm("encoder_norm", s) for s in states[:normed]] + states[normed:]
    y = ref.embed(tgt, dec, c.decoder_embed_dim)
    for i, dec_dims in enumerate(SUBNET.decoder_layers):
        k = dec_dims.ende_layers
        memory = torch.cat(states[:k], dim=1)  # [B,k*S,E]: the last k encoder layers, newest first (HAT's order)
        y = ref.decoder_layer(i, y, dec_dims, memory, pad.repeat(1, k))
    if ref.pre:
        y = ref.norm("decoder_norm", y)
    return y @ ref.w["embed_tokens.weight"][:, :dec].T  # tied output projection


@pytest.mark.parametrize(("pre", "scope"), [(True, "last"), (True, "all"), (False, "last"), (False, "all")])
def test_supernet_and_extracted_model_match_a_hand_sliced_reference(pre: bool, scope: str) -> None:
    model = _supernet(pre, scope)
    gen = torch.Generator().manual_seed(5)
    src = torch.randint(4, 60, (3, 9), generator=gen)
    src[0, 6:], src[2, 8:] = PAD_ID, PAD_ID
    tgt = torch.randint(4, 60, (3, 7), generator=gen)
    tgt[:, 0] = EOS_ID
    with torch.no_grad():
        expected = _reference_logits(model, src, tgt)
        supernet_out = model(src, padding_mask(src, PAD_ID), tgt)
        extracted_out = model.extract().eval()(src, padding_mask(src, PAD_ID), tgt)
    assert expected.shape == (3, 7, 60) and expected.abs().max() > 1.0  # not a degenerate near-zero output
    # The reference sums in its own order, so fp32 rounding differs by up to ~1e-5 on logits of magnitude ~5 (seen
    # 1.1e-5 with one thread); a wrong slice, mask or norm moves logits by ~0.1 or more.
    torch.testing.assert_close(supernet_out, expected, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(extracted_out, expected, rtol=1e-4, atol=1e-4)
