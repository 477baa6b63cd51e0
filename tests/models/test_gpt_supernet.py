"""The GPT supernet: a subnet extracted as a plain GPTModel equals the supernet with that subnet active (fp32, 1e-5),
its parameter count is the gpt family's analytic count, and the verbs behave as the SuperTransformer's."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from hwnas.core.arch import Arch
from hwnas.core.errors import ConfigError, InvalidArchError
from hwnas.core.space import SearchSpace
from hwnas.metrics import analytic_metrics
from hwnas.models import GPTConfig, GPTModel, GPTSuperNet, extract
from hwnas.models.elastic import ElasticEmbedding, ElasticLayerNorm, ElasticLinear
from hwnas.models.gpt_elastic import ElasticQKV
from hwnas.spaces import get_space

TOL = 1e-5

# head size 64 (HW-GPT-Bench's), deeper than gpt-tiny, still CPU-small
GPT64 = {
    "name": "gpt-64-test",
    "family": "gpt",
    "description": "head size 64, up to 3 layers",
    "constants": {"head_size": 64, "vocab_size": 300, "block_size": 32},
    "genes": {
        "embed_dim": {"choices": [48, 96]},
        "n_layer": {"choices": [1, 2, 3]},
        "n_head": {"choices": [1, 2], "per_layer": "n_layer"},
        "mlp_ratio": {"choices": [2, 3], "per_layer": "n_layer"},
        "bias": {"choices": [True, False]},
    },
}


def sharp_supernet(space: SearchSpace, seed: int = 0) -> GPTSuperNet:
    """A supernet whose every weight, biases included, is large enough to show a wrong slice or a skipped bias."""
    torch.manual_seed(seed)
    model = GPTSuperNet.from_space(space).eval()
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            noise = torch.randn(p.shape, generator=gen)
            p.copy_(1.0 + 0.2 * noise if "norm" in name and name.endswith("weight") else 0.3 * noise)
    return model


def archs_to_check(space: SearchSpace, n: int, seed: int) -> list[Arch]:
    """Smallest, largest, random ones, and each random one with its bias gene flipped (every depth shows up)."""
    rng = np.random.default_rng(seed)
    drawn = [space.sample(rng) for _ in range(n)]
    flipped = [space.make({**a.genes, "bias": not a["bias"]}) for a in drawn]
    return [space.smallest(), space.largest(), *drawn, *flipped]


@pytest.mark.parametrize("space_def", ["gpt-tiny", GPT64], ids=["gpt-tiny", "head-size-64"])
def test_extracted_subnets_equal_the_supernet_and_count_as_the_family(space_def: str | dict[str, object]) -> None:
    space = get_space(space_def) if isinstance(space_def, str) else SearchSpace.from_dict(space_def)
    vocab = int(space.constants["vocab_size"])
    model = sharp_supernet(space)
    tokens = torch.randint(0, vocab, (3, 17), generator=torch.Generator().manual_seed(1))  # [B,T]
    archs = archs_to_check(space, 6, seed=2)
    assert {a["n_layer"] for a in archs} == set(space.gene("n_layer").choices)
    assert {a["bias"] for a in archs} == {True, False}
    for arch in archs:
        sub = extract(model, arch)
        model.set_active_arch(arch)
        with torch.no_grad():
            expected = model(tokens)  # [B,T,V]
            got = sub(tokens)
        assert expected.shape == (3, 17, vocab)
        assert (got - expected).abs().max() <= TOL, arch.genes
        params = analytic_metrics(arch, space)["params"]
        assert sub.num_params() == model.num_params() == params, arch.genes
        assert isinstance(sub, GPTModel) and sub.config.n_layer == arch["n_layer"]


def test_bias_gene_switches_the_block_biases() -> None:
    space = get_space("gpt-tiny")
    model = sharp_supernet(space)
    arch = space.largest()
    on, off = space.make({**arch.genes, "bias": True}), space.make({**arch.genes, "bias": False})
    tokens = torch.randint(0, 1000, (2, 9), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        model.set_active_arch(on)
        with_bias = model(tokens)
        model.set_active_arch(off)
        without = model(tokens)
    assert (with_bias - without).abs().max() > 0.1  # the biases are used when on and skipped when off
    plain = extract(model, off)
    assert all(m.bias is None for m in plain.modules() if isinstance(m, torch.nn.Linear))
    assert plain.blocks[0].norm_1.bias is not None  # layer norms keep their shift whatever the gene
    assert extract(model, on).blocks[0].attn.qkv.bias.shape == (3 * 4 * 16,)


def test_extracted_model_is_plain_independent_and_leaves_the_supernet_as_it_was() -> None:
    space = get_space("gpt-tiny")
    model = sharp_supernet(space)
    model.set_active_arch(space.smallest())
    sub = extract(model, space.largest())
    elastic = (ElasticLinear, ElasticEmbedding, ElasticLayerNorm, ElasticQKV)
    assert not any(isinstance(m, elastic) for m in sub.modules())
    assert not {p.data_ptr() for p in sub.parameters()} & {p.data_ptr() for p in model.parameters()}
    assert model.active_dims.embed_dim == 32 and model.active_dims.n_layer == 1  # still the smallest
    assert not any(p.is_meta for p in sub.parameters())


def test_reset_and_the_largest_subnet_are_the_whole_supernet() -> None:
    space = get_space("gpt-tiny")
    model = sharp_supernet(space)
    tokens = torch.randint(0, 1000, (2, 8), generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        full = model(tokens)
        model.set_active_arch(space.smallest())
        assert model.num_params() < sum(p.numel() for p in model.parameters())
        model.reset()
        assert model.active_dims == model.config
        assert torch.equal(model(tokens), full)
    assert model.num_params() == sum(p.numel() for p in model.parameters())


def test_a_subnet_trains_the_leading_slices_of_the_shared_weights() -> None:
    space = get_space("gpt-tiny")
    model = GPTSuperNet.from_space(space)
    model.set_active_arch(space.smallest())  # width 32 of 64, heads 2 of 4 (16 each), ratio 2 of 4, no bias
    tokens = torch.randint(0, 1000, (2, 8), generator=torch.Generator().manual_seed(0))
    model(tokens).square().mean().backward()
    qkv = model.blocks[0].attn.qkv
    assert isinstance(qkv, ElasticQKV) and qkv.weight.grad is not None and qkv.bias is not None
    assert qkv.weight.grad[:, :32, :32].abs().sum() > 0
    assert qkv.weight.grad[:, 32:, :].abs().sum() == 0 and qkv.weight.grad[:, :, 32:].abs().sum() == 0
    assert qkv.bias.grad is None or qkv.bias.grad.abs().sum() == 0  # bias off: not used
    assert model.blocks[1].attn.qkv.weight.grad is None  # depth 1: the second block is not run


def test_arch_outside_the_supernet_or_of_another_family_is_refused() -> None:
    space = get_space("gpt-tiny")
    small = GPTSuperNet(replace(GPTSuperNet.from_space(space).config, embed_dim=32), space=space)
    with pytest.raises(InvalidArchError, match=r"gene 'embed_dim' has value 64; allowed: 1\.\.32"):
        small.set_active_arch(space.largest())
    with pytest.raises(ConfigError, match="no decoder-only GPT sizes"):
        small.set_active_arch(get_space("tiny").smallest())


def test_gpt_config_round_trips_through_json() -> None:
    config = GPTConfig(vocab_size=7, embed_dim=8, n_head=(1, 2), mlp_ratio=(2, 3), bias=False, dropout=0.1)
    assert GPTConfig.from_json(config.to_json()) == config


def test_subnet_heads_are_the_leading_heads_of_the_largest_q_k_and_v() -> None:
    space = get_space("gpt-tiny")
    model = sharp_supernet(space)
    largest, smallest = extract(model, space.largest()), extract(model, space.smallest())
    big, small = largest.blocks[0].attn, smallest.blocks[0].attn  # 4 heads of 16 on width 64; 2 heads on width 32
    expected = big.qkv.weight.view(3, 4 * 16, 64)[:, : 2 * 16, :32].reshape(3 * 2 * 16, 32)  # q, k, v: first heads
    assert torch.equal(small.qkv.weight, expected)
    assert torch.equal(small.proj.weight, big.proj.weight[:32, : 2 * 16])
    assert torch.equal(smallest.lm_head.weight, largest.lm_head.weight[:, :32])
