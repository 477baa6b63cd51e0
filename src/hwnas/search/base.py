"""The one bounded-retry helper every searcher uses to meet constraints. The searcher contract (ask / tell,
:class:`Rescorable`, :class:`SearcherClass`) lives in :mod:`hwnas.contracts.searcher` and is re-exported here for
code written against hwnas 0.1."""

from __future__ import annotations

from collections.abc import Callable

from hwnas.contracts.searcher import FeasibleFn, Rescorable, Searcher, SearcherClass, SearchSettings
from hwnas.core.arch import Arch
from hwnas.core.errors import ConstraintError

__all__ = ["FeasibleFn", "Rescorable", "SearchSettings", "Searcher", "SearcherClass", "accept_all", "draw_feasible"]


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
