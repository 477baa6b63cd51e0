"""The network a run trains: how a from-scratch model is initialised, and the model options it is built with."""

from __future__ import annotations

import math

import pytest
import torch

from hwnas.models import SuperTransformer, TransformerModel
from hwnas.spaces import get_space
from hwnas.train.config import ModelConfig, parse_stored_config
from hwnas.train.modeling import build_model


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
