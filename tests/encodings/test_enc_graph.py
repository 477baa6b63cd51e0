from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from hwnas.core.arch import Arch
from hwnas.core.errors import InvalidArchError, UnknownNameError
from hwnas.encodings import from_graph, to_graph
from hwnas.families.nb201 import from_string as nb201_from_string
from hwnas.families.nb201 import to_string as nb201_to_string
from hwnas.spaces import builtin_names, get_space

Sampler = Callable[..., list[Arch]]

NB201_OPS = ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"]
# node-as-op cell: 0 input; 1..6 = edge_1_0, edge_2_0, edge_2_1, edge_3_0, edge_3_1, edge_3_2; 7 output
NB201_ADJACENCY = np.array(
    [
        [0, 1, 1, 0, 1, 0, 0, 0],  # input feeds every op reading cell node 0
        [0, 0, 0, 1, 0, 1, 0, 0],  # edge_1_0 writes node 1, read by edge_2_1 and edge_3_1
        [0, 0, 0, 0, 0, 0, 1, 0],  # edge_2_0 writes node 2, read by edge_3_2
        [0, 0, 0, 0, 0, 0, 1, 0],  # edge_2_1 likewise
        [0, 0, 0, 0, 0, 0, 0, 1],  # edge_3_* write node 3 = the cell output
        [0, 0, 0, 0, 0, 0, 0, 1],
        [0, 0, 0, 0, 0, 0, 0, 1],
        [0, 0, 0, 0, 0, 0, 0, 0],
    ]
)


def _nb201_arch(ops: list[str]) -> Arch:
    space = get_space("nb201")
    return space.make(dict(zip(space.gene_names, ops, strict=True)))


def test_nb201_known_graph_and_string() -> None:
    arch = _nb201_arch(["nor_conv_3x3", "skip_connect", "none", "avg_pool_3x3", "nor_conv_1x1", "nor_conv_3x3"])
    adjacency, ops, names = to_graph(arch, get_space("nb201"))
    np.testing.assert_array_equal(adjacency, NB201_ADJACENCY)
    assert names == ("input", *NB201_OPS, "output")
    assert [names[i] for i in ops.argmax(axis=1)] == [
        "input", "nor_conv_3x3", "skip_connect", "none", "avg_pool_3x3", "nor_conv_1x1", "nor_conv_3x3", "output",
    ]  # fmt: skip
    expected = "|nor_conv_3x3~0|+|skip_connect~0|none~1|+|avg_pool_3x3~0|nor_conv_1x1~1|nor_conv_3x3~2|"
    assert nb201_to_string(arch) == expected
    assert nb201_from_string(expected) == arch


def test_every_nb201_arch_round_trips() -> None:
    space = get_space("nb201")
    strings = set()
    count = 0
    for arch in space.iter_all():
        text = nb201_to_string(arch)
        assert nb201_from_string(text, space) == arch
        assert from_graph(to_graph(arch, space)[1], space) == arch
        strings.add(text)
        count += 1
    assert count == len(strings) == 15_625


def test_help_nb201_strings_parse_and_round_trip(data_dir: Path, load_help_pickle: Callable[[Path], object]) -> None:
    table = load_help_pickle(data_dir / "help" / "nasbench201" / "str_arch2idx.pt")
    assert isinstance(table, dict) and len(table) == 15_625
    archs = {nb201_from_string(text).arch_id for text in table}
    assert len(archs) == 15_625
    assert all(nb201_to_string(nb201_from_string(text)) == text for text in table)


def test_fbnet_chain_graph(sample_archs: Sampler) -> None:
    space = get_space("fbnet")
    for arch in sample_archs(space, n=10):
        adjacency, ops, names = to_graph(arch, space)
        assert adjacency.shape == (24, 24) and adjacency.sum() == 23
        assert all(adjacency[i, i + 1] == 1 for i in range(23))
        assert ops.shape == (24, 11) and np.all(ops.sum(axis=1) == 1)
        assert [names[i] for i in ops.argmax(axis=1)[1:-1]] == list(arch["block"])  # type: ignore[arg-type]
        assert from_graph(ops, space) == arch


def test_help_fbnet_op_indices_match_graph_rows(data_dir: Path, load_help_pickle: Callable[[Path], object]) -> None:
    """HELP stores FBNet archs as 22 op indices in the space's block order; our op rows are those + 1 (input)."""
    table = load_help_pickle(data_dir / "help" / "fbnet" / "arch.pt")
    assert isinstance(table, list) and len(table) == 5000
    space = get_space("fbnet")
    blocks = space.gene("block").choices
    for indices in table[:200]:
        arch = space.make({"num_layers": 22, "block": [blocks[i] for i in indices]})
        np.testing.assert_array_equal(to_graph(arch, space)[1].argmax(axis=1)[1:-1], np.asarray(indices) + 1)


@pytest.mark.parametrize("space_name", [n for n in builtin_names() if get_space(n).family not in {"nb201", "fbnet"}])
def test_graph_refuses_other_families(space_name: str) -> None:
    space = get_space(space_name)
    with pytest.raises(UnknownNameError, match="graph encoding"):
        to_graph(space.smallest(), space)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("|none~0|+|none~0|none~1|", "3 '\\+'-separated nodes"),
        ("|none~0|+|none~0|none~1|+none~0|none~1|none~2|", "with bars"),
        ("|none~0|+|none~0|none~0|+|none~0|none~1|none~2|", "each once"),
        ("|none~0|+|none~0|none~2|+|none~0|none~1|none~2|", "j in 0..1"),
        ("|none~0|+|none~0|none|+|none~0|none~1|none~2|", "op~j"),
        ("|conv~0|+|none~0|none~1|+|none~0|none~1|none~2|", "edge_1_0.*'conv'"),
        ("|none~0|+|none~0|+|none~0|none~1|none~2|", "edge_2_1"),
    ],
)
def test_bad_nb201_strings(text: str, message: str) -> None:
    with pytest.raises(InvalidArchError, match=message):
        nb201_from_string(text)
