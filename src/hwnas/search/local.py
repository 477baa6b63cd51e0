"""Local search: steepest-ascent hill climbing over one-decision moves (``space.neighbors``), with restarts.

The first batch is ``n`` random archs (a multi-start); the best becomes the current arch. Each later batch is up
to ``n`` untried feasible neighbors of the current arch, in random order; the current arch moves to the best of
them when that one ranks strictly above it. When every neighbor has been tried without a move (a local optimum),
the next batch is a fresh random multi-start.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from hwnas.contracts.record import Record
from hwnas.contracts.searcher import FeasibleFn, SearchSettings
from hwnas.core.arch import Arch
from hwnas.core.space import SearchSpace
from hwnas.search.base import accept_all, draw_feasible_many, feasible_many
from hwnas.search.ranking import rank_records


class LocalSearcher:
    def __init__(
        self,
        space: SearchSpace,
        *,
        rng: np.random.Generator,
        feasible: FeasibleFn = accept_all,
        max_retries: int = 1000,
    ) -> None:
        self.space, self.rng, self.feasible, self.max_retries = space, rng, feasible, max_retries
        self.current: Record | None = None
        self.untried: list[Arch] = []
        self.tried: set[str] = set()
        self.restarts = 0

    @classmethod
    def from_config(
        cls, space: SearchSpace, config: SearchSettings, *, rng: np.random.Generator, feasible: FeasibleFn
    ) -> LocalSearcher:
        return cls(space, rng=rng, feasible=feasible, max_retries=config.max_retries)

    def ask(self, n: int) -> list[Arch]:
        if self.untried:
            batch, self.untried = self.untried[:n], self.untried[n:]
            return batch
        if self.current is not None:
            self.restarts += 1
        self.current = None
        propose = lambda: self.space.sample(self.rng)  # noqa: E731
        return draw_feasible_many(propose, self.feasible, n, max_tries=self.max_retries, what="random arch")

    def tell(self, records: Sequence[Record]) -> None:
        self.tried.update(r.arch.arch_id for r in records)
        if not records:
            return
        contenders = [self.current, *records] if self.current is not None else list(records)
        best = rank_records(contenders)[0]
        if best is self.current:
            return
        self.current = best
        self.untried = self._untried_neighbors(best.arch)

    def retained(self) -> list[Arch]:
        return [self.current.arch] if self.current is not None else []

    def rescore(self, records: Sequence[Record]) -> None:
        """The current arch under a new fitness. Archs tried under the old one may be worth a visit again, so only
        the current arch stays marked as tried; the queued neighbors stay queued."""
        self.current = records[0] if records else None
        self.tried = {r.arch.arch_id for r in records}

    def _untried_neighbors(self, arch: Arch) -> list[Arch]:
        """Feasible one-move neighbors not evaluated yet, shuffled so ties do not always favour the first gene."""
        untried = [a for a in self.space.neighbors(arch) if a.arch_id not in self.tried]
        candidates = [a for a, ok in zip(untried, feasible_many(self.feasible, untried), strict=True) if ok]
        order = self.rng.permutation(len(candidates))
        return [candidates[int(i)] for i in order]
