from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import pytest

from hwnas.core.arch import Arch
from hwnas.core.errors import InvalidArchError
from hwnas.core.space import SearchSpace
from hwnas.encodings import from_ncode, ncode_legend, ncode_length, to_ncode
from hwnas.spaces import builtin_names, get_space

Sampler = Callable[..., list[Arch]]

# A space with a 12-option per-layer gene (two-digit fields) and a 0-or-more layer count.
WIDE_SPACE = SearchSpace.from_dict(
    {
        "name": "wide-test",
        "family": "generic",
        "genes": {
            "depth": {"choices": [0, 1, 2, 3]},
            "width": {"choices": list(range(16, 16 * 13, 16)), "per_layer": "depth"},
            "act": {"choices": ["relu", "gelu"], "per_layer": "depth"},
        },
    }
)


@pytest.mark.parametrize("space_name", [*builtin_names(), WIDE_SPACE])
def test_round_trip_with_fixed_length(space_name: str | SearchSpace, sample_archs: Sampler) -> None:
    space = space_name if isinstance(space_name, SearchSpace) else get_space(space_name)
    codes = {}
    for arch in sample_archs(space):
        code = to_ncode(arch, space)
        assert len(code) == ncode_length(space) and code.isdigit()
        assert from_ncode(code, space) == arch
        codes[arch.arch_id] = code
    assert len(set(codes.values())) == len(codes)


def test_known_codes() -> None:
    nb201 = get_space("nb201")
    ops = ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3", "none"]
    assert to_ncode(nb201.make(dict(zip(nb201.gene_names, ops, strict=True))), nb201) == "012340"
    hat = get_space("hat-wmt14ende")
    arch = hat.make(
        {
            "encoder_embed_dim": 512,
            "encoder_layer_num": 6,
            "encoder_ffn_embed_dim": [3072, 2048, 1024, 1024, 2048, 3072],
            "encoder_self_attention_heads": [8, 4, 8, 4, 8, 4],
            "decoder_embed_dim": 640,
            "decoder_layer_num": 2,
            "decoder_ffn_embed_dim": [1024, 2048],
            "decoder_self_attention_heads": [4, 8],
            "decoder_ende_attention_heads": [8, 4],
            "decoder_arbitrary_ende_attn": [2, -1],
        }
    )
    expected = "".join(["1", "0", "012210", "010101", "0", "1", "210000", "100000", "010000", "200000"])
    assert to_ncode(arch, hat) == expected
    assert from_ncode(f"  {expected}\n", hat) == arch


def test_two_digit_fields_and_filler() -> None:
    arch = WIDE_SPACE.make({"depth": 2, "width": [16, 192], "act": ["gelu", "relu"]})
    # depth index 2; width fields 00, 11, filler 00; act digits 1, 0, filler 0
    assert to_ncode(arch, WIDE_SPACE) == "".join(["2", "001100", "100"])
    assert from_ncode("".join(["2", "001199", "107"]), WIDE_SPACE) == arch  # filler fields are ignored
    empty = WIDE_SPACE.make({"depth": 0, "width": [], "act": []})
    assert to_ncode(empty, WIDE_SPACE) == "0000000000"


def test_errors_name_position_character_and_options() -> None:
    hat = get_space("hat-wmt14ende")
    good = to_ncode(hat.largest(), hat)
    with pytest.raises(InvalidArchError, match=r"NCode position 3 \(encoder_ffn_embed_dim\[0\]\).*'7'.*0=3072"):
        from_ncode(good[:2] + "7" + good[3:], hat)
    with pytest.raises(InvalidArchError, match=r"NCode position 5'.*'x'.*digits 0-9"):
        from_ncode(good[:4] + "x" + good[5:], hat)
    with pytest.raises(InvalidArchError, match=r"length.*39.*exactly 40 digits"):
        from_ncode(good[:-1], hat)
    with pytest.raises(InvalidArchError, match=r"NCode position 4-5 \(width\[1\]\).*'12'.*11=192"):
        from_ncode("".join(["2", "001200", "000"]), WIDE_SPACE)


def _legend_spans(legend: str) -> list[tuple[int, int]]:
    spans = []
    for line in legend.splitlines()[1:]:
        match = re.match(r"(\d+)(?:-(\d+))?: ", line)
        assert match, line
        spans.append((int(match[1]), int(match[2] or match[1])))
    return spans


@pytest.mark.parametrize("space_name", [*builtin_names(), WIDE_SPACE])
def test_legend_tiles_every_position_once(space_name: str | SearchSpace) -> None:
    space = space_name if isinstance(space_name, SearchSpace) else get_space(space_name)
    legend = ncode_legend(space)
    spans = _legend_spans(legend)
    assert len(spans) == len(space.genes)
    covered = np.concatenate([np.arange(a, b + 1) for a, b in spans])
    np.testing.assert_array_equal(covered, np.arange(1, ncode_length(space) + 1))
    for gene in space.genes:
        assert gene.name in legend


def test_legend_mentions_options_and_multi_digit_fields() -> None:
    legend = ncode_legend(WIDE_SPACE)
    assert "2-7: width, layers 1-3 (only the first depth count, write 0 for the rest), 2 digits each" in legend
    assert "{00=16, 01=32" in legend
    assert "1: depth {0=0, 1=1, 2=2, 3=3}" in legend
