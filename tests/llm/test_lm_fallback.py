"""lm-searcher's fallback: the ridge surrogate ranks the pool by what the trials told so far teach, too few or tied
trials fall back to random, both paths are counted, and the random pick is a function of the run's seed and the
trial alone (it never moves the run's generator, which is what lets a resume skip it)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from hwnas.core.arch import Arch
from hwnas.encodings import index_vector
from hwnas.llm.lm_choice import ChoiceCounts
from hwnas.llm.lm_fallback import SURROGATE_MIN_TRIALS, Fallback, fallback_seeds
from hwnas.spaces import get_space

SPACE = get_space("gpt-tiny")
ARCHS = list(SPACE.iter_all())


def _score(arch: Arch) -> float:
    """A score every one-hot linear model can learn: larger option indices pay, the first decision most."""
    weights = np.linspace(3.0, 1.0, len(index_vector(arch, SPACE)))
    return float(weights @ index_vector(arch, SPACE))


def _fallback(kind: str = "surrogate", seed: int = 7) -> Fallback:
    rng = np.random.default_rng(seed)
    return Fallback(kind, SPACE, seeds=fallback_seeds(rng), counts=ChoiceCounts())  # type: ignore[arg-type]


def test_the_surrogate_picks_the_pool_member_the_told_trials_rank_best() -> None:
    order = np.random.default_rng(0).permutation(len(ARCHS))
    told = [(ARCHS[i], _score(ARCHS[i])) for i in order[:30]]
    fallback = _fallback()
    for start in range(30, 70, 10):
        pool = [ARCHS[i] for i in order[start : start + 10]]
        assert fallback.pick(pool, told, trial=start) == max(range(10), key=lambda i: _score(pool[i]))
    counts = fallback.counts
    assert (counts.fallback, counts.fallback_surrogate, counts.fallback_random) == (4, 4, 0)


@pytest.mark.parametrize(
    "told",
    [
        [(ARCHS[0], 1.0), (ARCHS[1], 2.0)][: SURROGATE_MIN_TRIALS - 1],  # too few to fit
        [(a, 5.0) for a in ARCHS[:10]],  # tied: nothing to learn
    ],
    ids=["too-few", "tied"],
)
def test_too_few_or_tied_trials_pick_at_random(told: list[tuple[Arch, float]]) -> None:
    fallback = _fallback()
    picks = {fallback.pick(ARCHS[20:30], told, trial=t) for t in range(40)}
    assert len(picks) > 3  # random, not the first candidate every time
    assert (fallback.counts.fallback, fallback.counts.fallback_random, fallback.counts.fallback_surrogate) == (
        40,
        40,
        0,
    )


def test_random_picks_depend_on_the_seed_and_trial_only_and_leave_the_run_generator_alone() -> None:
    rng = np.random.default_rng(3)
    state = rng.bit_generator.state
    fallback = Fallback("random", SPACE, seeds=fallback_seeds(rng), counts=ChoiceCounts())
    picks = [fallback.pick(ARCHS[:10], [], trial=t) for t in range(20)]
    assert rng.bit_generator.state == state
    again = _fallback("random", seed=3)
    assert [again.pick(ARCHS[:10], [], trial=t) for t in reversed(range(20))] == picks[::-1]  # any order
    other = _fallback("random", seed=4)
    assert [other.pick(ARCHS[:10], [], trial=t) for t in range(20)] != picks


def test_an_unknown_kind_and_a_generator_without_a_seed_sequence_are_refused() -> None:
    with pytest.raises(ValueError, match="option 'fallback' is 'llm'; allowed: surrogate, random"):
        _fallback("llm")
    seedless = SimpleNamespace(bit_generator=SimpleNamespace(seed_seq=None))  # e.g. legacy-seeded MT19937
    with pytest.raises(TypeError, match="a generator built from a seed sequence"):
        fallback_seeds(seedless)  # type: ignore[arg-type]
