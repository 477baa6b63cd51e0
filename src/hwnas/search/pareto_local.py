"""Pareto local search (Paquete et al., 2004): multi-objective local search with an archive.

The archive is the set of feasible non-dominated archs evaluated so far. The first batch is random (a
multi-start). Afterwards each batch is taken from a queue of untried one-decision neighbours (``space.neighbors``)
of archive members: when the queue runs dry, a random archive member that still has untried feasible neighbours
has ``moves_per_visit`` of them (a random draw) queued. Visiting members a few moves at a time spreads the budget
along the whole front: a large space has hundreds of neighbours per arch, and exploring one member's fully before
the next would spend a short budget on a few points of the front. An arch that joins the archive becomes a member
to explore; one that leaves it (dominated by a newcomer) is not visited any more, but neighbours already queued stay
queued. When no member has an untried neighbour (a Pareto local optimum), the next batch is a random restart.

With one objective the archive is the single best arch and this is first-improvement hill climbing over the whole
neighbourhood; with several it walks along the whole front at once instead of one scalarised point.
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
from hwnas.search.base import accept_all, draw_feasible_many, feasible_many
from hwnas.search.ranking import pareto_records


class ParetoLocalOptions(Options):
    moves_per_visit: int = Field(3, ge=1, description="untried neighbours queued per visit of an archive member")


class ParetoLocalSearcher:
    def __init__(
        self,
        space: SearchSpace,
        *,
        rng: np.random.Generator,
        feasible: FeasibleFn = accept_all,
        moves_per_visit: int = 3,
        max_retries: int = 1000,
    ) -> None:
        if moves_per_visit < 1:
            raise ValueError(f"moves_per_visit must be >= 1, got {moves_per_visit}")
        self.space, self.rng, self.feasible, self.max_retries = space, rng, feasible, max_retries
        self.moves_per_visit = moves_per_visit
        self.archive: list[Record] = []
        self.pending: dict[str, list[Arch]] = {}  # per visited member: its feasible neighbours not queued yet
        self.queue: list[Arch] = []
        self.tried: set[str] = set()  # asked (or told) archs: never queued again
        self.restarts = 0

    @classmethod
    def from_config(
        cls, space: SearchSpace, config: SearchSettings, *, rng: np.random.Generator, feasible: FeasibleFn
    ) -> ParetoLocalSearcher:
        options = cast(ParetoLocalOptions, config.searcher_options())
        return cls(space, rng=rng, feasible=feasible, max_retries=config.max_retries, **options.model_dump())

    def ask(self, n: int) -> list[Arch]:
        batch: list[Arch] = []
        while len(batch) < n:
            if not self.queue and not self._explore_next():
                break
            arch = self.queue.pop(0)
            if arch.arch_id not in self.tried:
                self.tried.add(arch.arch_id)
                batch.append(arch)
        if batch:
            return batch
        if self.archive:
            self.restarts += 1
        propose = lambda: self.space.sample(self.rng)  # noqa: E731
        drawn = draw_feasible_many(propose, self.feasible, n, max_tries=self.max_retries, what="random arch")
        self.tried.update(a.arch_id for a in drawn)
        return drawn

    def tell(self, records: Sequence[Record]) -> None:
        self.tried.update(r.arch.arch_id for r in records)
        if any(r.status == "ok" for r in records):
            self.archive = pareto_records([*self.archive, *records])

    def retained(self) -> list[Arch]:
        return [r.arch for r in self.archive]

    def rescore(self, records: Sequence[Record]) -> None:
        """The archive under a new fitness: rebuilt from the new records of its archs, every member's neighbours
        worth a visit again (they compare differently now); the queue is kept."""
        self.archive = pareto_records(records)
        self.pending.clear()
        self.tried = {r.arch.arch_id for r in records}

    def _explore_next(self) -> bool:
        """Queue a few untried feasible neighbours of a random archive member that has some; False when none has."""
        while True:
            open_members = [r.arch for r in self.archive if self.pending.get(r.arch.arch_id) != []]
            if not open_members:
                return False
            member = open_members[int(self.rng.integers(len(open_members)))]
            if member.arch_id not in self.pending:
                self.pending[member.arch_id] = self._shuffled_neighbours(member)
            left = self.pending[member.arch_id]
            moves = [a for a in left[: self.moves_per_visit] if a.arch_id not in self.tried]
            self.pending[member.arch_id] = left[self.moves_per_visit :]
            if moves:
                self.queue.extend(moves)
                return True

    def _shuffled_neighbours(self, member: Arch) -> list[Arch]:
        untried = [a for a in self.space.neighbors(member) if a.arch_id not in self.tried]
        candidates = [a for a, ok in zip(untried, feasible_many(self.feasible, untried), strict=True) if ok]
        return [candidates[int(i)] for i in self.rng.permutation(len(candidates))]
