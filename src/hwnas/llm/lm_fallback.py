"""Who picks a trial when the LLM gives no usable pick (answers that name no candidate after the retries, a
time-out, a dead endpoint).

* ``surrogate``: a ridge regression on the one-hot encoding (:mod:`hwnas.encodings.registry`'s ``onehot``), fitted
  on every trial told so far (its score: higher is better), ranks the pool and its best is the pick. A pool is
  small and a one-hot linear model is the cheapest model that still learns which option of which decision pays
  off: milliseconds per pick, no GPU, nothing to tune. With fewer than ``SURROGATE_MIN_TRIALS`` scored trials, or
  scores that all tie, there is nothing to learn from and the pick is random (counted as such).
* ``random``: a random pool member.

Both are deterministic and leave the run's random stream alone: the random pick of trial ``t`` comes from a
generator of its own, derived from the run's seed sequence and ``t``, and the ridge fit draws nothing. So whether
a pick came from the LLM or from a fallback never shifts the pools drawn later, which is what lets a resumed run take
the journal's recorded picks instead of asking the LLM again (:meth:`hwnas.llm.lm_searcher.LMSearcher.replay`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np

from hwnas.core.arch import Arch
from hwnas.core.space import SearchSpace
from hwnas.encodings.registry import get_encoder
from hwnas.llm.lm_choice import ChoiceCounts

FallbackKind = Literal["surrogate", "random"]
SURROGATE_MIN_TRIALS = 3  # fewer scored trials fit no useful model: pick at random
RIDGE_ALPHA = 1.0  # one-hot columns, a few to a few hundred rows: enough shrinkage that 3 trials give a sane fit
_STREAM = 0x4C4D  # spawn-key part of the fallback's generators, so they never equal a child spawned from the run's


def fallback_seeds(rng: np.random.Generator) -> np.random.SeedSequence:
    """The run's seed sequence, which the random fallback derives its per-trial generators from (reading it
    draws nothing from ``rng``)."""
    seeds = getattr(rng.bit_generator, "seed_seq", None)
    if not isinstance(seeds, np.random.SeedSequence):
        raise TypeError(
            "lm-searcher needs a generator built from a seed sequence (numpy.random.default_rng(seed)), "
            f"not one whose seed_seq is {type(seeds).__name__}"
        )
    return seeds


class Fallback:
    """Picks among a pool for the trials the LLM gave no pick for, counting each path into ``counts``."""

    def __init__(
        self, kind: FallbackKind, space: SearchSpace, *, seeds: np.random.SeedSequence, counts: ChoiceCounts
    ) -> None:
        if kind not in ("surrogate", "random"):
            raise ValueError(f"lm-searcher option 'fallback' is {kind!r}; allowed: surrogate, random")
        self.kind, self.space, self.seeds, self.counts = kind, space, seeds, counts

    def pick(self, pool: Sequence[Arch], told: Sequence[tuple[Arch, float]], trial: int) -> int:
        """The index of the fallback's pick in ``pool`` for trial ``trial`` (0-based, counting every ask);
        ``told`` holds every scored trial so far as (arch, score, higher is better)."""
        if not pool:
            raise ValueError("the fallback needs a pool of at least one arch")
        self.counts.fallback += 1
        if self.kind == "surrogate" and _learnable(told):
            self.counts.fallback_surrogate += 1
            return self._best_predicted(pool, told)
        self.counts.fallback_random += 1
        return int(self._generator(trial).integers(len(pool)))

    def _best_predicted(self, pool: Sequence[Arch], told: Sequence[tuple[Arch, float]]) -> int:
        from sklearn.linear_model import Ridge  # lazy: only a run whose LLM fails pays for the import

        encode = get_encoder("onehot")
        x = encode([arch for arch, _ in told], self.space)  # [trials, one-hot columns]
        y = np.array([value for _, value in told], dtype=np.float64)
        predicted = Ridge(alpha=RIDGE_ALPHA).fit(x, y).predict(encode(pool, self.space))  # [pool]
        return int(np.argmax(predicted))  # ties: the first (pools come in random order)

    def _generator(self, trial: int) -> np.random.Generator:
        key = (*self.seeds.spawn_key, _STREAM, trial)
        return np.random.default_rng(np.random.SeedSequence(self.seeds.entropy, spawn_key=key))


def _learnable(told: Sequence[tuple[Arch, float]]) -> bool:
    values = [value for _, value in told]
    return len(values) >= SURROGATE_MIN_TRIALS and max(values) > min(values)
