"""Random search: every candidate uniform over the space (HAT's sampler), redrawn until it meets the cheap
constraints. The baseline every other searcher must beat."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from hwnas.contracts.record import Record
from hwnas.contracts.searcher import FeasibleFn, SearchSettings
from hwnas.core.arch import Arch
from hwnas.core.space import SearchSpace
from hwnas.search.base import accept_all, draw_feasible_many


class RandomSearcher:
    def __init__(
        self,
        space: SearchSpace,
        *,
        rng: np.random.Generator,
        feasible: FeasibleFn = accept_all,
        max_retries: int = 1000,
    ) -> None:
        self.space, self.rng, self.feasible, self.max_retries = space, rng, feasible, max_retries

    @classmethod
    def from_config(
        cls, space: SearchSpace, config: SearchSettings, *, rng: np.random.Generator, feasible: FeasibleFn
    ) -> RandomSearcher:
        return cls(space, rng=rng, feasible=feasible, max_retries=config.max_retries)

    def ask(self, n: int) -> list[Arch]:
        propose = lambda: self.space.sample(self.rng)  # noqa: E731
        return draw_feasible_many(propose, self.feasible, n, max_tries=self.max_retries, what="random arch")

    def tell(self, records: Sequence[Record]) -> None:
        """Random search learns nothing."""

    def retained(self) -> list[Arch]:
        """Nothing is kept between asks, so a change of fitness changes nothing here."""
        return []

    def rescore(self, records: Sequence[Record]) -> None:
        """Nothing to re-rank."""
