from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from hwnas.models.attention import Attention
from hwnas.models.elastic import Elastic, ElasticAttention, ElasticEmbedding, ElasticLayerNorm, ElasticLinear


def test_elastic_linear_uses_leading_slices_with_known_values() -> None:
    layer = ElasticLinear(3, 2)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]))
        layer.bias.copy_(torch.tensor([10.0, 20.0]))
    layer.set_active(in_features=2, out_features=1)
    out = layer(torch.tensor([[1.0, 1.0]]))
    assert out.tolist() == [[13.0]]  # 1*1 + 2*1 + 10
    assert layer.num_active_params() == 3
    layer.reset()
    assert layer(torch.ones(1, 3)).tolist() == [[16.0, 35.0]]


def test_elastic_slices_are_views_and_gradients_reach_only_the_active_slice() -> None:
    layer = ElasticLinear(6, 4)
    layer.set_active(in_features=3, out_features=2)
    assert layer.active_weight().data_ptr() == layer.weight.data_ptr()  # a view, not a copy
    layer(torch.randn(5, 3)).sum().backward()
    assert layer.weight.grad is not None and layer.bias.grad is not None
    assert layer.weight.grad[:2, :3].abs().sum() > 0
    assert layer.weight.grad[2:].abs().sum() == 0 and layer.weight.grad[:, 3:].abs().sum() == 0
    assert layer.bias.grad[2:].abs().sum() == 0


def test_elastic_sizes_are_checked() -> None:
    with pytest.raises(ValueError, match=r"outside 1\.\.4"):
        ElasticLinear(4, 4).set_active(in_features=5)
    with pytest.raises(ValueError, match="must divide"):
        ElasticAttention(query_dim=8, kv_dim=8, qkv_dim=8, num_heads=2, self_attention=True, dropout=0.0).set_active(
            query_dim=8, num_heads=3
        )


def test_embedding_and_layer_norm_match_torch_on_the_active_slice() -> None:
    emb = ElasticEmbedding(10, 8, padding_idx=0)
    emb.set_active(embedding_dim=5)
    tokens = torch.tensor([[0, 3, 9]])
    assert torch.equal(emb(tokens), emb.weight[tokens][..., :5])
    assert emb(tokens)[0, 0].abs().sum() == 0  # padding row starts at zero
    plain_emb = emb.extract()
    assert isinstance(plain_emb, nn.Embedding) and plain_emb.weight.shape == (10, 5)
    assert torch.equal(plain_emb(tokens), emb(tokens))

    norm = ElasticLayerNorm(8)
    with torch.no_grad():
        norm.weight.uniform_(0.5, 1.5)
        norm.bias.uniform_(-1, 1)
    norm.set_active(normalized_dim=5)
    x = torch.randn(2, 5)
    expected = F.layer_norm(x, (5,), norm.weight[:5], norm.bias[:5])
    assert torch.allclose(norm(x), expected)
    assert torch.allclose(norm.extract()(x), expected)


def test_full_size_self_attention_equals_torch_multihead_attention() -> None:
    torch.manual_seed(0)
    attn = ElasticAttention(query_dim=16, kv_dim=16, qkv_dim=16, num_heads=4, self_attention=True, dropout=0.0)
    ref = nn.MultiheadAttention(16, 4, batch_first=True)
    with torch.no_grad():
        ref.in_proj_weight.copy_(attn.in_proj.weight)  # type: ignore[union-attr]
        ref.in_proj_bias.copy_(attn.in_proj.bias)  # type: ignore[union-attr]
        ref.out_proj.weight.copy_(attn.out_proj.weight)
        ref.out_proj.bias.copy_(attn.out_proj.bias)
    x = torch.randn(2, 5, 16)
    pad = torch.tensor([[False] * 5, [False, False, False, True, True]])
    expected, _ = ref(x, x, x, key_padding_mask=pad)
    assert torch.allclose(attn(x, attn_mask=~pad[:, None, None, :]), expected, atol=1e-6)


def _manual_cross_attention(
    attn: ElasticAttention, q_in: torch.Tensor, kv_in: torch.Tensor, heads: int
) -> torch.Tensor:
    """Attention written out per head, with the slices taken by hand (an independent reference)."""
    qd, kd, qkv = q_in.shape[-1], kv_in.shape[-1], attn.qkv_dim
    assert attn.q_proj is not None and attn.kv_proj is not None
    q = q_in @ attn.q_proj.weight[:, :qd].T + attn.q_proj.bias
    kv = kv_in @ attn.kv_proj.weight[:, :kd].T + attn.kv_proj.bias
    k, v = kv[..., :qkv], kv[..., qkv:]
    hd = qkv // heads
    outs = []
    for h in range(heads):
        sl = slice(h * hd, (h + 1) * hd)
        weights = torch.softmax(q[..., sl] @ k[..., sl].transpose(-1, -2) / hd**0.5, dim=-1)
        outs.append(weights @ v[..., sl])
    return torch.cat(outs, dim=-1) @ attn.out_proj.weight[:qd].T + attn.out_proj.bias[:qd]


@pytest.mark.parametrize("heads", [1, 2, 4])
def test_cross_attention_with_elastic_widths_and_heads(heads: int) -> None:
    torch.manual_seed(heads)
    attn = ElasticAttention(query_dim=12, kv_dim=10, qkv_dim=8, num_heads=4, self_attention=False, dropout=0.0)
    attn.set_active(query_dim=7, kv_dim=6, num_heads=heads)
    q_in, kv_in = torch.randn(2, 3, 7), torch.randn(2, 5, 6)
    expected = _manual_cross_attention(attn, q_in, kv_in, heads)
    assert torch.allclose(attn(q_in, kv_in), expected, atol=1e-5)
    plain = attn.extract()
    assert type(plain) is Attention and plain.num_heads == heads
    assert torch.allclose(plain(q_in, kv_in), expected, atol=1e-5)
    assert sum(p.numel() for p in plain.parameters()) == attn.num_active_params()


def test_every_elastic_module_speaks_the_same_verbs() -> None:
    modules = [
        ElasticLinear(4, 4),
        ElasticEmbedding(5, 4, padding_idx=0),
        ElasticLayerNorm(4),
        ElasticAttention(query_dim=4, kv_dim=4, qkv_dim=4, num_heads=2, self_attention=True, dropout=0.0),
    ]
    assert all(isinstance(m, Elastic) for m in modules)


def test_extracted_copies_do_not_follow_later_supernet_updates() -> None:
    layer = ElasticLinear(3, 3)
    layer.set_active(in_features=2, out_features=2)
    plain = layer.extract()
    before = plain.weight.clone()
    with torch.no_grad():
        layer.weight.add_(1.0)
    assert torch.equal(plain.weight, before)
