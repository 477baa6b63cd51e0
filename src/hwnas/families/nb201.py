"""The ``nb201`` family: NAS-Bench-201 cells (Dong & Yang, ICLR 2020), 6 edges of a 4-node cell, one operation each.

Decoding gives the 6 operations in gene order (edge_1_0, edge_2_0, edge_2_1, edge_3_0, edge_3_1, edge_3_2).
The graph has 8 nodes: input, the 6 edge operations in that order, output (the node-as-op form of NASFLAT /
BRP-NAS, :mod:`hwnas.families._graph`). An op reading cell node j is fed by every op writing cell node j (by the
input for j = 0); the ops writing cell node 3 feed the output. The topology is the same for every arch; ``none``
stays a node (its op row says so), as in NASFLAT/BRP-NAS. Arch strings are NAS-Bench-201's own
(``|op~0|+|op~0|op~1|+|op~0|op~1|op~2|``). No protocol or collected datasets: NAS-Bench-201's latencies come from
HW-NAS-Bench / HELP tables.

Counts (:func:`counts`) are those of NAS-Bench-201's CIFAR-10 network, in NAS-Bench-201's convention (the
``params`` / ``flops`` it publishes per arch, which HW-NAS-Bench repeats), as absolute numbers (NAS-Bench-201 lists
them in millions). The network: a stem conv3x3 3->16 + BN at 32x32; three stages of 5 cells (C = 16 at 32x32,
32 at 16x16, 64 at 8x8) joined by 2 residual reduction blocks (ReLU-conv3x3 stride 2-BN, ReLU-conv3x3-BN; shortcut
avgpool 2x2 + conv1x1, no BN); a final BN-ReLU, global average pool and a linear layer 64 -> 10. Cell edges:
``nor_conv_1x1`` / ``nor_conv_3x3`` are ReLU-conv-BN (C -> C, no conv bias); ``none``, ``skip_connect`` and
``avg_pool_3x3`` have no parameters and count no FLOPs. Every edge's op counts, even one whose output reaches the
cell output only through ``none`` (the network computes it).

- ``params``: all trainable parameters, BN affine weight and bias included (the network has no embedding table, so
  ``params_no_embed`` is the same number);
- ``macs``: multiply-accumulates of the convolutions and the linear layer;
- ``flops``: NAS-Bench-201's "FLOPs", which are MACs, not 2 x MACs: ``macs`` plus the linear layer's 10 bias adds;
  BN, ReLU, pooling and additions count nothing. Hence the extremes 7,783,050 (every edge ``none``) and
  220,119,690 (every edge ``nor_conv_3x3``; 1,531,546 params), NAS-Bench-201's published 7.78305 / 220.11969 MFLOPs
  and 0.073306 / 1.531546 M params on CIFAR-10. Not comparable with ``gpt`` / ``hat`` flops, which are 2 x MACs.
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np

from hwnas.contracts.family import Counter, DatasetLayout, Graph, MeasurementProtocol, SpaceFamily
from hwnas.core.arch import Arch
from hwnas.core.errors import InvalidArchError
from hwnas.core.space import SearchSpace
from hwnas.families._graph import inner_ops, one_hot_rows, op_names
from hwnas.spaces.registry import get_space

# NAS-Bench-201's CIFAR-10 network (see the module docstring).
INPUT_CHANNELS = 3
STAGES: tuple[tuple[int, int], ...] = ((16, 32), (32, 16), (64, 8))  # (cell channels, feature-map side) per stage
CELLS_PER_STAGE = 5
NUM_CLASSES = 10
CONV_KERNELS = {"nor_conv_1x1": 1, "nor_conv_3x3": 3}  # the other edge ops have no weights and count nothing

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


def _edge(op: str, channels: int, side: int) -> tuple[int, int]:
    """(params, MACs) of one cell edge: ReLU-conv(C -> C, no bias)-BN for a conv op, nothing otherwise."""
    kernel = CONV_KERNELS.get(op)
    if kernel is None:
        return 0, 0
    weights = kernel * kernel * channels * channels
    return weights + 2 * channels, weights * side * side


def _reduction(c_in: int, c_out: int, side: int) -> tuple[int, int]:
    """(params, MACs) of a residual reduction block to ``c_out`` channels at output ``side``: ReLU-conv3x3 stride
    2-BN and ReLU-conv3x3-BN, shortcut avgpool 2x2 + conv1x1 (no BN; the pool counts nothing)."""
    weights = 9 * c_in * c_out + 9 * c_out * c_out + c_in * c_out
    return weights + 2 * (2 * c_out), weights * side * side


def _fixed_parts() -> tuple[int, int]:
    """(params, MACs) of everything but the cells: stem, the reduction blocks, final BN and the classifier."""
    stem_channels, side = STAGES[0]
    params = 9 * INPUT_CHANNELS * stem_channels + 2 * stem_channels
    macs = 9 * INPUT_CHANNELS * stem_channels * side * side
    for (c_in, _), (c_out, c_side) in pairwise(STAGES):
        block_params, block_macs = _reduction(c_in, c_out, c_side)
        params, macs = params + block_params, macs + block_macs
    last = STAGES[-1][0]
    params += 2 * last + last * NUM_CLASSES + NUM_CLASSES
    return params, macs + last * NUM_CLASSES


def counts(arch: Arch, space: SearchSpace) -> dict[str, float]:
    """Params, MACs and FLOPs of ``arch``'s CIFAR-10 network in NAS-Bench-201's convention (module docstring)."""
    ops = decode(arch, space)
    params, macs = _fixed_parts()
    for channels, side in STAGES:
        for op in ops:
            edge_params, edge_macs = _edge(op, channels, side)
            params, macs = params + CELLS_PER_STAGE * edge_params, macs + CELLS_PER_STAGE * edge_macs
    return {
        "params": float(params),
        "params_no_embed": float(params),
        "flops": float(macs + NUM_CLASSES),  # + the classifier's bias adds
        "macs": float(macs),
    }


class NB201Family:
    name = "nb201"
    protocol: MeasurementProtocol | None = None
    dataset: DatasetLayout | None = None
    graph = CellGraph()

    def decode(self, arch: Arch, space: SearchSpace) -> tuple[str, ...]:
        return decode(arch, space)

    @property
    def counts(self) -> Counter:
        return counts


FAMILY: SpaceFamily = NB201Family()
