"""Dropout of a sub-network: HAT's width scaling, the same in the supernet and in every standalone copy of it."""

from __future__ import annotations

import json
from typing import Any

import pytest
import torch

from hwnas.core.space import SearchSpace
from hwnas.models import EOS_ID, SuperTransformer, SuperTransformerConfig, TransformerConfig
from hwnas.models import TransformerModel as Model
from hwnas.models.dropout import DropoutScaling
from hwnas.models.layers import DecoderLayer, EncoderLayer
from hwnas.models.subnet import subnet_dims

RATES = {"dropout": 0.3, "activation_dropout": 0.2, "attention_dropout": 0.1}
# tiny: encoder 32 of 64 wide (ratio 0.5), decoder at its full 64 (ratio 1)
EXPECTED: dict[str, dict[str, float]] = {
    "hat": {"enc_embed": 0.15, "enc_residual": 0.15, "enc_self_attn": 0.3, "enc_act": 0.1, "dec": 0.3, "dec_act": 0.2},
    "all": {"enc_embed": 0.15, "enc_residual": 0.15, "enc_self_attn": 0.15, "enc_act": 0.1, "dec": 0.3, "dec_act": 0.2},
    "none": {"enc_embed": 0.3, "enc_residual": 0.3, "enc_self_attn": 0.3, "enc_act": 0.2, "dec": 0.3, "dec_act": 0.2},
}


def _arch(tiny: SearchSpace) -> Any:
    return tiny.make({**tiny.smallest().genes, "decoder_embed_dim": 64})


def _rates(model: Any) -> dict[str, float]:
    """Every dropout rate the forward pass reads, by site (first layer of each side)."""
    enc, dec = model.encoder_layers[0], model.decoder_layers[0]
    assert isinstance(enc, EncoderLayer) and isinstance(dec, DecoderLayer)
    attention = {enc.self_attn.dropout, dec.self_attn.dropout, dec.cross_attn.dropout}
    assert attention == {RATES["attention_dropout"]}  # attention probabilities: never scaled (HAT)
    return {
        "enc_embed": model._encoder_view().dropout,
        "enc_residual": enc.dropout,
        "enc_self_attn": enc.self_attn_residual_dropout,
        "enc_act": enc.ffn.activation_dropout,
        "dec": model._decoder_view().dropout,
        "dec_act": dec.ffn.activation_dropout,
        "dec_residual": dec.dropout,
    }


@pytest.mark.parametrize("scaling", ["hat", "all", "none"])
def test_every_copy_of_a_subnet_trains_with_the_scaled_rates(tiny: SearchSpace, scaling: DropoutScaling) -> None:
    """HAT (transformer_super.py, calc_dropout) scales the embedding, residual and activation dropout of a sampled
    SubTransformer by active / super width per side, except the encoder's self-attention residual (line 901) and
    the attention probabilities. The supernet with the subnet active, its extracted copy, that copy rebuilt from
    its saved config and a model built for the subnet from the supernet's config must all use the same rates."""
    torch.manual_seed(0)
    supernet = SuperTransformer.from_space(tiny, dropout_scaling=scaling, **RATES)
    supernet.set_active_arch(_arch(tiny))
    extracted = supernet.extract()
    rebuilt = Model(TransformerConfig.from_json(extracted.config.to_json()))
    fresh = Model(supernet.config.subnet_config(subnet_dims(_arch(tiny), tiny)))
    expected = {**EXPECTED[scaling], "dec_residual": EXPECTED[scaling]["dec"]}
    for model in (supernet, extracted, rebuilt, fresh):
        assert _rates(model) == pytest.approx(expected), type(model).__name__
    supernet.reset()  # the whole supernet: every rate as configured
    assert _rates(supernet) == pytest.approx({**EXPECTED["none"], "dec_residual": 0.3})


@pytest.mark.parametrize("scaling", ["hat", "none"])
def test_train_mode_forward_of_the_extracted_model_equals_the_supernets(
    tiny: SearchSpace, scaling: DropoutScaling, batch: Any
) -> None:
    """Same dropout masks drawn in the same order at the same rates: equal training-mode logits."""
    torch.manual_seed(0)
    supernet = SuperTransformer.from_space(tiny, dropout_scaling=scaling, **RATES).train()
    supernet.set_active_arch(_arch(tiny))
    extracted = supernet.extract().train()
    src, tgt = batch(1000, 2, 6, seed=1), batch(1000, 2, 5, seed=2, start=EOS_ID)
    outs = []
    for model in (supernet, extracted):
        torch.manual_seed(7)
        outs.append(model(src, None, tgt))
    torch.testing.assert_close(outs[0], outs[1])
    torch.manual_seed(7)
    assert not torch.allclose(supernet.eval()(src, None, tgt), outs[0])  # dropout was on


def test_the_encoder_self_attention_residual_has_its_own_rate(tiny: SearchSpace) -> None:
    """Only the self-attention residual drops here (FFN residual and activation at 0): training output differs."""
    torch.manual_seed(0)
    supernet = SuperTransformer.from_space(tiny, dropout=0.0, attention_dropout=0.0)
    layer = supernet.encoder_layers[0]
    layer.self_attn_residual_dropout = 0.5
    x = torch.randn(2, 5, 64)
    assert not torch.allclose(layer.train()(x, None), layer.eval()(x, None))
    layer.self_attn_residual_dropout = 0.0
    assert torch.equal(layer.train()(x, None), layer.eval()(x, None))


def test_configs_saved_before_the_option_load_with_the_rates_they_trained_with(tiny: SearchSpace) -> None:
    """A supernet config had ``scale_dropout`` (true: every site but attention scaled = 'all'; false: 'none'); a
    standalone config had no scaling at all ('none'). New configs default to HAT's rule and round-trip it."""
    config = SuperTransformerConfig.from_space(tiny)
    assert config.dropout_scaling == "hat" and SuperTransformerConfig.from_json(config.to_json()) == config
    old = json.loads(config.to_json())
    del old["dropout_scaling"]
    assert SuperTransformerConfig.from_json(json.dumps(old)).dropout_scaling == "all"  # the field's old default
    for flag, setting in ((True, "all"), (False, "none")):
        assert SuperTransformerConfig.from_json(json.dumps({**old, "scale_dropout": flag})).dropout_scaling == setting
    sub = config.subnet_config(subnet_dims(tiny.smallest(), tiny))
    assert sub.dropout_scaling == "hat" and TransformerConfig.from_json(sub.to_json()) == sub
    saved = json.loads(sub.to_json())
    del saved["dropout_scaling"]
    assert TransformerConfig.from_json(json.dumps(saved)).dropout_scaling == "none"
