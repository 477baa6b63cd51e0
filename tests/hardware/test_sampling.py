"""Arch streams: deterministic, distinct, and (stratified) spread over analytic size."""

from __future__ import annotations

import itertools

import numpy as np

from hwnas.core.space import SearchSpace
from hwnas.hardware.sampling import arch_stream, random_stream, stratified_stream
from hwnas.metrics import analytic_metrics
from hwnas.spaces import get_space


def test_streams_are_deterministic_and_distinct(tiny: SearchSpace) -> None:
    first = [a.arch_id for a in itertools.islice(arch_stream(tiny, "random", 3), 50)]
    again = [a.arch_id for a in itertools.islice(arch_stream(tiny, "random", 3), 50)]
    other = [a.arch_id for a in itertools.islice(arch_stream(tiny, "random", 4), 50)]
    assert first == again and first != other and len(set(first)) == 50


def test_stratified_stream_covers_the_size_range_evenly() -> None:
    space = get_space("hat-wmt14ende")
    flops = lambda archs: np.array([analytic_metrics(a, space)["flops"] for a in archs])  # noqa: E731
    strat = flops(list(itertools.islice(stratified_stream(space, np.random.default_rng(0), pool=2000, bins=10), 40)))
    rand = flops(list(itertools.islice(random_stream(space, np.random.default_rng(0)), 40)))
    low, high = np.percentile(
        flops(list(itertools.islice(random_stream(space, np.random.default_rng(1)), 2000))), [5, 95]
    )
    tails = lambda f: int(((f < low) | (f > high)).sum())  # noqa: E731
    assert tails(strat) >= 3 * max(tails(rand), 1)  # the rare small / large ends get their share
    assert strat.max() - strat.min() > rand.max() - rand.min()
