from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from hwnas.core.arch import Arch
from hwnas.core.errors import DataError, InvalidArchError
from hwnas.encodings import from_arch_info, from_hat_yaml, hat_yaml_mapping, to_hat_yaml
from hwnas.spaces import builtin_names, get_space

Sampler = Callable[..., list[Arch]]
HAT_SPACES = [name for name in builtin_names() if get_space(name).family == "hat"]

# A SubTransformer written the way HAT's config files are: decoder lists carry 6 entries for 3 layers,
# comments and unrelated training keys sit alongside.
HAT_STYLE_YAML = """
encoder-embed-dim-subtransformer: 640
decoder-embed-dim-subtransformer: 512
encoder-ffn-embed-dim-all-subtransformer: [2048, 3072, 1024, 3072, 2048, 3072]
decoder-ffn-embed-dim-all-subtransformer: [1024, 3072, 2048, 3072, 3072, 3072]
encoder-layer-num-subtransformer: 6
decoder-layer-num-subtransformer: 3
encoder-self-attention-heads-all-subtransformer: [8, 4, 4, 8, 8, 4]
decoder-self-attention-heads-all-subtransformer: [4, 8, 8, 8, 8, 8]
decoder-ende-attention-heads-all-subtransformer: [8, 4, 8, 8, 8, 8]
# -1: last encoder layer, 1: last two, 2: last three
decoder-arbitrary-ende-attn-all-subtransformer: [1, -1, 2, 1, 1, 1]
max-tokens: 4096
"""


def test_hat_style_file_is_truncated_to_layer_count() -> None:
    arch = from_hat_yaml(HAT_STYLE_YAML, get_space("hat-wmt14ende"))
    assert arch["decoder_layer_num"] == 3
    assert arch["decoder_ffn_embed_dim"] == (1024, 3072, 2048)
    assert arch["decoder_arbitrary_ende_attn"] == (1, -1, 2)
    assert arch["encoder_self_attention_heads"] == (8, 4, 4, 8, 8, 4)
    exported = yaml.safe_load(to_hat_yaml(arch))
    assert exported["decoder-ende-attention-heads-all-subtransformer"] == [8, 4, 8]
    assert "max-tokens" not in exported


@pytest.mark.parametrize("space_name", HAT_SPACES)
def test_export_import_round_trip(space_name: str, sample_archs: Sampler) -> None:
    space = get_space(space_name)
    for arch in sample_archs(space, n=20):
        text = to_hat_yaml(arch)
        assert "decoder-arbitrary-ende-attn-all-subtransformer:" in text
        assert from_hat_yaml(text, space) == arch
        assert from_hat_yaml(hat_yaml_mapping(arch), space) == arch
        lines = [f"{key}: {value}" for key, value in hat_yaml_mapping(arch).items()]
        assert from_arch_info(lines, space) == arch


def _seed_arch_infos(data_dir: Path) -> dict[str, list[str]]:
    files = sorted((data_dir / "llmpp_seedarchs").glob("*/*/*.jsonl"))
    assert len(files) == 18
    infos: dict[str, list[str]] = {}
    for path in files:
        for line in path.read_text().splitlines():
            info = json.loads(line)["scratch"]["arch_info"]
            infos[json.dumps(info)] = info
    return infos


def test_llmpp_seed_archs_parse_and_round_trip(data_dir: Path) -> None:
    space = get_space("hat-wmt14ende")
    infos = _seed_arch_infos(data_dir)
    archs = [from_arch_info(info, space) for info in infos.values()]
    assert len(archs) == len({a.arch_id for a in archs}) == 30
    for info, arch in zip(infos.values(), archs, strict=True):
        space.validate(arch)
        assert from_hat_yaml(to_hat_yaml(arch), space) == arch
        # the export speaks the same language as the file: same keys, same values
        original = {k: yaml.safe_load(v) for k, _, v in (line.partition(":") for line in info)}
        assert hat_yaml_mapping(arch) == original


def test_first_seed_arch_known_values(data_dir: Path) -> None:
    path = data_dir / "llmpp_seedarchs" / "123" / "wmt14ende" / "train.jsonl"
    info = json.loads(path.read_text().splitlines()[0])["scratch"]["arch_info"]
    arch = from_arch_info(info, get_space("hat-wmt14ende"))
    assert arch["encoder_embed_dim"] == 512 and arch["decoder_layer_num"] == 1
    assert arch["encoder_ffn_embed_dim"] == (1024, 1024, 2048, 2048, 2048, 1024)
    assert arch["decoder_arbitrary_ende_attn"] == (2,)


def test_bad_inputs_are_reported() -> None:
    space = get_space("hat-wmt14ende")
    data = yaml.safe_load(HAT_STYLE_YAML)
    with pytest.raises(DataError, match="lacks key 'decoder-layer-num-subtransformer'"):
        from_hat_yaml({k: v for k, v in data.items() if k != "decoder-layer-num-subtransformer"}, space)
    with pytest.raises(DataError, match="unknown HAT SubTransformer key 'decoder-layers-num-subtransformer'"):
        from_hat_yaml({**data, "decoder-layers-num-subtransformer": 3}, space)
    with pytest.raises(InvalidArchError, match="decoder_ffn_embed_dim"):
        from_hat_yaml({**data, "decoder-ffn-embed-dim-all-subtransformer": [1024, 3072]}, space)
    with pytest.raises(InvalidArchError, match=r"encoder_self_attention_heads\[0\].*2"):
        from_hat_yaml({**data, "encoder-self-attention-heads-all-subtransformer": [2, 4, 4, 8, 8, 4]}, space)
    with pytest.raises(DataError, match="malformed"):
        from_hat_yaml("encoder-embed-dim-subtransformer: [640", space)
    with pytest.raises(DataError, match="must be a mapping"):
        from_hat_yaml("- 640", space)
    with pytest.raises(DataError, match="'key: value'"):
        from_arch_info(["encoder-embed-dim-subtransformer 640"], space)
    with pytest.raises(DataError, match="list of 'key: value' strings"):
        from_arch_info("encoder-embed-dim-subtransformer: 640", space)  # type: ignore[arg-type]
    with pytest.raises(InvalidArchError, match="encoder_embed_dim"):
        to_hat_yaml(get_space("gpt-s").smallest())
