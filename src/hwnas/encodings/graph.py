"""Graph encodings (adjacency + op one-hot) for cell/chain spaces, and NAS-Bench-201 arch strings.

Both graphs use the *node-as-op* form that NASFLAT, HELP/MetaD2A and BRP-NAS feed to their GNN latency
predictors: every operation is a node, edges carry data, ``adjacency[i, j] = 1`` means node i feeds node j
(upper-triangular DAG), and ``ops_onehot[i]`` marks node i's operation among ``op_names``.

* **nb201** -- 8 nodes: input, the 6 edge operations in gene order (edge_1_0, edge_2_0, edge_2_1, edge_3_0,
  edge_3_1, edge_3_2), output. An op reading cell node j is fed by every op writing cell node j (by the input
  for j = 0); the ops writing cell node 3 feed the output. The topology is the same for every arch; ``none``
  stays a node (its op row says so), as in NASFLAT/BRP-NAS.
* **fbnet** -- a chain: input, one node per searchable layer (22), output.

``op_names`` is ``("input", <the space's op choices in order>, "output")``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from hwnas.core.arch import Arch
from hwnas.core.errors import InvalidArchError, UnknownNameError
from hwnas.core.space import SearchSpace
from hwnas.spaces.registry import get_space

NB201_EDGES: tuple[tuple[int, int], ...] = ((1, 0), (2, 0), (2, 1), (3, 0), (3, 1), (3, 2))  # (to node, from node)
NB201_STRING_FORMAT = "|op~0|+|op~0|op~1|+|op~0|op~1|op~2|"

Graph = tuple[np.ndarray, np.ndarray, tuple[str, ...]]


def _edge_gene(to_node: int, from_node: int) -> str:
    return f"edge_{to_node}_{from_node}"


def _nb201_adjacency() -> np.ndarray:
    n = len(NB201_EDGES) + 2
    adjacency = np.zeros((n, n), dtype=np.int64)
    output = n - 1
    for k, (to_node, from_node) in enumerate(NB201_EDGES, start=1):
        feeders = [0] if from_node == 0 else [i for i, e in enumerate(NB201_EDGES, start=1) if e[0] == from_node]
        adjacency[feeders, k] = 1
        if to_node == 3:
            adjacency[k, output] = 1
    return adjacency


def _one_hot_rows(ops: Sequence[str], op_names: tuple[str, ...]) -> np.ndarray:
    rows = np.zeros((len(ops), len(op_names)), dtype=np.int64)
    rows[np.arange(len(ops)), [op_names.index(op) for op in ops]] = 1
    return rows


def _nb201_graph(arch: Arch, space: SearchSpace) -> Graph:
    genes = [_edge_gene(*edge) for edge in NB201_EDGES]
    op_names = ("input", *(str(c) for c in space.gene(genes[0]).choices), "output")
    ops = ["input", *(str(arch[g]) for g in genes), "output"]
    return _nb201_adjacency(), _one_hot_rows(ops, op_names), op_names


def _chain_graph(arch: Arch, space: SearchSpace) -> Graph:
    gene = space.gene(_chain_genes(space)[1])
    op_names = ("input", *(str(c) for c in gene.choices), "output")
    ops = ["input", *(str(op) for op in arch[gene.name]), "output"]  # type: ignore[union-attr]
    adjacency = np.eye(len(ops), k=1, dtype=np.int64)
    return adjacency, _one_hot_rows(ops, op_names), op_names


_GRAPH_BUILDERS: dict[str, Callable[[Arch, SearchSpace], Graph]] = {"nb201": _nb201_graph, "fbnet": _chain_graph}


def to_graph(arch: Arch, space: SearchSpace) -> Graph:
    """``(adjacency [n, n], ops_onehot [n, len(op_names)], op_names)`` for an nb201 or fbnet arch."""
    builder = _GRAPH_BUILDERS.get(space.family)
    if builder is None:
        raise UnknownNameError("graph encoding for space family", space.family, list(_GRAPH_BUILDERS))
    space.validate(arch)
    return builder(arch, space)


def from_graph(ops_onehot: np.ndarray, space: SearchSpace) -> Arch:
    """The arch whose graph has these op rows (the topology is fixed per family, so the ops suffice)."""
    if space.family not in _GRAPH_BUILDERS:
        raise UnknownNameError("graph encoding for space family", space.family, list(_GRAPH_BUILDERS))
    rows = np.asarray(ops_onehot)
    ops = [str(c) for c in _op_choices(space)]
    if rows.ndim != 2 or rows.shape[1] != len(ops) + 2 or not np.all(rows.sum(axis=1) == 1):
        raise InvalidArchError(space.name, "(ops_onehot)", rows.shape, f"rows of {len(ops) + 2} with a single 1")
    names = [("input", *ops, "output")[i] for i in rows.argmax(axis=1)]
    inner = names[1:-1]
    if space.family == "nb201":
        return space.make({_edge_gene(*edge): op for edge, op in zip(NB201_EDGES, inner, strict=True)})
    count_gene, gene = _chain_genes(space)
    return space.make({count_gene: len(inner), gene: inner})


def _op_choices(space: SearchSpace) -> tuple[object, ...]:
    if space.family == "nb201":
        return space.gene(_edge_gene(*NB201_EDGES[0])).choices
    return space.gene(_chain_genes(space)[1]).choices


def _chain_genes(space: SearchSpace) -> tuple[str, str]:
    """(layer-count gene, per-layer op gene) of a chain space such as fbnet."""
    gene = next((g for g in space.genes if g.per_layer is not None), None)
    if gene is None or gene.per_layer is None:
        raise InvalidArchError(space.name, "(per-layer op gene)", "(missing)", "one per-layer gene of block types")
    return gene.per_layer, gene.name


# NAS-Bench-201 arch strings ----------------------------------------------------------------------------------
def nb201_to_string(arch: Arch) -> str:
    """``|op~0|+|op~0|op~1|+|op~0|op~1|op~2|``: cell node i lists its inputs ``op~j`` from nodes j < i."""
    nodes = []
    for to_node in (1, 2, 3):
        edges = [f"{arch[_edge_gene(to_node, j)]}~{j}" for j in range(to_node)]
        nodes.append("|" + "|".join(edges) + "|")
    return "+".join(nodes)


def nb201_from_string(text: str, space: SearchSpace | None = None) -> Arch:
    """Parse an NB201 arch string into an arch of ``space`` (default: the built-in ``nb201``)."""
    space = space or get_space("nb201")
    genes: dict[str, str] = {}
    nodes = text.strip().split("+") if isinstance(text, str) else []
    if len(nodes) != 3:
        raise InvalidArchError(space.name, "(arch string)", text, f"3 '+'-separated nodes: {NB201_STRING_FORMAT}")
    for to_node, node in enumerate(nodes, start=1):
        if not (node.startswith("|") and node.endswith("|")):
            raise InvalidArchError(space.name, f"(arch string node {to_node})", node, "'|op~j|...|' with bars")
        for token in node[1:-1].split("|"):
            op, _, source = token.rpartition("~")
            gene = _edge_gene(to_node, int(source)) if source.isdigit() else ""
            if not op or not gene or int(source) >= to_node or gene in genes:
                raise InvalidArchError(
                    space.name, f"(arch string node {to_node})", token, f"op~j with j in 0..{to_node - 1}, each once"
                )
            genes[gene] = op
    return space.make(genes)
