"""Which subnets a training step trains.

Samplers are stateless: the archs of step ``s`` come from a numpy Generator seeded with ``(seed, s)``. So every
DDP rank draws the same subnets without communicating, and a resumed run draws exactly what an uninterrupted run
would have drawn.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from hwnas.core.arch import Arch
from hwnas.core.space import SearchSpace


class ArchSampler(Protocol):
    """Gives the subnets to train at one step (several for the sandwich rule; gradients are summed)."""

    def archs_for_step(self, step: int) -> list[Arch]: ...


def step_rng(seed: int, step: int, stream: int = 0) -> np.random.Generator:
    """An independent Generator for (seed, step, stream); the same triple gives the same draws anywhere."""
    return np.random.default_rng([seed, step, stream])


class RandomSampler:
    """HAT: one subnet per step, every decision uniform at random."""

    def __init__(self, space: SearchSpace, seed: int) -> None:
        self.space, self.seed = space, seed

    def archs_for_step(self, step: int) -> list[Arch]:
        return [self.space.sample(step_rng(self.seed, step))]


class SandwichSampler:
    """The sandwich rule (BigNAS): largest + smallest + ``num_random`` uniform subnets per step."""

    def __init__(self, space: SearchSpace, seed: int, num_random: int) -> None:
        self.space, self.seed, self.num_random = space, seed, num_random
        self._extremes = [space.largest(), space.smallest()]

    def archs_for_step(self, step: int) -> list[Arch]:
        rng = step_rng(self.seed, step)
        return [*self._extremes, *(self.space.sample(rng) for _ in range(self.num_random))]


class FixedSampler:
    """From-scratch training: the same arch every step."""

    def __init__(self, arch: Arch) -> None:
        self.arch = arch

    def archs_for_step(self, step: int) -> list[Arch]:
        return [self.arch]
