"""What the graph encodings of the cell / chain families share: the node-as-op form that NASFLAT, HELP/MetaD2A and
BRP-NAS feed to their GNN latency predictors. Every operation is a node, edges carry data, ``adjacency[i, j] = 1``
means node i feeds node j (upper-triangular DAG), and ``ops_onehot[i]`` marks node i's operation among
``op_names = ("input", <the space's op choices in order>, "output")``."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from hwnas.core.errors import InvalidArchError
from hwnas.core.space import SearchSpace


def op_names(choices: Sequence[object]) -> tuple[str, ...]:
    return ("input", *(str(c) for c in choices), "output")


def one_hot_rows(ops: Sequence[str], names: tuple[str, ...]) -> np.ndarray:
    """[len(ops), len(names)] int64: row i marks ops[i]."""
    rows = np.zeros((len(ops), len(names)), dtype=np.int64)
    rows[np.arange(len(ops)), [names.index(op) for op in ops]] = 1
    return rows


def inner_ops(ops_onehot: np.ndarray, choices: Sequence[object], space: SearchSpace) -> list[str]:
    """The operations of the nodes between input and output, read from one-hot rows (one 1 per row)."""
    rows = np.asarray(ops_onehot)
    names = op_names(choices)
    if rows.ndim != 2 or rows.shape[1] != len(names) or not np.all(rows.sum(axis=1) == 1):
        raise InvalidArchError(space.name, "(ops_onehot)", rows.shape, f"rows of {len(names)} with a single 1")
    return [names[i] for i in rows.argmax(axis=1)][1:-1]
