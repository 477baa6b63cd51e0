"""Which archs to measure on the target device: ``n`` distinct rows of a candidate pool (its
:class:`~hwnas.fewshot.features.ArchFeatures`), deterministic for a seed.

- ``random``: uniform without replacement;
- ``params``: NASFLAT's params-bucketed draw: the pool sorted by parameter count, cut into ``n`` equal buckets,
  one random arch from each (needs the family's analytic counts);
- ``encoding-kmeans``: k-means (``n`` clusters) over how often each option occurs in the arch, and from each
  cluster the arch nearest its centre;
- ``source-kmeans``: the same over the archs' latency profiles on the source devices (log latency, z-scored per
  device): archs that behave differently on the known devices, which is what a new device's ranking is most
  likely to separate.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from hwnas.core.errors import ConfigError, UnknownNameError
from hwnas.fewshot.features import ArchFeatures

Sampler = Callable[[ArchFeatures, int, int], np.ndarray]
"""(pool's features, n, seed) -> n distinct row indices, sorted."""


def check_count(n: int, available: int, what: str) -> None:
    if not 1 <= n <= available:
        raise ConfigError(f"samples: {n} requested, {what} number {available} (1..that)")


def _check(features: ArchFeatures, n: int) -> None:
    check_count(n, len(features.archs), "the candidate archs")


def random_rows(features: ArchFeatures, n: int, seed: int) -> np.ndarray:
    _check(features, n)
    return np.sort(np.random.default_rng(seed).choice(len(features.archs), size=n, replace=False))


def params_buckets(features: ArchFeatures, n: int, seed: int) -> np.ndarray:
    _check(features, n)
    if features.counts is None:
        raise ConfigError("sampler 'params' needs analytic counts, which this space's family lacks")
    rng = np.random.default_rng(seed)
    order = np.argsort(features.counts[:, 1], kind="stable")
    return np.sort(np.array([int(rng.choice(bucket)) for bucket in np.array_split(order, n)]))


def _kmeans(points: np.ndarray, n: int, seed: int) -> np.ndarray:
    """From each of ``n`` k-means clusters of ``points``, the point nearest its centre (each chosen once)."""
    from sklearn.cluster import KMeans

    fit = KMeans(n_clusters=n, n_init=4, random_state=seed).fit(points)
    chosen: list[int] = []
    for centre in fit.cluster_centers_:
        order = np.argsort(((points - centre) ** 2).sum(axis=1), kind="stable")
        chosen.append(int(next(i for i in order if i not in chosen)))
    return np.sort(np.array(chosen))


def encoding_kmeans(features: ArchFeatures, n: int, seed: int) -> np.ndarray:
    _check(features, n)
    return _kmeans(features.options, n, seed)


def source_kmeans(features: ArchFeatures, n: int, seed: int) -> np.ndarray:
    _check(features, n)
    return _kmeans(features.sources, n, seed)


SAMPLERS: dict[str, Sampler] = {
    "random": random_rows,
    "params": params_buckets,
    "encoding-kmeans": encoding_kmeans,
    "source-kmeans": source_kmeans,
}
DEFAULT_SAMPLER = "random"


def get_sampler(name: str) -> Sampler:
    if name not in SAMPLERS:
        raise UnknownNameError("few-shot sampler", name, sorted(SAMPLERS))
    return SAMPLERS[name]
