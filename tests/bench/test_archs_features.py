"""Archs as arrays (Arch objects and HW-GPT-Bench dicts alike, bad archs named), the exact-row look-up, and the
per-layer features (FLOP components checked against the gpt family's counts). No data needed."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from hwnas.bench.archs import Grid, RowIndex, encode
from hwnas.bench.features import BLOCKS, feature_names, features, flop_components, penalised_columns
from hwnas.core.arch import Arch
from hwnas.core.errors import ConfigError
from hwnas.families.gpt import counts
from hwnas.spaces import get_space

SPACE = get_space("gpt-s")
GRID = Grid.of(SPACE)


def _archs(n: int, seed: int = 0, space: str = "gpt-s") -> list[Arch]:
    rng = np.random.default_rng(seed)
    return [get_space(space).sample(rng) for _ in range(n)]


def _hwgpt_dict(arch: Arch) -> dict[str, Any]:
    """HW-GPT-Bench's own form: lists, and per-layer lists padded to the deepest choice (cut by the reader)."""
    genes = arch.to_dict()["genes"]
    pad = GRID.max_layers - len(genes["n_head"])
    return {**genes, "n_head": genes["n_head"] + [4] * pad, "mlp_ratio": genes["mlp_ratio"] + [2] * pad}


def test_arch_objects_and_hwgpt_dicts_encode_the_same() -> None:
    archs = _archs(50)
    a, b = encode(archs, SPACE, GRID), encode([_hwgpt_dict(x) for x in archs], SPACE, GRID)
    for field in ("embed", "n_layer", "heads", "ratios", "mask", "bias"):
        assert np.array_equal(getattr(a, field), getattr(b, field)), field
    first = archs[0]
    assert GRID.embed[a.embed[0]] == first["embed_dim"] and a.mask[0].sum() == first["n_layer"]
    assert [GRID.heads[h] for h in a.heads[0, : a.n_layer[0]]] == list(first["n_head"])  # type: ignore[arg-type]
    assert len(encode([], SPACE, GRID)) == 0


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"embed_dim": 100}, "query arch #1 is not valid in space 'gpt-s': space 'gpt-s': gene 'embed_dim' has value"),
        ({"n_head": [5] * 12}, "gene 'n_head[0]' has value 5; allowed: 4, 8, 12"),
        ({"bias": 1}, "gene 'bias' has value 1; allowed: True, False"),
        ({"n_layer": 12, "n_head": [4]}, "gene 'n_head' has value (4,); allowed: a list of 12 values"),
        ({"colour": "red"}, "gene 'colour'"),
    ],
)
def test_an_invalid_arch_is_one_error_naming_its_position_gene_and_choices(change: dict[str, Any], says: str) -> None:
    good = _archs(2)
    bad = {**good[1].to_dict()["genes"], **change}
    with pytest.raises(ConfigError, match=None) as caught:
        encode([good[0], bad], SPACE, GRID)
    assert says in str(caught.value) and "\n" not in str(caught.value)


def test_things_that_are_not_archs_and_archs_of_other_spaces_are_refused() -> None:
    with pytest.raises(ConfigError, match="query arch #0 is a str, not an Arch or a mapping"):
        encode(["embed_dim=192"], SPACE, GRID)  # type: ignore[list-item]
    with pytest.raises(ConfigError, match="query arch #0 is an arch of space 'gpt-m', not 'gpt-s'"):
        encode(_archs(1, space="gpt-m"), SPACE, GRID)


def test_row_index_finds_each_row_and_nothing_else() -> None:
    rows = _archs(200, seed=1)
    index = RowIndex(encode(rows, SPACE, GRID))
    others = [a for a in _archs(200, seed=2) if a not in set(rows)]
    found = index.find(encode([rows[17], *others[:20], rows[3], rows[199]], SPACE, GRID))
    assert found.tolist() == [17] + [-1] * 20 + [3, 199]


@pytest.mark.parametrize("scale", ["gpt-s", "gpt-m", "gpt-l"])
def test_flop_components_add_up_to_the_gpt_familys_count(scale: str) -> None:
    space = get_space(scale)
    archs = _archs(20, seed=3, space=scale)
    parts = flop_components(encode(archs, space, Grid.of(space)), Grid.of(space))
    counted = sum(v for k, v in parts.items() if k != "attention_scores")  # DeepSpeed counts no attention scores
    assert np.allclose(counted, [counts(a, space)["flops"] for a in archs], rtol=1e-12)
    assert np.all(parts["attention_scores"] > 0)


def test_counts_block_holds_a_group_intercept_and_per_block_counts() -> None:
    archs = _archs(30, seed=4)
    block = features(encode(archs, SPACE, GRID), GRID, ["counts"]).reshape(30, 6, 10)  # [n, groups, 1 + pairs]
    assert np.array_equal(block[:, :, 0].sum(axis=1), np.ones(30))  # one group per arch
    assert np.array_equal(block[:, :, 1:].sum(axis=(1, 2)), [a["n_layer"] for a in archs])  # every block counted
    first = archs[0]
    group = GRID.embed.index(first["embed_dim"]) * 2 + int(bool(first["bias"]))
    assert block[0, group, 0] == 1


def test_every_block_has_one_name_per_column() -> None:
    arrays = encode(_archs(5), SPACE, GRID)
    for block in BLOCKS:
        assert features(arrays, GRID, [block]).shape == (5, len(feature_names(GRID, [block])))
    mask = penalised_columns(GRID, ["counts", "layers"], ["layers"])
    assert mask.sum() == len(feature_names(GRID, ["layers"])) and not mask[: len(feature_names(GRID, ["counts"]))].any()


def test_hinges_are_zero_at_the_smallest_size_and_rise_with_the_size_within_a_width() -> None:
    smallest, largest = SPACE.smallest(), SPACE.largest()
    block = features(encode([smallest, largest], SPACE, GRID), GRID, ["hinges"]).reshape(2, 3, -1)  # [n, embeds, k]
    assert np.all(block[0] == 0)
    widest = GRID.embed.index(largest["embed_dim"])
    assert np.all(block[1, widest] > 0) and np.all(np.delete(block[1], widest, axis=0) == 0)
    assert np.all(np.diff(block[1, widest]) < 0)  # a higher knot, less above it
