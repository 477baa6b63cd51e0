"""The ``fbnet`` family: FBNet-style chains as used by HW-NAS-Bench and HELP, one block type per searchable layer.

Decoding gives the block type of each layer (the space's one per-layer gene, following its layer-count gene). The
graph is a chain: input, one node per layer, output (the node-as-op form of :mod:`hwnas.families._graph`). No
analytic counts, protocol or collected datasets: FBNet latencies come from HW-NAS-Bench / HELP tables.
"""

from __future__ import annotations

import numpy as np

from hwnas.contracts.family import Counter, DatasetLayout, Graph, MeasurementProtocol, SpaceFamily
from hwnas.core.arch import Arch
from hwnas.core.errors import InvalidArchError
from hwnas.core.space import Gene, SearchSpace
from hwnas.families._genes import GeneReader
from hwnas.families._graph import inner_ops, one_hot_rows, op_names


def block_gene(space: SearchSpace) -> Gene:
    """The per-layer gene of block types (it names its layer-count gene in ``per_layer``)."""
    gene = next((g for g in space.genes if g.per_layer is not None), None)
    if gene is None:
        raise InvalidArchError(space.name, "(per-layer op gene)", "(missing)", "one per-layer gene of block types")
    return gene


def decode(arch: Arch, space: SearchSpace) -> tuple[str, ...]:
    """The block type of each active layer."""
    return GeneReader(arch).ops(block_gene(space).name)


class ChainGraph:
    """A chain: ``adjacency[i, i + 1] = 1``."""

    def to_graph(self, arch: Arch, space: SearchSpace) -> Graph:
        names = op_names(block_gene(space).choices)
        ops = ["input", *decode(arch, space), "output"]
        return np.eye(len(ops), k=1, dtype=np.int64), one_hot_rows(ops, names), names

    def from_graph(self, ops_onehot: np.ndarray, space: SearchSpace) -> Arch:
        gene = block_gene(space)
        ops = inner_ops(ops_onehot, gene.choices, space)
        return space.make({str(gene.per_layer): len(ops), gene.name: ops})


class FBNetFamily:
    name = "fbnet"
    counts: Counter | None = None
    protocol: MeasurementProtocol | None = None
    dataset: DatasetLayout | None = None
    graph = ChainGraph()

    def decode(self, arch: Arch, space: SearchSpace) -> tuple[str, ...]:
        return decode(arch, space)


FAMILY: SpaceFamily = FBNetFamily()
