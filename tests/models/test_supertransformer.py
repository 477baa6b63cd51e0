from __future__ import annotations

from typing import Any

import pytest
import torch

from hwnas.core.errors import ConfigError, InvalidArchError
from hwnas.core.space import SearchSpace
from hwnas.models import EOS_ID, EncoderOut, SuperTransformer, SuperTransformerConfig, padding_mask
from hwnas.spaces.registry import builtin_names, get_space

HAT_SPACES = [name for name in builtin_names() if name.startswith("hat-")]


@pytest.mark.parametrize("name", [*HAT_SPACES, "tiny"])
def test_config_reads_the_largest_choice_of_every_gene(name: str) -> None:
    space = get_space(name)
    config = SuperTransformerConfig.from_space(space)
    largest = space.largest()
    assert config.encoder_embed_dim == largest["encoder_embed_dim"]
    assert config.decoder_ffn_dim == max(space.gene("decoder_ffn_embed_dim").choices)  # type: ignore[type-var]
    assert config.decoder_layers == largest["decoder_layer_num"]
    assert (config.qkv_dim, config.vocab_size) == (space.constants["qkv_dim"], space.constants["vocab_size"])
    assert SuperTransformerConfig.from_json(config.to_json()) == config


def test_config_values_for_hat_wmt14ende() -> None:
    c = SuperTransformerConfig.from_space("hat-wmt14ende")
    assert (c.encoder_embed_dim, c.encoder_ffn_dim, c.encoder_heads, c.encoder_layers) == (640, 3072, 8, 6)
    assert (c.decoder_layers, c.max_ende_layers, c.qkv_dim, c.vocab_size) == (6, 3, 512, 32768)


def test_config_rejects_non_hat_spaces_and_bad_heads() -> None:
    with pytest.raises(ConfigError, match="family"):
        SuperTransformerConfig.from_space("gpt-s")
    with pytest.raises(ConfigError, match="must divide qkv_dim"):
        SuperTransformerConfig.from_space("tiny", encoder_heads=3)


def test_num_params_known_value_and_subnets(tiny: SearchSpace, supernet: Any) -> None:
    model = supernet(tiny, sharp=False)
    # embeddings 1000*64; encoder layer 25,184 (qkv 6,240 + out 2,112 + FFN 16,576 + norms 256); decoder 33,664
    assert model.num_params() == 64_000 + 2 * 25_184 + 2 * 33_664
    assert model.num_params(include_embeddings=False) == 2 * 25_184 + 2 * 33_664
    model.set_active_arch(tiny.smallest())
    assert model.num_params() < 70_000


def test_set_active_arch_validates_with_the_space(tiny: SearchSpace, supernet: Any) -> None:
    model = supernet(tiny, sharp=False)
    bad = tiny.largest().replace(encoder_embed_dim=48)
    with pytest.raises(InvalidArchError, match="encoder_embed_dim"):
        model.set_active_arch(bad)
    with pytest.raises(InvalidArchError, match=r"1\.\.64"):
        model.set_active_arch(get_space("hat-wmt14ende").smallest())  # valid in its space, too big here


@pytest.mark.parametrize("pre", [False, True])
def test_forward_shapes_and_source_padding_is_ignored(
    tiny: SearchSpace, pre: bool, supernet: Any, batch: Any, some_archs: Any
) -> None:
    model = supernet(tiny, normalize_before=pre, sharp=False)
    src = batch(1000, 3, 6, seed=1, pads=(0,))
    tgt = batch(1000, 3, 5, seed=2, start=EOS_ID)
    for arch in some_archs(tiny, 3):
        model.set_active_arch(arch)
        logits = model(src, padding_mask(src, 0), tgt)
        assert logits.shape == (3, 5, 1000)
        longer = torch.cat([src, torch.zeros(3, 4, dtype=torch.long)], dim=1)  # 4 more pad columns
        assert torch.allclose(model(longer, padding_mask(longer, 0), tgt), logits, atol=1e-5)


def test_arbitrary_ende_attention_concatenates_the_last_layers(tiny: SearchSpace, supernet: Any, batch: Any) -> None:
    model = supernet(tiny)
    two = tiny.make({**tiny.largest().genes, "decoder_layer_num": 1, "decoder_arbitrary_ende_attn": [1]})
    one = two.replace(decoder_arbitrary_ende_attn=(-1,))
    src = batch(1000, 2, 5, seed=3, pads=(1,))
    tgt = batch(1000, 2, 4, seed=4, start=EOS_ID)
    mask = padding_mask(src, 0)
    model.set_active_arch(two)
    enc = model.encode(src, mask)
    assert len(enc.states) == 2
    x = model._embed(src, model._encoder_view())  # the encoder by hand: states are newest first
    first = model.encoder_layers[0](x, ~mask[:, None, None, :])  # type: ignore[index]
    assert torch.allclose(enc.states[1], first, atol=1e-6)
    got = model.decode(tgt, enc)
    # the same decoder attending to one pre-concatenated "layer" with the mask repeated gives the same logits
    assert mask is not None
    concatenated = EncoderOut((torch.cat([enc.states[0], enc.states[1]], dim=1),), mask.repeat(1, 2))
    model.set_active_arch(one)
    assert torch.allclose(model.decode(tgt, concatenated), got, atol=1e-5)
    assert not torch.allclose(model.decode(tgt, model.encode(src, mask)), got, atol=1e-3)  # the gene matters


def test_ende_layers_beyond_the_encoder_depth_use_all_layers(tiny: SearchSpace, supernet: Any, batch: Any) -> None:
    model = supernet(tiny)
    base = {**tiny.smallest().genes, "decoder_layer_num": 1}
    src, tgt = batch(1000, 2, 5, seed=5), batch(1000, 2, 4, seed=6, start=EOS_ID)
    outs = []
    for ende in (-1, 1):  # one encoder layer: "last two" is the single layer
        model.set_active_arch(tiny.make({**base, "decoder_arbitrary_ende_attn": [ende]}))
        outs.append(model(src, None, tgt))
    assert torch.equal(outs[0], outs[1])


def test_training_step_touches_only_the_active_slices(tiny: SearchSpace, supernet: Any, batch: Any) -> None:
    model = supernet(tiny, sharp=False, dropout=0.3).train()
    model.set_active_arch(tiny.smallest())
    assert model.encoder_layers[0].dropout == pytest.approx(0.3 * 32 / 64)  # HAT's width-scaled dropout
    src, tgt = batch(1000, 2, 5, seed=7), batch(1000, 2, 4, seed=8, start=EOS_ID)
    model(src, None, tgt).logsumexp(-1).mean().backward()
    fc1 = model.encoder_layers[0].ffn.fc1.weight.grad  # type: ignore[union-attr]
    assert fc1 is not None and fc1[:64, :32].abs().sum() > 0
    assert fc1[64:].abs().sum() == 0 and fc1[:, 32:].abs().sum() == 0
    assert model.decoder_layers[1].ffn.fc1.weight.grad is None  # the second decoder layer is inactive


def test_cpu_bf16_autocast_forward_runs_and_stays_close(tiny: SearchSpace, supernet: Any, batch: Any) -> None:
    model = supernet(tiny, sharp=False)
    src, tgt = batch(1000, 2, 6, seed=9, pads=(0,)), batch(1000, 2, 5, seed=10, start=EOS_ID)
    reference = model(src, padding_mask(src, 0), tgt)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        logits = model(src, padding_mask(src, 0), tgt)
    assert logits.dtype == torch.bfloat16 and torch.isfinite(logits).all()
    assert (logits.float() - reference).abs().max() < 0.1 * reference.abs().max()


def test_largest_hat_subnet_counts_every_super_weight_once() -> None:
    with torch.device("meta"):  # shapes only: no memory, no init time
        model = SuperTransformer.from_space("hat-wmt14ende")
    assert model.num_params() == sum(p.numel() for p in model.parameters())  # the tied table once
    # 32768x640 table + 6 encoder layers of 5.24M + 6 decoder layers of 6.56M (qkv 512, FFN 3072)
    assert model.num_params() == 91_872_512


def test_autocast_keeps_the_residual_stream_in_bf16_and_pure_bf16_runs(tiny: SearchSpace, supernet: Any) -> None:
    model = supernet(tiny, sharp=False)
    src = torch.randint(4, 1000, (2, 6))
    src[0, 4:] = 0
    reference = model(src, padding_mask(src, 0), src)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        states = model.encode(src, padding_mask(src, 0)).states
    assert all(s.dtype == torch.bfloat16 for s in states)  # half the memory traffic of autocast's fp32 stream
    logits = model.to(torch.bfloat16)(src, padding_mask(src, 0), src)  # bf16 weights, no autocast
    assert logits.dtype == torch.bfloat16
    assert (logits.float() - reference).abs().max() < 0.05 * reference.abs().max()
