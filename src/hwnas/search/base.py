"""The searcher contract (ask / tell) and the one bounded-retry helper every searcher uses to meet constraints.

Searchers propose architectures and learn from records; they never evaluate, never do I/O and draw randomness
only from the numpy Generator they are given, so a run replayed with the same seed and the same records asks
for exactly the same archs (that is how ``--resume`` works).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Protocol, TypeAlias, runtime_checkable

import numpy as np

from hwnas.core.arch import Arch
from hwnas.core.errors import ConstraintError
from hwnas.core.space import SearchSpace
from hwnas.search.records import Record

if TYPE_CHECKING:
    from hwnas.search.config import SearchConfig

FeasibleFn: TypeAlias = Callable[[Arch], bool]
"""Answers whether an arch meets the CHEAP constraints (those computable without an expensive evaluation)."""


@runtime_checkable
class Searcher(Protocol):
    def ask(self, n: int) -> list[Arch]:
        """The next candidates: ``n`` is the batch size the loop suggests (evolution's later generations have
        their own size, ``mutation_size + crossover_size``). An empty list means the searcher is exhausted."""
        ...

    def tell(self, records: Sequence[Record]) -> None:
        """The records of the archs returned by the last :meth:`ask` (in the same order; some may be missing
        when the evaluation budget ran out)."""
        ...


@runtime_checkable
class Rescorable(Protocol):
    """What a searcher needs for a fitness schedule (hybrid search). When the fitness changes, the records a searcher
    keeps between asks (evolution's parents, local search's current arch) measure the old metric; the loop has
    their archs evaluated under the new fitness and hands the new records back, so a searcher never compares
    values of two different metrics."""

    def retained(self) -> list[Arch]:
        """The archs whose records the searcher keeps between asks (none for a memoryless searcher)."""
        ...

    def rescore(self, records: Sequence[Record]) -> None:
        """Replace the kept records by these (the :meth:`retained` archs under the new fitness, same order; some
        may be missing when the evaluation budget ran out)."""
        ...


class SearcherClass(Protocol):
    """What the searcher registry stores: a class that builds itself from the run config."""

    def from_config(
        self, space: SearchSpace, config: SearchConfig, *, rng: np.random.Generator, feasible: FeasibleFn
    ) -> Searcher: ...


def draw_feasible(propose: Callable[[], Arch], feasible: FeasibleFn, *, max_tries: int, what: str) -> Arch:
    """Call ``propose`` until it returns an arch that ``feasible`` accepts, at most ``max_tries`` times.

    Raises :class:`ConstraintError` instead of looping forever when the constraints cannot be met (the bug this
    one helper exists to avoid: retry loops whose counter is never incremented).
    """
    if max_tries < 1:
        raise ValueError(f"max_tries must be >= 1, got {max_tries}")
    for _ in range(max_tries):
        arch = propose()
        if feasible(arch):
            return arch
    raise ConstraintError(
        f"no {what} met the constraints in {max_tries} tries; the space may not contain such archs "
        "(loosen the constraints or raise max_retries)"
    )


def accept_all(arch: Arch) -> bool:
    """The feasibility callback of an unconstrained search."""
    return True
