"""Graph encodings (adjacency + op one-hot) for GNN latency predictors, dispatched to the space's family: each
family that has one (``nb201``: the fixed 8-node cell, ``fbnet``: a chain) defines it in :mod:`hwnas.families`
(see :class:`hwnas.contracts.family.GraphEncoding` for the form)."""

from __future__ import annotations

import numpy as np

from hwnas.contracts.family import Graph, GraphEncoding, capability
from hwnas.core.arch import Arch
from hwnas.core.space import SearchSpace


def _encoding(space: SearchSpace) -> GraphEncoding:
    encoding: GraphEncoding = capability(space, "graph", "graph encoding")
    return encoding


def to_graph(arch: Arch, space: SearchSpace) -> Graph:
    """``(adjacency [n, n], ops_onehot [n, len(op_names)], op_names)`` of an arch of a family with a graph."""
    encoding = _encoding(space)
    space.validate(arch)
    return encoding.to_graph(arch, space)


def from_graph(ops_onehot: np.ndarray, space: SearchSpace) -> Arch:
    """The arch whose graph has these op rows (the topology is fixed per family, so the ops suffice)."""
    return _encoding(space).from_graph(ops_onehot, space)
