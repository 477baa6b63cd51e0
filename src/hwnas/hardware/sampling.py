"""Which archs a latency dataset measures: a deterministic stream per (space, sampler, seed).

The stream does not depend on how many archs are asked for, so a collection resumed after a kill (or extended to a
larger ``n``) measures exactly the archs an uninterrupted run would have, in the same order.

- ``random``: HAT's sampler — every decision uniform (``SearchSpace.sample``); sizes pile up in the middle.
- ``stratified``: spreads archs evenly over analytic size. A fixed pool of random archs is split into equal-width
  bins of analytic FLOPs (:func:`hwnas.metrics.analytic_metrics`), and the stream takes one arch from each bin in
  turn (random order within a bin), skipping emptied bins, so the small and large ends — rare under uniform
  sampling, and where predictors extrapolate worst — get as many measurements as the middle.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from hwnas.core.arch import Arch
from hwnas.core.errors import ConfigError
from hwnas.core.space import SearchSpace

SAMPLERS = ("random", "stratified")
STRATIFIED_POOL = 10_000  # random draws the bins are filled from (fixed: the stream must not depend on n)
STRATIFIED_BINS = 10
MAX_DUPLICATE_DRAWS = 10_000  # consecutive already-seen draws before a space counts as exhausted


def random_stream(space: SearchSpace, rng: np.random.Generator) -> Iterator[Arch]:
    """Distinct uniformly sampled archs (ends when the space seems exhausted)."""
    seen: set[str] = set()
    misses = 0
    while misses < MAX_DUPLICATE_DRAWS:
        arch = space.sample(rng)
        if arch.arch_id in seen:
            misses += 1
            continue
        seen.add(arch.arch_id)
        misses = 0
        yield arch


def _size_of(arch: Arch, space: SearchSpace) -> float:
    from hwnas.metrics import analytic_metrics

    return float(analytic_metrics(arch, space)["flops"])


def stratified_stream(
    space: SearchSpace, rng: np.random.Generator, *, pool: int = STRATIFIED_POOL, bins: int = STRATIFIED_BINS
) -> Iterator[Arch]:
    """Distinct archs, one per FLOPs bin in turn (see module doc)."""
    candidates = [arch for arch, _ in zip(random_stream(space, rng), range(pool), strict=False)]
    sizes = np.array([_size_of(a, space) for a in candidates])
    edges = np.linspace(sizes.min(), sizes.max(), bins + 1)
    which = np.clip(np.searchsorted(edges, sizes, side="right") - 1, 0, bins - 1)
    queues = [list(rng.permutation(np.flatnonzero(which == b))) for b in range(bins)]
    while any(queues):
        for queue in queues:
            if queue:
                yield candidates[int(queue.pop(0))]


def arch_stream(space: SearchSpace, sampler: str, seed: int) -> Iterator[Arch]:
    """The deterministic arch stream of a sampler (``random`` or ``stratified``) and seed."""
    rng = np.random.default_rng(seed)
    if sampler == "random":
        return random_stream(space, rng)
    if sampler == "stratified":
        return stratified_stream(space, rng)
    raise ConfigError(f"sampler {sampler!r} is unknown; allowed: {', '.join(SAMPLERS)}")
