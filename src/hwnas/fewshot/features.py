"""What the few-shot methods know of an arch before the target device is measured: its latency on every source
device, its analytic counts (FLOPs, params) when its family has them, and how often each option of each decision
occurs in it.

Source latencies come from a :class:`SourceBank`: the measured tables of the source devices (HELP's 27 devices
per space, or the HAT space's CSVs, which measure different archs each). An arch a source measured gets its
measured value; any other arch (an FBNet arch outside HELP's 5,000, a HAT arch a CSV lacks) gets that source's
*fallback*: a ridge regression of log latency on the arch's one-hot encoding, fitted on everything the source
measured (latency on a GPU is close to a sum over layers; on phones it is coarser, and the docs say so).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from hwnas.contracts.family import family_of
from hwnas.core.arch import Arch
from hwnas.core.errors import DataError
from hwnas.core.space import SearchSpace
from hwnas.encodings._slots import choice_indices, slots
from hwnas.encodings.vectors import choice_counts

FALLBACK_ALPHA = 1.0
"""Ridge penalty of a source's fallback model (one-hot features, log latency; thousands of rows, so the penalty
hardly matters)."""


def _key(vector: np.ndarray) -> bytes:
    return np.ascontiguousarray(vector).tobytes()


def index_matrix(archs: Sequence[Arch], space: SearchSpace) -> np.ndarray:
    """[archs, positions] each arch's option index at every position, -1 at layers it does not use (the key a
    bank looks archs up by)."""
    width = len(slots(space))
    rows = [[-1 if i is None else i for i in choice_indices(a, space)] for a in archs]
    return np.array(rows, dtype=np.int64).reshape(len(rows), width)


def one_hot_matrix(indices: np.ndarray, space: SearchSpace) -> np.ndarray:
    """[archs, options over positions] one-hot rows of :func:`index_matrix` rows (all zero at unused layers)."""
    sizes = choice_counts(space)
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    out = np.zeros((len(indices), int(sizes.sum()) + 1))  # the last column collects the unused layers
    if len(indices):
        columns = np.where(indices >= 0, offsets[None, :] + indices, out.shape[1] - 1)
        out[np.arange(len(indices))[:, None], columns] = 1.0
    return out[:, :-1]


def bank_encoding(space: SearchSpace) -> str:
    """How a bank keys archs: HAT's 10 averaged features for the ``hat`` family (HAT's CSVs carry nothing else),
    the option index at every position otherwise."""
    return "hat10-raw" if space.family == "hat" else "index"


def bank_keys(archs: Sequence[Arch], space: SearchSpace) -> np.ndarray:
    """[archs, key width] the keys :class:`SourceBank` looks ``archs`` up by (see :func:`bank_encoding`)."""
    if bank_encoding(space) == "index":
        return index_matrix(archs, space)
    from hwnas.predictors.dataset import encode_archs

    return np.asarray(encode_archs(list(archs), space, "hat10-raw"), dtype=np.float64)


class SourceBank:
    """The source devices' measurements: ``keys`` [rows, width] (:func:`bank_keys`) and ``latency`` [rows,
    sources] ms, NaN where a source did not measure the arch of that row. Each source's fallback (for archs it did
    not measure) is fitted on its rows when first needed: deterministic, so a bank read back from a model file
    predicts exactly as the one written (the file holds the rows, not the fitted model)."""

    def __init__(self, space: SearchSpace, sources: Sequence[str], keys: np.ndarray, latency: np.ndarray) -> None:
        latency = np.asarray(latency, dtype=np.float64)
        keys = np.asarray(keys, dtype=np.int64 if bank_encoding(space) == "index" else np.float64)
        if latency.shape != (len(keys), len(sources)):
            raise DataError(f"source latencies have shape {latency.shape}; expected ({len(keys)}, {len(sources)})")
        for j, name in enumerate(sources):
            known = np.isfinite(latency[:, j])
            if known.sum() < 2 or np.any(latency[known, j] <= 0):
                raise DataError(f"source device {name!r}: needs 2 or more positive latencies, has {known.sum()}")
        self.space, self.sources, self.keys, self.latency = space, tuple(sources), keys, latency
        self._fallbacks: list[Any] | None = None
        self._rows: dict[bytes, int] | None = None

    @classmethod
    def from_tables(cls, space: SearchSpace, tables: dict[str, tuple[np.ndarray, np.ndarray]]) -> SourceBank:
        """A bank of sources measured on different archs: ``{source: (keys, latency)}``, rows merged by key."""
        rows: dict[bytes, int] = {}
        keys: list[np.ndarray] = []
        for source_keys, _ in tables.values():
            for key in source_keys:
                if _key(key) not in rows:
                    rows[_key(key)] = len(keys)
                    keys.append(key)
        latency = np.full((len(keys), len(tables)), np.nan)
        for j, (source_keys, values) in enumerate(tables.values()):
            for key, value in zip(source_keys, values, strict=True):
                latency[rows[_key(key)], j] = value
        return cls(space, list(tables), np.array(keys), latency)

    def _inputs(self, keys: np.ndarray) -> np.ndarray:
        return one_hot_matrix(keys, self.space) if bank_encoding(self.space) == "index" else np.asarray(keys)

    def _fallback(self) -> list[Any]:
        if self._fallbacks is None:
            from sklearn.ensemble import HistGradientBoostingRegressor
            from sklearn.linear_model import Ridge

            inputs = self._inputs(self.keys)
            models = []
            for j in range(len(self.sources)):
                known = np.isfinite(self.latency[:, j])
                model = (Ridge(alpha=FALLBACK_ALPHA) if bank_encoding(self.space) == "index"
                         else HistGradientBoostingRegressor(random_state=0))  # fmt: skip
                models.append(model.fit(inputs[known], np.log(self.latency[known, j])))
            self._fallbacks = models
        return self._fallbacks

    def lookup(self, keys: np.ndarray) -> np.ndarray:
        """[archs, sources] ms: measured where the source measured the arch, its fallback elsewhere."""
        if self._rows is None:
            self._rows = {_key(k): i for i, k in enumerate(self.keys)}
        out = np.full((len(keys), len(self.sources)), np.nan)
        for i, key in enumerate(keys):
            row = self._rows.get(_key(key))
            if row is not None:
                out[i] = self.latency[row]
        missing = ~np.isfinite(out)
        if missing.any():
            inputs = self._inputs(keys)
            for j, model in enumerate(self._fallback()):
                at = np.flatnonzero(missing[:, j])
                if at.size:
                    out[at, j] = np.exp(model.predict(inputs[at]))
        return out


@dataclass(frozen=True)
class ArchFeatures:
    """Per-arch inputs of the few-shot methods, row-aligned with ``archs``."""

    archs: tuple[Arch, ...]
    sources: np.ndarray  # [archs, sources] log latency on each source, z-scored by the source's measured rows
    counts: np.ndarray | None  # [archs, 2] log FLOPs, log params (None: the family has no analytic counts)
    options: np.ndarray  # [archs, options] how often each option of each decision occurs
    totals: np.ndarray  # [archs, options] how often each option occurs over decisions offering the same options
    gnn: np.ndarray | None = None  # [archs] the adapted GNN's score for the target, when there is one

    def take(self, rows: np.ndarray) -> ArchFeatures:
        return ArchFeatures(
            tuple(self.archs[int(i)] for i in rows),
            self.sources[rows],
            None if self.counts is None else self.counts[rows],
            self.options[rows],
            self.totals[rows],
            None if self.gnn is None else self.gnn[rows],
        )


def option_counts(keys: np.ndarray, space: SearchSpace) -> np.ndarray:
    """[archs, options] how often each option of each multi-option decision occurs (per-layer decisions counted
    over the layers; unused layers, whose index is a placeholder, are not counted)."""
    columns: list[np.ndarray] = []
    positions = slots(space)
    for gene in space.genes:
        if len(gene.choices) < 2:
            continue
        at = [p for p, slot in enumerate(positions) if slot.gene.name == gene.name]
        for choice in range(len(gene.choices)):
            columns.append((keys[:, at] == choice).sum(axis=1).astype(np.float64))
    return np.stack(columns, axis=1) if columns else np.zeros((len(keys), 0))


def choice_totals(keys: np.ndarray, space: SearchSpace) -> np.ndarray:
    """[archs, options] how often each option occurs over every decision that offers the same options: a
    position-free histogram of the arch's ops (NB201's 6 edges give 5 op counts; FBNet's 22 layers, one decision,
    give its 9 block counts; HAT's encoder and decoder FFN widths, which offer the same widths, are pooled).
    Latency on a device that runs every op of the graph is close to a sum of per-op costs, so a few samples fit it
    where the per-decision counts (30 columns on NB201) would need many more."""
    groups: dict[tuple[Any, ...], list[int]] = {}
    for p, slot in enumerate(slots(space)):
        if len(slot.gene.choices) >= 2:
            groups.setdefault(tuple(slot.gene.choices), []).append(p)
    columns = [(keys[:, at] == choice).sum(axis=1).astype(np.float64)
               for choices, at in groups.items() for choice in range(len(choices))]  # fmt: skip
    return np.stack(columns, axis=1) if columns else np.zeros((len(keys), 0))


def arch_counts(archs: Sequence[Arch], space: SearchSpace) -> np.ndarray | None:
    """[archs, 2] log FLOPs and log params from the family's analytic counts, or None without counts."""
    counter = family_of(space).counts
    if counter is None:
        return None
    values = [counter(a, space) for a in archs]
    return np.log(np.maximum(np.array([[v["flops"], v["params"]] for v in values], dtype=np.float64), 1.0))


def arch_features(archs: Sequence[Arch], bank: SourceBank) -> ArchFeatures:
    keys = index_matrix(archs, bank.space)
    logs = np.log(bank.lookup(keys if bank_encoding(bank.space) == "index" else bank_keys(archs, bank.space)))
    measured = np.log(bank.latency)
    centre, spread = np.nanmean(measured, axis=0), np.nanstd(measured, axis=0)
    sources = (logs - centre) / np.where(spread > 0, spread, 1.0)
    return ArchFeatures(tuple(archs), sources, arch_counts(archs, bank.space), option_counts(keys, bank.space),
                        choice_totals(keys, bank.space))  # fmt: skip


__all__ = [
    "ArchFeatures",
    "SourceBank",
    "arch_counts",
    "arch_features",
    "choice_totals",
    "index_matrix",
    "one_hot_matrix",
    "option_counts",
]
