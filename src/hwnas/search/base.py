"""The one bounded-retry helper every searcher uses to meet constraints. The searcher contract (ask / tell,
:class:`Rescorable`, :class:`SearcherClass`) lives in :mod:`hwnas.contracts.searcher` and is re-exported here for
code written against hwnas 0.1."""

from __future__ import annotations

from collections.abc import Callable

from hwnas.contracts.searcher import (
    Feasibility,
    FeasibleFn,
    Replayable,
    Rescorable,
    Searcher,
    SearcherClass,
    SearchSettings,
    feasible_many,
)
from hwnas.core.arch import Arch
from hwnas.core.errors import ConstraintError

__all__ = [
    "Feasibility",
    "FeasibleFn",
    "Replayable",
    "Rescorable",
    "SearchSettings",
    "Searcher",
    "SearcherClass",
    "accept_all",
    "draw_feasible",
    "draw_feasible_many",
    "feasible_many",
]


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
    raise _exhausted(what, max_tries)


def draw_feasible_many(
    propose: Callable[[], Arch], feasible: FeasibleFn, n: int, *, max_tries: int, what: str
) -> list[Arch]:
    """``n`` archs, each the first feasible one of at most ``max_tries`` proposals: the same archs, from the same
    proposals in the same order, as ``n`` calls of :func:`draw_feasible`, but screened a round at a time.

    Each round proposes as many archs as are still missing, so it never proposes past the point where the one-at-a-
    time loop would have stopped (the random stream, and so the whole run, is unchanged); a batch-capable
    ``feasible`` (:class:`Feasibility`) then answers the round in one call."""
    if max_tries < 1:
        raise ValueError(f"max_tries must be >= 1, got {max_tries}")
    found: list[Arch] = []
    misses = 0  # consecutive infeasible proposals for the arch being drawn
    while len(found) < n:
        proposals = [propose() for _ in range(n - len(found))]
        for arch, ok in zip(proposals, feasible_many(feasible, proposals), strict=True):
            if ok:
                found.append(arch)
                misses = 0
                continue
            misses += 1
            if misses >= max_tries:
                raise _exhausted(what, max_tries)
    return found


def _exhausted(what: str, max_tries: int) -> ConstraintError:
    return ConstraintError(
        f"no {what} met the constraints in {max_tries} tries; the space may not contain such archs "
        "(loosen the constraints or raise max_retries)"
    )


def accept_all(arch: Arch) -> bool:
    """The feasibility callback of an unconstrained search."""
    return True
