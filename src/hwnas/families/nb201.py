"""The ``nb201`` family: NAS-Bench-201 cells (Dong & Yang, ICLR 2020), 6 edges of a 4-node cell, one operation each.

Decoding gives the 6 operations in gene order (edge_1_0, edge_2_0, edge_2_1, edge_3_0, edge_3_1, edge_3_2).
The graph has 8 nodes: input, the 6 edge operations in that order, output (the node-as-op form of NASFLAT /
BRP-NAS, :mod:`hwnas.families._graph`). An op reading cell node j is fed by every op writing cell node j (by the
input for j = 0); the ops writing cell node 3 feed the output. The topology is the same for every arch; ``none``
stays a node (its op row says so), as in NASFLAT/BRP-NAS. Arch strings are NAS-Bench-201's own
(``|op~0|+|op~0|op~1|+|op~0|op~1|op~2|``). No analytic counts, protocol or collected datasets: NAS-Bench-201's
latencies come from HW-NAS-Bench / HELP tables.
"""

from __future__ import annotations

import numpy as np

from hwnas.contracts.family import Counter, DatasetLayout, Graph, MeasurementProtocol, SpaceFamily
from hwnas.core.arch import Arch
from hwnas.core.errors import InvalidArchError
from hwnas.core.space import SearchSpace
from hwnas.families._graph import inner_ops, one_hot_rows, op_names
from hwnas.spaces.registry import get_space

EDGES: tuple[tuple[int, int], ...] = ((1, 0), (2, 0), (2, 1), (3, 0), (3, 1), (3, 2))  # (to node, from node)
STRING_FORMAT = "|op~0|+|op~0|op~1|+|op~0|op~1|op~2|"


def edge_gene(to_node: int, from_node: int) -> str:
    return f"edge_{to_node}_{from_node}"


EDGE_GENES = tuple(edge_gene(*edge) for edge in EDGES)


def decode(arch: Arch, space: SearchSpace) -> tuple[str, ...]:
    """The operation of each edge, in :data:`EDGES` order."""
    missing = [g for g in EDGE_GENES if g not in arch]
    if missing:
        raise InvalidArchError(arch.space, missing[0], "(missing)", "one operation per NAS-Bench-201 edge")
    return tuple(str(arch[g]) for g in EDGE_GENES)


def _adjacency() -> np.ndarray:
    n = len(EDGES) + 2
    adjacency = np.zeros((n, n), dtype=np.int64)
    output = n - 1
    for k, (to_node, from_node) in enumerate(EDGES, start=1):
        feeders = [0] if from_node == 0 else [i for i, e in enumerate(EDGES, start=1) if e[0] == from_node]
        adjacency[feeders, k] = 1
        if to_node == 3:
            adjacency[k, output] = 1
    return adjacency


class CellGraph:
    """The fixed 8-node cell graph; only the op rows differ between archs."""

    def to_graph(self, arch: Arch, space: SearchSpace) -> Graph:
        names = op_names(space.gene(EDGE_GENES[0]).choices)
        return _adjacency(), one_hot_rows(["input", *decode(arch, space), "output"], names), names

    def from_graph(self, ops_onehot: np.ndarray, space: SearchSpace) -> Arch:
        ops = inner_ops(ops_onehot, space.gene(EDGE_GENES[0]).choices, space)
        return space.make(dict(zip(EDGE_GENES, ops, strict=True)))


def to_string(arch: Arch) -> str:
    """``|op~0|+|op~0|op~1|+|op~0|op~1|op~2|``: cell node i lists its inputs ``op~j`` from nodes j < i."""
    nodes = []
    for to_node in (1, 2, 3):
        edges = [f"{arch[edge_gene(to_node, j)]}~{j}" for j in range(to_node)]
        nodes.append("|" + "|".join(edges) + "|")
    return "+".join(nodes)


def from_string(text: str, space: SearchSpace | None = None) -> Arch:
    """Parse a NAS-Bench-201 arch string into an arch of ``space`` (default: the built-in ``nb201``)."""
    space = space or get_space("nb201")
    nodes = text.strip().split("+") if isinstance(text, str) else []
    if len(nodes) != 3:
        raise InvalidArchError(space.name, "(arch string)", text, f"3 '+'-separated nodes: {STRING_FORMAT}")
    genes: dict[str, str] = {}
    for to_node, node in enumerate(nodes, start=1):
        if not (node.startswith("|") and node.endswith("|")):
            raise InvalidArchError(space.name, f"(arch string node {to_node})", node, "'|op~j|...|' with bars")
        for token in node[1:-1].split("|"):
            op, _, source = token.rpartition("~")
            gene = edge_gene(to_node, int(source)) if source.isdigit() else ""
            if not op or not gene or int(source) >= to_node or gene in genes:
                raise InvalidArchError(
                    space.name, f"(arch string node {to_node})", token, f"op~j with j in 0..{to_node - 1}, each once"
                )
            genes[gene] = op
    return space.make(genes)


class NB201Family:
    name = "nb201"
    counts: Counter | None = None
    protocol: MeasurementProtocol | None = None
    dataset: DatasetLayout | None = None
    graph = CellGraph()

    def decode(self, arch: Arch, space: SearchSpace) -> tuple[str, ...]:
        return decode(arch, space)


FAMILY: SpaceFamily = NB201Family()
