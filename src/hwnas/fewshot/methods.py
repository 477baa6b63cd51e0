"""Few-shot latency methods on an aligned :class:`~hwnas.fewshot.tables.SpaceTable`: each is told the source
devices (every arch measured) and then, for a target device, the latencies of a few sampled archs; it returns a
latency prediction for every arch of the table (rank is what the tasks score).

The simple, strong baselines the published tables leave out (issue 16):

- ``flops`` / ``params``: the arch's FLOPs or parameter count as the prediction, scaled by a least-squares line on
  the samples (FBNet: NASFLAT's proxy file; NB201 has no analytic counts in hwnas yet);
- ``best-source``: the source device whose latencies rank the samples most like the target (tie-aware Spearman;
  ties go to the earlier source), scaled by a least-squares line;
- ``ridge-transfer``: a ridge regression (penalty chosen by leave-one-out, scikit-learn's RidgeCV) from the
  sources' log latencies (z-scored per source over the space) to the target's log latency, fitted on the samples;
- ``opcount-ridge``: the same ridge from how often each option of each decision occurs in the arch (FBNet: how
  many layers use each of the 9 blocks; NB201: how many edges carry each op), no source device at all: latency on
  a GPU is close to a sum over layers, so a few samples fit it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from hwnas.core.errors import ConfigError, UnknownNameError
from hwnas.fewshot.tables import SpaceTable
from hwnas.predictors.metrics import spearman

Method = Callable[[SpaceTable, Sequence[str], np.ndarray, np.ndarray], np.ndarray]
"""(table, sources, sampled rows, their target latencies) -> predicted latency of every row."""


def arch_counts(table: SpaceTable, key: str) -> np.ndarray:
    """[archs] FLOPs or params of every arch of the table (FBNet: NASFLAT's proxy file, looked up by op tuple)."""
    if table.space != "fbnet":
        raise ConfigError(f"few-shot method {key!r} needs arch {key} counts, which hwnas has for fbnet only so far")
    from hwnas.data.tables import load_nasflat_zcp

    proxies = load_nasflat_zcp()
    from hwnas.spaces import get_space

    blocks = get_space("fbnet").gene("block").choices
    index = {b: i for i, b in enumerate(blocks)}
    return np.array([proxies[tuple(index[b] for b in arch["block"])][key] for arch in table.archs], dtype=float)  # type: ignore[union-attr]


def _line(score: np.ndarray, rows: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``score`` mapped to latency by the least-squares line through the samples (a constant with one sample)."""
    x = score[rows]
    if len(rows) < 2 or np.ptp(x) == 0:
        shifted: np.ndarray = score - score.mean() + float(np.mean(values))
        return shifted
    slope, intercept = np.polyfit(x, values, 1)
    line: np.ndarray = float(slope) * score + float(intercept)
    return line


def flops(table: SpaceTable, sources: Sequence[str], rows: np.ndarray, values: np.ndarray) -> np.ndarray:
    return _line(arch_counts(table, "flops"), rows, values)


def params(table: SpaceTable, sources: Sequence[str], rows: np.ndarray, values: np.ndarray) -> np.ndarray:
    return _line(arch_counts(table, "params"), rows, values)


def best_source(table: SpaceTable, sources: Sequence[str], rows: np.ndarray, values: np.ndarray) -> np.ndarray:
    columns = table.columns(sources)
    scores = [spearman(values, columns[rows, j]) for j in range(len(sources))]
    ranked = [s if np.isfinite(s) else -np.inf for s in scores]
    return _line(columns[:, int(np.argmax(ranked))], rows, values)


def ridge_transfer(table: SpaceTable, sources: Sequence[str], rows: np.ndarray, values: np.ndarray) -> np.ndarray:
    from sklearn.linear_model import RidgeCV

    logs = np.log(np.maximum(table.columns(sources), 1e-6))
    spread = logs.std(axis=0)
    features = (logs - logs.mean(axis=0)) / np.where(spread > 0, spread, 1.0)
    if len(rows) < 2:
        return best_source(table, sources, rows, values)
    model = RidgeCV(alphas=np.logspace(-3, 3, 13)).fit(features[rows], np.log(np.maximum(values, 1e-6)))
    prediction: np.ndarray = np.exp(model.predict(features))
    return prediction


def option_counts(table: SpaceTable) -> np.ndarray:
    """[archs, options] how many times each option of each decision occurs in each arch (per-layer decisions
    counted over the arch's layers)."""
    from hwnas.spaces import get_space

    space = get_space(table.space)
    columns = [(gene.name, choice) for gene in space.genes if len(gene.choices) > 1 for choice in gene.choices]
    counts = np.zeros((len(table.archs), len(columns)))
    for i, arch in enumerate(table.archs):
        for j, (name, choice) in enumerate(columns):
            value = arch[name]
            counts[i, j] = sum(v == choice for v in value) if isinstance(value, tuple) else float(value == choice)
    return counts


def opcount_ridge(table: SpaceTable, sources: Sequence[str], rows: np.ndarray, values: np.ndarray) -> np.ndarray:
    from sklearn.linear_model import RidgeCV

    if len(rows) < 2:
        return np.full(len(table.archs), float(np.mean(values)))
    features = _option_counts(table)
    model = RidgeCV(alphas=np.logspace(-3, 3, 13)).fit(features[rows], np.log(np.maximum(values, 1e-6)))
    prediction: np.ndarray = np.exp(model.predict(features))
    return prediction


_COUNTS: dict[str, np.ndarray] = {}


def _option_counts(table: SpaceTable) -> np.ndarray:
    """:func:`option_counts`, computed once per space (a table is the same for every target and seed)."""
    key = f"{table.space}:{len(table.archs)}"
    if key not in _COUNTS:
        _COUNTS[key] = option_counts(table)
    return _COUNTS[key]


METHODS: dict[str, Method] = {
    "flops": flops,
    "params": params,
    "best-source": best_source,
    "ridge-transfer": ridge_transfer,
    "opcount-ridge": opcount_ridge,
}


def get_method(name: str) -> Method:
    if name not in METHODS:
        raise UnknownNameError("few-shot method", name, sorted(METHODS))
    return METHODS[name]
