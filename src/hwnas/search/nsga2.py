"""NSGA-II (Deb et al., 2002) through pymoo's implementation, on the ask/tell loop.

The genome is the arch's integer index vector (:func:`hwnas.encodings.index_vector`: one option index per decision,
per-layer decisions padded to the maximum depth); pymoo's integer random sampling, simulated binary crossover and
polynomial mutation with rounding (its recommended operators for integer variables), binary tournament selection
and rank-and-crowding survival do the rest, with duplicates eliminated. pymoo is the maintained reference
implementation of the algorithm, so hwnas does not keep its own.

Constraints: an offspring that breaks a cheap constraint is replaced by a random arch that meets them (and its
genome with it), as every searcher redraws violators; the constraints only known after evaluation go to pymoo as
the total violation, and NSGA-II's constraint-domination (feasible first, then by violation) handles them; failed
evaluations rank last. Every generation is ``population`` archs (the first is
random). A run replayed with the same seed and records asks the same archs: pymoo draws from its own generator,
seeded from the run's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

import numpy as np
from pydantic import Field

from hwnas.contracts.options import Options
from hwnas.contracts.record import Record
from hwnas.contracts.searcher import FeasibleFn, SearchSettings
from hwnas.core.arch import Arch
from hwnas.core.space import SearchSpace
from hwnas.encodings.vectors import choice_counts, from_index_vector, index_vector
from hwnas.search.base import accept_all, draw_feasible_many, feasible_many

WORST = 1e30  # the objective value pymoo sees for an arch without one (failed or not evaluated)


class NSGA2Options(Options):
    crossover_prob: float = Field(0.9, ge=0.0, le=1.0, description="probability of SBX crossover per mating")
    crossover_eta: float = Field(15.0, gt=0.0, description="SBX distribution index (larger: children nearer parents)")
    mutation_eta: float = Field(20.0, gt=0.0, description="polynomial mutation distribution index")


class NSGA2Searcher:
    def __init__(
        self,
        space: SearchSpace,
        *,
        rng: np.random.Generator,
        population: int,
        feasible: FeasibleFn = accept_all,
        crossover_prob: float = 0.9,
        crossover_eta: float = 15.0,
        mutation_eta: float = 20.0,
        max_retries: int = 1000,
    ) -> None:
        from pymoo.algorithms.moo.nsga2 import NSGA2  # type: ignore[import-untyped]
        from pymoo.operators.crossover.sbx import SBX  # type: ignore[import-untyped]
        from pymoo.operators.mutation.pm import PM  # type: ignore[import-untyped]
        from pymoo.operators.repair.rounding import RoundingRepair  # type: ignore[import-untyped]
        from pymoo.operators.sampling.rnd import IntegerRandomSampling  # type: ignore[import-untyped]

        self.space, self.feasible = space, feasible
        counts = choice_counts(space)
        self.algorithm = NSGA2(
            pop_size=population,
            sampling=IntegerRandomSampling(),
            crossover=SBX(prob=crossover_prob, eta=crossover_eta, vtype=float, repair=RoundingRepair()),
            mutation=PM(eta=mutation_eta, vtype=float, repair=RoundingRepair()),
            eliminate_duplicates=True,
        )
        self._counts, self._rng, self.max_retries = counts, rng, max_retries
        self._ready = False

    @classmethod
    def from_config(
        cls, space: SearchSpace, config: SearchSettings, *, rng: np.random.Generator, feasible: FeasibleFn
    ) -> NSGA2Searcher:
        options = cast(NSGA2Options, config.searcher_options())
        return cls(
            space, rng=rng, population=config.population, feasible=feasible, max_retries=config.max_retries,
            **options.model_dump(),
        )  # fmt: skip

    def _setup(self) -> None:
        """pymoo's algorithm on an integer problem of the genome's bounds, seeded from the run's generator. The
        objective count is set from the records at each tell (pymoo reads it only when it evaluates); the
        algorithm never terminates on its own: the run's budget ends it."""
        from pymoo.core.problem import Problem  # type: ignore[import-untyped]

        problem = Problem(n_var=len(self._counts), n_obj=2, n_ieq_constr=1, xl=0, xu=self._counts - 1, vtype=int)
        seed = int(self._rng.integers(2**31 - 1))
        self.algorithm.setup(problem, termination=("n_gen", 2**62), seed=seed, verbose=False)
        self._ready = True

    def ask(self, n: int) -> list[Arch]:
        """pymoo's next generation (the first: random; at most ``n`` of it when seeds fill the rest)."""
        if not self._ready:
            self._setup()
        first = self.algorithm.pop is None
        asked = self.algorithm.ask()
        if asked is None or len(asked) == 0:
            return []  # no offspring left that is not a duplicate
        genomes = asked.get("X")[: max(n, 1)] if first else asked.get("X")
        archs = [from_index_vector(x, self.space) for x in genomes]
        broken = [i for i, ok in enumerate(feasible_many(self.feasible, archs)) if not ok]
        if broken:  # offspring that break a cheap constraint are redrawn at random
            drawn = draw_feasible_many(
                lambda: self.space.sample(self._rng), self.feasible, len(broken), max_tries=self.max_retries,
                what="NSGA-II replacement",
            )  # fmt: skip
            for i, arch in zip(broken, drawn, strict=True):
                archs[i] = arch
        return archs

    def tell(self, records: Sequence[Record]) -> None:
        """The records (asked archs, seeds, or fewer when the budget ran out) join pymoo's population as evaluated
        individuals: genome, objectives, total violation (failed archs rank last)."""
        from pymoo.core.evaluator import Evaluator  # type: ignore[import-untyped]
        from pymoo.core.population import Population  # type: ignore[import-untyped]
        from pymoo.problems.static import StaticProblem  # type: ignore[import-untyped]

        if not records or not self._ready:
            return
        self.algorithm.problem.n_obj = len(records[0].objectives)
        genomes = np.array([index_vector(r.arch, self.space) for r in records])
        objectives = np.array([[v if np.isfinite(v) else WORST for v in r.objectives] for r in records])
        violation = np.array([[WORST if r.status == "failed" else float(r.violation)] for r in records])
        population = Population.new("X", genomes)
        Evaluator().eval(StaticProblem(self.algorithm.problem, F=objectives, G=violation), population)
        self.algorithm.tell(infills=population)

    def retained(self) -> list[Arch]:
        """The current population (the survivors of the last generation)."""
        if self.algorithm.pop is None:
            return []
        return [from_index_vector(x, self.space) for x in self.algorithm.pop.get("X")]
