"""Which archs to measure on the target device: ``n`` distinct rows of a :class:`SpaceTable`, deterministic for a
seed.

- ``random``: uniform without replacement;
- ``source-kmeans``: k-means (n clusters) over the archs' latency profiles on the source devices (log latency,
  z-scored per device), and from each cluster the arch nearest its centre: archs that behave differently on the
  known devices, which is what a new device's ranking is most likely to separate.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from hwnas.core.errors import ConfigError, UnknownNameError
from hwnas.fewshot.tables import SpaceTable

Sampler = Callable[[SpaceTable, Sequence[str], int, int], np.ndarray]
"""(table, sources, n, seed) -> n distinct row indices."""


def _check(table: SpaceTable, n: int) -> None:
    if not 1 <= n <= len(table.archs):
        raise ConfigError(f"samples: {n} requested, the {table.space} table has {len(table.archs)} archs (1..that)")


def random_rows(table: SpaceTable, sources: Sequence[str], n: int, seed: int) -> np.ndarray:
    _check(table, n)
    return np.sort(np.random.default_rng(seed).choice(len(table.archs), size=n, replace=False))


def source_kmeans(table: SpaceTable, sources: Sequence[str], n: int, seed: int) -> np.ndarray:
    from sklearn.cluster import KMeans

    _check(table, n)
    logs = np.log(np.maximum(table.columns(sources), 1e-6))
    spread = logs.std(axis=0)
    profile = (logs - logs.mean(axis=0)) / np.where(spread > 0, spread, 1.0)
    fit = KMeans(n_clusters=n, n_init=4, random_state=seed).fit(profile)
    chosen: list[int] = []
    for centre in fit.cluster_centers_:
        order = np.argsort(((profile - centre) ** 2).sum(axis=1), kind="stable")
        chosen.append(int(next(i for i in order if i not in chosen)))
    return np.sort(np.array(chosen))


SAMPLERS: dict[str, Sampler] = {"random": random_rows, "source-kmeans": source_kmeans}


def get_sampler(name: str) -> Sampler:
    if name not in SAMPLERS:
        raise UnknownNameError("few-shot sampler", name, sorted(SAMPLERS))
    return SAMPLERS[name]
