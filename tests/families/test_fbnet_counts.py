"""FBNet analytic counts: equal to the params and FLOPs NASFLAT lists for HELP's FBNet archs (zc_fbnet.json)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hwnas.contracts.family import family_of
from hwnas.core.arch import Arch
from hwnas.core.errors import InvalidArchError
from hwnas.families.fbnet import block_shape, counts, layer_shapes
from hwnas.spaces import get_space

# HELP's first FBNet arch and NASFLAT's first key, with the file's flops and params (op index -> block choice).
PINNED = {
    (7, 8, 1, 8, 4, 8, 8, 8, 7, 4, 1, 4, 7, 3, 2, 7, 3, 2, 4, 2, 4, 5): (70_098_816, 1_790_500),
    (2, 8, 6, 3, 8, 4, 8, 4, 1, 8, 7, 8, 0, 6, 2, 5, 2, 6, 0, 2, 7, 7): (72_783_744, 2_447_972),
}


def _arch(indices: tuple[int, ...]) -> Arch:
    space = get_space("fbnet")
    choices = space.gene("block").choices
    return space.make({"num_layers": len(indices), "block": [choices[i] for i in indices]})


@pytest.mark.parametrize("indices", list(PINNED), ids=["help_0", "nasflat_0"])
def test_pinned_archs_match_the_file(indices: tuple[int, ...]) -> None:
    flops, params = PINNED[indices]
    got = counts(_arch(indices), get_space("fbnet"))
    assert (got["flops"], got["params"]) == (flops, params)
    assert got["params_no_embed"] == params and got["macs"] < flops


def test_200_help_archs_match_nasflat_exactly(data_dir: Path) -> None:
    from hwnas.data.tables import load_nasflat_zcp
    from hwnas.fewshot.tables import help_archs

    space = get_space("fbnet")
    choices = space.gene("block").choices
    table = load_nasflat_zcp()
    archs = help_archs("fbnet")[::25]
    assert len(archs) == 200
    for arch in archs:
        expected = table[tuple(choices.index(op) for op in arch["block"])]
        got = counts(arch, space)
        assert (got["flops"], got["params"]) == (expected["flops"], expected["params"])


def test_network_shape_and_block_names() -> None:
    assert len(layer_shapes()) == 22
    assert layer_shapes()[-1] == (352, 1)
    assert block_shape("k5_e1_g2") == (5, 1, 2)
    assert block_shape("k3_e6") == (3, 6, 1)
    assert block_shape("skip") is None
    with pytest.raises(InvalidArchError):
        block_shape("k3_x1")


def test_counts_are_the_family_capability() -> None:
    assert family_of(get_space("fbnet")).counts is counts
