from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn

from hwnas.core.errors import DataError
from hwnas.core.space import SearchSpace
from hwnas.models import EOS_ID, SuperTransformer, TransformerConfig, TransformerModel, extract, padding_mask
from hwnas.models.elastic import ElasticAttention, ElasticEmbedding, ElasticLayerNorm, ElasticLinear
from hwnas.spaces.registry import get_space

TOL = 1e-5


@pytest.mark.parametrize(("pre", "scope"), [(False, "last"), (True, "last"), (True, "all")])
def test_extracted_tiny_subnets_equal_the_supernet(
    tiny: SearchSpace, pre: bool, scope: str, supernet: Any, batch: Any, some_archs: Any
) -> None:
    model = supernet(tiny, normalize_before=pre, encoder_final_norm=scope)
    src, tgt = batch(1000, 3, 7, seed=1, pads=(0, 2)), batch(1000, 3, 6, seed=2, start=EOS_ID)
    mask = padding_mask(src, 0)
    for arch in some_archs(tiny, 6, seed=int(pre)):
        sub = extract(model, arch)
        assert sub.config.encoder_final_norm == scope
        model.set_active_arch(arch)
        expected = model(src, mask, tgt)
        assert (sub(src, mask, tgt) - expected).abs().max() <= TOL
        assert sub.num_params() == model.num_params()


def test_extracted_model_is_plain_and_independent(tiny: SearchSpace, supernet: Any) -> None:
    model = supernet(tiny)
    sub = extract(model, tiny.smallest())
    elastic = (ElasticLinear, ElasticEmbedding, ElasticLayerNorm, ElasticAttention)
    assert not any(isinstance(m, elastic) for m in sub.modules())
    assert isinstance(sub.embed_tokens, nn.Embedding) and sub.embed_tokens.weight.shape == (1000, 32)
    supernet_ptrs = {p.data_ptr() for p in model.parameters()}
    assert not any(p.data_ptr() in supernet_ptrs for p in sub.parameters())
    assert model.active_dims == model.config.largest_dims()  # extract() left the supernet as it was


@pytest.fixture(scope="module")
def hat_supernet() -> SuperTransformer:
    torch.manual_seed(0)
    return SuperTransformer.from_space("hat-wmt14ende", vocab_size=300).eval()


def test_extracted_hat_wmt14ende_subnets_equal_the_supernet(hat_supernet: SuperTransformer, batch: Any) -> None:
    space = get_space("hat-wmt14ende")
    src, tgt = batch(300, 2, 9, seed=3, pads=(1,)), batch(300, 2, 7, seed=4, start=EOS_ID)
    mask = padding_mask(src, 0)
    rng = np.random.default_rng(0)
    for arch in [space.smallest(), space.largest(), space.sample(rng)]:
        sub = extract(hat_supernet, arch)
        hat_supernet.set_active_arch(arch)
        with torch.no_grad():
            assert (sub(src, mask, tgt) - hat_supernet(src, mask, tgt)).abs().max() <= TOL
        assert sub.num_params() == hat_supernet.num_params()


def test_different_encoder_and_decoder_widths(tiny: SearchSpace, supernet: Any, batch: Any) -> None:
    model = supernet(tiny)
    arch = tiny.make({**tiny.largest().genes, "encoder_embed_dim": 32, "decoder_embed_dim": 64})
    sub = extract(model, arch)
    assert sub.decoder_layers[0].cross_attn.kv_proj.in_features == 32  # type: ignore[union-attr]
    model.set_active_arch(arch)
    src, tgt = batch(1000, 2, 5, seed=5), batch(1000, 2, 4, seed=6, start=EOS_ID)
    assert (sub(src, None, tgt) - model(src, None, tgt)).abs().max() <= TOL


def test_save_and_load_round_trip(tiny: SearchSpace, supernet: Any, batch: Any, tmp_path: Path) -> None:
    model = supernet(tiny, normalize_before=True)
    arch = tiny.sample(np.random.default_rng(3))
    sub = extract(model, arch)
    path = tmp_path / "model.pt"
    sub.save(path)
    payload = torch.load(path, weights_only=True)  # plain content: no pickled classes
    assert set(payload) == {"format", "config", "state_dict"}
    loaded = TransformerModel.load(path).eval()
    assert loaded.config == sub.config
    src, tgt = batch(1000, 2, 6, seed=7, pads=(0,)), batch(1000, 2, 5, seed=8, start=EOS_ID)
    mask = padding_mask(src, 0)
    assert torch.equal(loaded(src, mask, tgt), sub(src, mask, tgt))


def test_load_rejects_other_files(tmp_path: Path) -> None:
    other = tmp_path / "other.pt"
    torch.save({"weights": torch.zeros(2)}, other)
    with pytest.raises(DataError, match="not a saved hwnas TransformerModel"):
        TransformerModel.load(other)
    with pytest.raises(DataError, match="cannot load"):
        TransformerModel.load(tmp_path / "missing.pt")


def test_fresh_model_from_an_arch_has_the_extracted_shape(tiny: SearchSpace, supernet: Any) -> None:
    arch = tiny.sample(np.random.default_rng(4))
    fresh = TransformerModel(TransformerConfig.from_arch(arch))
    extracted = extract(supernet(tiny), arch)
    shapes = {k: v.shape for k, v in extracted.state_dict().items()}
    assert {k: v.shape for k, v in fresh.state_dict().items()} == shapes
