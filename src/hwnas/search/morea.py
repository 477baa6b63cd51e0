"""MO-REA: regularised (aging) evolution (Real et al., 2019) with non-dominated selection, the multi-objective
variant HW-GPT-Bench runs through syne-tune.

The population is the ``population`` most recently evaluated archs (oldest out first: the aging that regularises
REA). Until it is full, archs are drawn at random. Each child then comes from a tournament: ``sample_size`` members
drawn at random, the best of them by the one ranking every searcher uses (Pareto rank, then crowding distance;
feasible before infeasible before failed) is the parent, and the child is the parent with one decision changed (a
random one-decision move, REA's mutation). Children that break a cheap constraint are redrawn from new tournaments.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from typing import cast

import numpy as np
from pydantic import Field

from hwnas.contracts.options import Options
from hwnas.contracts.record import Record
from hwnas.contracts.searcher import FeasibleFn, SearchSettings
from hwnas.core.arch import Arch
from hwnas.core.errors import ConfigError
from hwnas.core.space import SearchSpace
from hwnas.search.base import accept_all, draw_feasible_many
from hwnas.search.ranking import rank_records


class MOREAOptions(Options):
    sample_size: int = Field(5, ge=1, description="members drawn per tournament (<= population)")


class MOREASearcher:
    def __init__(
        self,
        space: SearchSpace,
        *,
        rng: np.random.Generator,
        population: int,
        feasible: FeasibleFn = accept_all,
        sample_size: int = 5,
        max_retries: int = 1000,
    ) -> None:
        if sample_size > population:
            raise ConfigError(f"sample_size ({sample_size}) must be <= population ({population})")
        self.space, self.rng, self.feasible, self.max_retries = space, rng, feasible, max_retries
        self.sample_size, self.population = sample_size, population
        self.members: deque[Record] = deque(maxlen=population)

    @classmethod
    def from_config(
        cls, space: SearchSpace, config: SearchSettings, *, rng: np.random.Generator, feasible: FeasibleFn
    ) -> MOREASearcher:
        options = cast(MOREAOptions, config.searcher_options())
        return cls(
            space, rng=rng, population=config.population, feasible=feasible, max_retries=config.max_retries,
            sample_size=options.sample_size,
        )  # fmt: skip

    def ask(self, n: int) -> list[Arch]:
        if len(self.members) < self.population:
            missing = min(n, self.population - len(self.members))  # fewer when seeds fill the rest
            propose = lambda: self.space.sample(self.rng)  # noqa: E731
            return draw_feasible_many(propose, self.feasible, missing, max_tries=self.max_retries, what="random arch")
        return draw_feasible_many(self._child, self.feasible, n, max_tries=self.max_retries, what="MO-REA child")

    def tell(self, records: Sequence[Record]) -> None:
        self.members.extend(records)  # the oldest members age out

    def _child(self) -> Arch:
        members = list(self.members)
        picked = self.rng.choice(len(members), size=self.sample_size, replace=False)
        parent = rank_records([members[int(i)] for i in sorted(picked)])[0].arch
        child = self.space.random_neighbor(parent, self.rng)
        return child if child is not None else self.space.sample(self.rng)
