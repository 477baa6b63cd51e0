"""``encoder_final_norm``: under pre-norm HAT applies the final encoder LayerNorm to the encoder output only; the
earlier encoder layers a decoder layer attends to are raw. hwnas used to normalise every kept layer ("all"); models
saved before the option existed keep computing exactly that."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import torch

from hwnas.core.errors import ConfigError
from hwnas.core.space import SearchSpace
from hwnas.models import EOS_ID, SuperTransformerConfig, TransformerConfig, TransformerModel, extract, padding_mask


def _inputs(batch: Any) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor]:
    src = batch(1000, 3, 8, seed=21, pads=(1,))
    return src, padding_mask(src, 0), batch(1000, 3, 6, seed=22, start=EOS_ID)


def _with_ende(space: SearchSpace, ende: int) -> Any:
    largest = space.largest()
    return space.make({**largest.genes, "decoder_arbitrary_ende_attn": (ende,) * largest.genes["decoder_layer_num"]})


def test_hat_is_the_default_and_other_values_are_refused(tiny: SearchSpace) -> None:
    assert SuperTransformerConfig.from_space(tiny).encoder_final_norm == "last"
    assert TransformerConfig.from_arch(tiny.largest()).encoder_final_norm == "last"
    with pytest.raises(ConfigError, match=r"encoder_final_norm = 'every'; allowed: last, all"):
        SuperTransformerConfig.from_space(tiny, encoder_final_norm="every")


def test_the_setting_changes_pre_norm_outputs_only_where_earlier_layers_are_read(
    tiny: SearchSpace, supernet: Any, batch: Any
) -> None:
    hat, old = supernet(tiny, normalize_before=True), supernet(tiny, normalize_before=True, encoder_final_norm="all")
    src, mask, tgt = _inputs(batch)
    for ende, differs in [(1, True), (-1, False)]:  # gene 1 = the last two encoder layers, -1 = the last one
        arch = _with_ende(tiny, ende)
        hat.set_active_arch(arch)
        old.set_active_arch(arch)
        gap = (hat(src, mask, tgt) - old(src, mask, tgt)).abs().max()
        assert (gap > 1e-3) if differs else (gap == 0.0), (ende, gap)


def test_post_norm_has_no_final_norm_so_the_setting_is_moot(tiny: SearchSpace, supernet: Any, batch: Any) -> None:
    hat, old = supernet(tiny), supernet(tiny, encoder_final_norm="all")
    src, mask, tgt = _inputs(batch)
    hat.set_active_arch(_with_ende(tiny, 1))
    old.set_active_arch(_with_ende(tiny, 1))
    assert torch.equal(hat(src, mask, tgt), old(src, mask, tgt))


@pytest.mark.parametrize("pre", [True, False])
def test_configs_saved_before_the_option_load_as_they_were_trained(tiny: SearchSpace, pre: bool) -> None:
    trained_with = "all" if pre else "last"
    config = SuperTransformerConfig.from_space(tiny, normalize_before=pre, encoder_final_norm=trained_with)
    legacy = json.loads(config.to_json())
    del legacy["encoder_final_norm"]
    assert SuperTransformerConfig.from_json(json.dumps(legacy)) == config
    standalone = TransformerConfig.from_arch(tiny.largest(), normalize_before=pre, encoder_final_norm=trained_with)
    legacy = json.loads(standalone.to_json())
    del legacy["encoder_final_norm"]
    assert TransformerConfig.from_json(json.dumps(legacy)) == standalone
    for setting in ("last", "all"):  # a recorded setting is kept as recorded
        recorded = SuperTransformerConfig.from_space(tiny, normalize_before=pre, encoder_final_norm=setting)
        assert SuperTransformerConfig.from_json(recorded.to_json()).encoder_final_norm == setting


def test_a_model_file_saved_before_the_option_computes_what_it_computed(
    tiny: SearchSpace, supernet: Any, batch: Any, tmp_path: Path
) -> None:
    old = extract(supernet(tiny, normalize_before=True, encoder_final_norm="all"), _with_ende(tiny, 1))
    old.save(tmp_path / "model.pt")
    payload = torch.load(tmp_path / "model.pt", weights_only=True)
    config = json.loads(payload["config"])
    del config["encoder_final_norm"]  # as written by hwnas before the option existed
    torch.save({**payload, "config": json.dumps(config)}, tmp_path / "legacy.pt")
    loaded = TransformerModel.load(tmp_path / "legacy.pt").eval()
    src, mask, tgt = _inputs(batch)
    assert loaded.config.encoder_final_norm == "all"
    assert torch.equal(loaded(src, mask, tgt), old(src, mask, tgt))
