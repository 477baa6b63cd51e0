"""The network a run trains: how a from-scratch model is initialised, and the model options it is built with."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from hwnas.models import SuperTransformer, TransformerModel
from hwnas.spaces import get_space
from hwnas.train.config import ModelConfig, parse_config, parse_stored_config
from hwnas.train.modeling import build_model
from hwnas.train.session import resume_config


def test_from_scratch_models_start_as_slices_of_a_fresh_supernet_as_hat_retrains() -> None:
    """HAT retrains a SubTransformer inside a freshly built SuperTransformer (train.py --train-subtransformer), so
    its initial weights are the leading slices of super-shaped inits: xavier-uniform on the super shape, token
    table std = super width ** -0.5. hwnas's from-scratch model must start from exactly those values."""
    space = get_space("tiny")
    arch = space.smallest()  # widths 32 / FFN 64 in a 64 / 128 supernet
    scratch = build_model(space=space, vocab_size=1000, model=ModelConfig(), arch=arch, seed=4)
    fresh = build_model(space=space, vocab_size=1000, model=ModelConfig(), arch=None, seed=4)
    assert isinstance(scratch.module, TransformerModel) and isinstance(fresh.module, SuperTransformer)
    supernet = fresh.module.state_dict()
    for name, value in scratch.module.state_dict().items():
        leading = supernet[name][tuple(slice(0, n) for n in value.shape)]
        assert torch.equal(value, leading), name
    fc1 = scratch.module.encoder_layers[0].ffn.fc1.weight.detach()  # [64, 32] of the super [128, 64]
    assert fc1.shape == (64, 32)
    super_std, own_std = math.sqrt(2 / (64 + 128)), math.sqrt(2 / (32 + 64))  # xavier-uniform std
    assert float(fc1.std()) == pytest.approx(super_std, rel=0.06) and abs(float(fc1.std()) - own_std) > 0.2 * own_std
    table = scratch.module.embed_tokens.weight.detach()[1:]  # row 0 is the zero padding row
    assert table.shape[1] == 32 and float(table.std()) == pytest.approx(64**-0.5, rel=0.03)


@pytest.mark.parametrize("setting", ["last", "all"])
def test_models_are_built_with_the_configured_encoder_final_norm(setting: str) -> None:
    space = get_space("tiny")
    model = ModelConfig(norm="pre", encoder_final_norm=setting)  # type: ignore[arg-type]
    for arch in (None, space.largest()):
        built = build_model(space=space, vocab_size=100, model=model, arch=arch, seed=1)
        assert built.module.config.encoder_final_norm == setting  # type: ignore[union-attr]


def test_stored_run_configs_without_encoder_final_norm_get_what_they_were_trained_with() -> None:
    assert ModelConfig().encoder_final_norm == "last"  # new runs: HAT
    stored = {"model": {"norm": "pre", "dropout": 0.1}, "run": {"max_steps": 3}}
    assert parse_stored_config(stored, source="ckpt").model.encoder_final_norm == "all"
    stored["model"]["norm"] = "post"
    assert parse_stored_config(stored, source="ckpt").model.encoder_final_norm == "last"  # no final norm: moot
    stored["model"] |= {"norm": "pre", "encoder_final_norm": "last"}
    assert parse_stored_config(stored, source="ckpt").model.encoder_final_norm == "last"  # recorded: kept


def _hat_std(name: str, weight: torch.Tensor) -> float:
    """Xavier-uniform std of a linear weight of this shape, as HAT draws it: the encoder-decoder attention's q and
    k|v of equal widths come from one fused [3*qkv, E] matrix (tests/models/test_weight_init.py)."""
    fan_out, fan_in = weight.shape
    if "cross_attn.q_proj" in name or "cross_attn.kv_proj" in name:
        fan_out = 3 * fan_out if "q_proj" in name else 3 * fan_out // 2
    return math.sqrt(2 / (fan_in + fan_out))


def test_own_widths_initialises_a_from_scratch_model_for_its_own_shapes() -> None:
    """``scratch_init: own-widths``: HAT's xavier-uniform over the model's own weight shapes, token table std = its
    own width ** -0.5, layer norms at 1 / 0 and zero biases; only the initial weights differ from
    ``supernet-slice``."""
    space = get_space("tiny")
    arch = space.smallest()  # widths 32 / FFN 64 in a 64 / 128 supernet
    own = build_model(space=space, vocab_size=1000, model=ModelConfig(scratch_init="own-widths"), arch=arch, seed=4)
    sliced = build_model(space=space, vocab_size=1000, model=ModelConfig(), arch=arch, seed=4)
    assert isinstance(own.module, TransformerModel) and own.kind == "standalone"
    assert own.module.config == sliced.module.config  # same widths, base widths, dropout, norms
    fc1 = own.module.encoder_layers[0].ffn.fc1.weight.detach()  # [64, 32]: xavier std 0.144; super [128, 64]: 0.102
    super_std, own_std = math.sqrt(2 / (64 + 128)), math.sqrt(2 / (32 + 64))
    assert float(fc1.std()) == pytest.approx(own_std, rel=0.06) and abs(float(fc1.std()) - super_std) > 0.2 * super_std
    assert float(fc1.abs().max()) > math.sqrt(3) * super_std  # outside the super shape's xavier range
    for name, module in own.module.named_modules():
        if isinstance(module, nn.Linear):
            weight, std = module.weight.detach(), _hat_std(name, module.weight)
            assert float(weight.std()) == pytest.approx(std, rel=0.08), name
            assert float(weight.abs().max()) <= math.sqrt(3) * std + 1e-6, name
            assert not module.bias.any(), name
        elif isinstance(module, nn.LayerNorm):
            assert bool((module.weight == 1).all()) and not module.bias.any(), name
    table = own.module.embed_tokens.weight.detach()
    assert not table[0].any() and table.shape[1] == 32  # the padding row
    assert float(table[1:].std()) == pytest.approx(32**-0.5, rel=0.03)  # super width: 64 ** -0.5, 29% less
    again = build_model(space=space, vocab_size=1000, model=ModelConfig(scratch_init="own-widths"), arch=arch, seed=4)
    assert all(torch.equal(a, b) for a, b in zip(own.module.parameters(), again.module.parameters(), strict=True))


@pytest.mark.parametrize("scaling", ["hat", "none"])
def test_runs_build_their_models_with_the_configured_dropout_scaling(scaling: str) -> None:
    space = get_space("tiny")
    model = ModelConfig(dropout=0.3, dropout_scaling=scaling)  # type: ignore[arg-type]
    for init in ("supernet-slice", "own-widths"):
        config = model.model_copy(update={"scratch_init": init})
        for arch in (None, space.smallest()):
            built = build_model(space=space, vocab_size=100, model=config, arch=arch, seed=1)
            built.activate(space.smallest())
            layer = built.module.encoder_layers[0]  # type: ignore[index]
            assert built.module.config.dropout_scaling == scaling  # type: ignore[union-attr]
            assert layer.dropout == pytest.approx(0.15 if scaling == "hat" else 0.3), (init, arch)


def test_stored_run_configs_without_dropout_scaling_keep_the_rule_they_trained_with() -> None:
    """Before the option a supernet scaled every site but attention ('all') and a from-scratch model scaled
    nothing ('none'); a resumed run that leaves the key unset continues so, one that sets it is refused later."""
    arch = get_space("tiny").smallest().to_dict()
    supernet = {"space": "tiny", "model": {"norm": "pre", "dropout": 0.1}, "run": {"max_steps": 3}}
    scratch = {**supernet, "arch": arch}
    assert parse_stored_config(supernet, source="ckpt").model.dropout_scaling == "all"
    assert parse_stored_config(scratch, source="ckpt").model.dropout_scaling == "none"
    recorded = {**scratch, "model": {**scratch["model"], "dropout_scaling": "hat"}}
    assert parse_stored_config(recorded, source="ckpt").model.dropout_scaling == "hat"
    given = parse_config({"space": "tiny", "arch": arch, "run": {"max_steps": 5}})
    resumed = resume_config(given, scratch, source="ckpt")
    assert resumed.model.dropout_scaling == "none" and resumed.model.encoder_final_norm == "all"  # both kept
