"""HAT's evolutionary search (Wang et al., ACL 2020), constraint-aware.

Generation 0 is ``population`` random archs. After each evaluation the best ``parents`` of the parents and the new
children are kept (one copy per arch); the next generation is ``mutation_size`` mutants of random parents (each
decision redrawn with ``mutation_prob``) plus ``crossover_size`` uniform crossovers of two distinct random parents.
Every candidate meets the cheap constraints: violators are redrawn, a bounded number of times.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
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


class EvolutionOptions(Options):
    """HAT's defaults (its ``evo_iter`` is the run's ``iterations``, its population size the run's ``population``)."""

    parents: int = Field(25, ge=1, description="archs kept each generation (<= population)")
    mutation_size: int = Field(50, ge=0, description="mutants per generation")
    mutation_prob: float = Field(0.3, ge=0.0, le=1.0, description="per-decision mutation probability")
    crossover_size: int = Field(50, ge=0, description="crossover children per generation")


class EvolutionSearcher:
    def __init__(
        self,
        space: SearchSpace,
        *,
        rng: np.random.Generator,
        feasible: FeasibleFn = accept_all,
        parents: int = 25,
        mutation_size: int = 50,
        mutation_prob: float = 0.3,
        crossover_size: int = 50,
        max_retries: int = 1000,
    ) -> None:
        if parents < 1 or mutation_size < 0 or crossover_size < 0 or not 0.0 <= mutation_prob <= 1.0:
            raise ValueError("evolution needs parents >= 1, sizes >= 0 and 0 <= mutation_prob <= 1")
        self.space, self.rng, self.feasible = space, rng, feasible
        self.parents, self.mutation_size, self.mutation_prob = parents, mutation_size, mutation_prob
        self.crossover_size, self.max_retries = crossover_size, max_retries
        self.parent_records: list[Record] = []

    @classmethod
    def from_config(
        cls, space: SearchSpace, config: SearchSettings, *, rng: np.random.Generator, feasible: FeasibleFn
    ) -> EvolutionSearcher:
        options = cast(EvolutionOptions, config.searcher_options())
        if options.parents > config.population:
            raise ConfigError(f"parents ({options.parents}) must be <= population ({config.population})")
        return cls(space, rng=rng, feasible=feasible, max_retries=config.max_retries, **options.model_dump())

    def ask(self, n: int) -> list[Arch]:
        if not self.parent_records:
            return self._draw(lambda: self.space.sample(self.rng), n, "random arch")
        return self._draw(self._mutant, self.mutation_size, "mutant") + self._draw(
            self._child, self.crossover_size, "crossover child"
        )

    def tell(self, records: Sequence[Record]) -> None:
        pool: dict[str, Record] = {}
        for record in [*self.parent_records, *records]:
            pool.setdefault(record.arch.arch_id, record)
        self.parent_records = rank_records(list(pool.values()))[: self.parents]

    def retained(self) -> list[Arch]:
        return [r.arch for r in self.parent_records]

    def rescore(self, records: Sequence[Record]) -> None:
        """The parents under a new fitness: re-ranked on their new records alone (the old ones measure another
        metric)."""
        self.parent_records = []
        self.tell(records)

    def _draw(self, propose: Callable[[], Arch], n: int, what: str) -> list[Arch]:
        return draw_feasible_many(propose, self.feasible, n, max_tries=self.max_retries, what=what)

    def _mutant(self) -> Arch:
        parent = self.parent_records[int(self.rng.integers(len(self.parent_records)))].arch
        return self.space.mutate(parent, self.mutation_prob, self.rng)

    def _child(self) -> Arch:
        count = len(self.parent_records)
        first, second = self.rng.choice(count, size=2, replace=False) if count > 1 else (0, 0)
        return self.space.crossover(
            self.parent_records[int(first)].arch, self.parent_records[int(second)].arch, self.rng
        )
