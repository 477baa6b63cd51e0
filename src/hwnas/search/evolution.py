"""HAT's evolutionary search (Wang et al., ACL 2020), constraint-aware.

Generation 0 is ``population`` random archs. After each evaluation the best ``parents`` of the parents and the new
children are kept (one copy per arch); the next generation is ``mutation_size`` mutants of random parents (each
decision redrawn with ``mutation_prob``) plus ``crossover_size`` uniform crossovers of two distinct random parents.
Every candidate meets the cheap constraints: violators are redrawn, a bounded number of times.

Selection of the parents, on several objectives: ``pareto`` (the default) keeps the best by the ranking every
searcher shares (Pareto rank, then crowding distance); ``random-scalarisation`` is HAT's single-objective selection
made multi-objective by random scalarisations (Paria et al., 2019): each parent slot draws its own weight vector
(uniform on the simplex) and takes the best arch not chosen yet under the weighted Chebyshev distance to the ideal
point (objectives min-max normalised over the pool), so one generation's parents spread over the whole front. The
``evolution-rs`` searcher is this evolution with that selection. Infeasible and failed records follow the feasible
ones in the shared ranking's order in both modes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal, cast

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
    selection: Literal["pareto", "random-scalarisation"] = Field(
        "pareto", description="how parents are kept on several objectives (see the module doc)"
    )


class ScalarisedEvolutionOptions(EvolutionOptions):
    """HAT's evolution with random-scalarisation selection (the ``evolution-rs`` searcher)."""

    selection: Literal["pareto", "random-scalarisation"] = Field(
        "random-scalarisation", description="how parents are kept on several objectives (see the module doc)"
    )


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
        selection: str = "pareto",
        max_retries: int = 1000,
    ) -> None:
        if parents < 1 or mutation_size < 0 or crossover_size < 0 or not 0.0 <= mutation_prob <= 1.0:
            raise ValueError("evolution needs parents >= 1, sizes >= 0 and 0 <= mutation_prob <= 1")
        if selection not in ("pareto", "random-scalarisation"):
            raise ValueError(f"selection must be 'pareto' or 'random-scalarisation', got {selection!r}")
        self.selection = selection
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
        ranked = rank_records(list(pool.values()))
        if self.selection == "pareto":
            self.parent_records = ranked[: self.parents]
        else:
            self.parent_records = self._scalarised(ranked)[: self.parents]

    def retained(self) -> list[Arch]:
        return [r.arch for r in self.parent_records]

    def rescore(self, records: Sequence[Record]) -> None:
        """The parents under a new fitness: re-ranked on their new records alone (the old ones measure another
        metric)."""
        self.parent_records = []
        self.tell(records)

    def _scalarised(self, ranked: list[Record]) -> list[Record]:
        """Feasible records picked one parent slot at a time, each under its own random weights (module doc);
        the rest in ``ranked``'s order behind them."""
        feasible = [r for r in ranked if r.status == "ok"]
        rest = [r for r in ranked if r.status != "ok"]
        if len(feasible) < 2:
            return ranked
        points = np.array([r.objectives for r in feasible], dtype=float)
        low, high = points.min(axis=0), points.max(axis=0)
        scaled = (points - low) / np.where(high > low, high - low, 1.0)
        free = np.ones(len(feasible), dtype=bool)
        chosen: list[Record] = []
        for _ in range(min(self.parents, len(feasible))):
            weights = self.rng.dirichlet(np.ones(points.shape[1]))
            score = np.where(free, (scaled * weights).max(axis=1), np.inf)
            pick = int(np.argmin(score))  # ties: the better-ranked record
            free[pick] = False
            chosen.append(feasible[pick])
        return chosen + [feasible[i] for i in np.flatnonzero(free)] + rest

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
