from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from hwnas.core.arch import Arch
from hwnas.core.errors import InvalidArchError
from hwnas.encodings import (
    choice_counts,
    from_index_vector,
    from_one_hot,
    from_padded_vector,
    index_vector,
    one_hot,
    one_hot_column_names,
    padded_column_names,
    padded_vector,
)
from hwnas.spaces import builtin_names, get_space

Sampler = Callable[..., list[Arch]]


@pytest.mark.parametrize("space_name", builtin_names())
def test_padded_round_trip_and_shape(space_name: str, sample_archs: Sampler) -> None:
    space = get_space(space_name)
    names = padded_column_names(space)
    vectors = {}
    for arch in sample_archs(space):
        vec = padded_vector(arch, space)
        assert vec.shape == (len(names),)
        assert from_padded_vector(vec, space) == arch
        vectors[arch.arch_id] = tuple(vec)
    assert len(set(vectors.values())) == len(vectors)  # distinct archs, distinct vectors


@pytest.mark.parametrize("space_name", builtin_names())
def test_one_hot_round_trip_and_block_structure(space_name: str, sample_archs: Sampler) -> None:
    space = get_space(space_name)
    names = one_hot_column_names(space)
    for arch in sample_archs(space):
        vec = one_hot(arch, space)
        assert vec.shape == (len(names),)
        assert set(np.unique(vec)) <= {0.0, 1.0}
        unused = sum(space.max_layers(g) - len(arch[g.name]) for g in space.genes if g.per_layer)  # type: ignore[arg-type]
        assert vec.sum() == len(padded_column_names(space)) - unused  # one 1 per used position
        assert from_one_hot(vec, space) == arch


def _three_layer_decoder() -> Arch:
    return get_space("hat-wmt14ende").make(
        {
            "encoder_embed_dim": 640,
            "encoder_layer_num": 6,
            "encoder_ffn_embed_dim": [3072] * 6,
            "encoder_self_attention_heads": [8] * 6,
            "decoder_embed_dim": 512,
            "decoder_layer_num": 3,
            "decoder_ffn_embed_dim": [1024, 2048, 3072],
            "decoder_self_attention_heads": [4, 8, 4],
            "decoder_ende_attention_heads": [8, 8, 4],
            "decoder_arbitrary_ende_attn": [-1, 1, 2],
        }
    )


def test_padded_known_values_hat() -> None:
    space = get_space("hat-wmt14ende")
    vec = dict(zip(padded_column_names(space), padded_vector(_three_layer_decoder(), space), strict=True))
    assert len(vec) == 1 + 1 + 6 + 6 + 1 + 1 + 4 * 6
    assert vec["decoder_layer_num"] == 3
    assert [vec[f"decoder_ffn_embed_dim[{i}]"] for i in range(6)] == [1024, 2048, 3072, 0, 0, 0]
    assert [vec[f"decoder_arbitrary_ende_attn[{i}]"] for i in range(4)] == [-1, 1, 2, 0]


def test_padded_known_values_categorical() -> None:
    nb201 = get_space("nb201")
    arch = nb201.make(
        dict(
            zip(
                nb201.gene_names,
                ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3", "none"],
                strict=True,
            )
        )
    )
    np.testing.assert_array_equal(padded_vector(arch, nb201), [1, 2, 3, 4, 5, 1])
    gpt = get_space("gpt-s")
    with_bias = gpt.make({**gpt.smallest().genes, "bias": True})
    assert padded_vector(with_bias, gpt)[-1] == 1.0  # true is the first option -> 1
    assert padded_vector(with_bias.replace(bias=False), gpt)[-1] == 2.0


def test_one_hot_known_values_and_unused_layers_zero() -> None:
    space = get_space("hat-wmt14ende")
    vec = dict(zip(one_hot_column_names(space), one_hot(_three_layer_decoder(), space), strict=True))
    assert vec["decoder_layer_num=3"] == 1 and vec["decoder_layer_num=6"] == 0
    assert vec["decoder_ffn_embed_dim[0]=1024"] == 1 and vec["decoder_ffn_embed_dim[0]=3072"] == 0
    assert all(vec[f"decoder_ffn_embed_dim[4]={v}"] == 0 for v in (3072, 2048, 1024))


def test_decoding_ignores_unused_layers() -> None:
    space = get_space("hat-wmt14ende")
    arch = _three_layer_decoder()
    names = padded_column_names(space)
    vec = padded_vector(arch, space)
    vec[names.index("decoder_ffn_embed_dim[5]")] = 12345.0
    assert from_padded_vector(vec, space) == arch
    hot = one_hot(arch, space)
    hot[one_hot_column_names(space).index("decoder_self_attention_heads[4]=8")] = 1.0
    assert from_one_hot(hot, space) == arch


def test_bad_vectors_name_the_position() -> None:
    space = get_space("hat-wmt14ende")
    arch = _three_layer_decoder()
    vec = padded_vector(arch, space)
    vec[padded_column_names(space).index("decoder_ffn_embed_dim[1]")] = 1000.0
    with pytest.raises(InvalidArchError, match=r"decoder_ffn_embed_dim\[1\].*1000.*3072, 2048, 1024"):
        from_padded_vector(vec, space)
    with pytest.raises(InvalidArchError, match="length"):
        from_padded_vector(vec[:-1], space)
    hot = one_hot(arch, space)
    hot[one_hot_column_names(space).index("decoder_ende_attention_heads[2]=4")] = 0.0
    with pytest.raises(InvalidArchError, match=r"decoder_ende_attention_heads\[2\]"):
        from_one_hot(hot, space)


@pytest.mark.parametrize("space_name", builtin_names())
def test_index_vector_round_trip_within_bounds(space_name: str, sample_archs: Sampler) -> None:
    """The integer genome of the genetic searchers: one option index per position, inside 0..count-1."""
    space = get_space(space_name)
    counts = choice_counts(space)
    assert counts.shape == (len(padded_column_names(space)),) and np.all(counts >= 1)
    for arch in sample_archs(space):
        genome = index_vector(arch, space)
        assert genome.dtype == np.int64 and np.all((genome >= 0) & (genome < counts))
        assert from_index_vector(genome, space) == arch
        assert from_index_vector(genome.astype(float), space) == arch  # pymoo hands back floats
    with pytest.raises(InvalidArchError, match="integers"):
        from_index_vector(np.full(len(counts), 0.5), space)
