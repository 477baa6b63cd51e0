"""The searcher contract: ask / tell, what a fitness schedule needs (:class:`Rescorable`), and how a registered
searcher is built from a run config (:class:`SearcherClass`).

Searchers propose architectures and learn from records; they never evaluate, never do I/O and draw randomness only
from the numpy Generator they are given, so a run replayed with the same seed and the same records asks for exactly
the same archs (that is how ``--resume`` works).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeAlias, runtime_checkable

import numpy as np

from hwnas.contracts.options import Options
from hwnas.contracts.record import Record
from hwnas.contracts.registry import Registry
from hwnas.core.arch import Arch
from hwnas.core.space import SearchSpace

FeasibleFn: TypeAlias = Callable[[Arch], bool]
"""Answers whether an arch meets the CHEAP constraints (those computable without an expensive evaluation). The one
a search loop gives its searcher is a :class:`Feasibility`, which also answers many archs at once."""


@dataclass(frozen=True)
class Feasibility:
    """A :data:`FeasibleFn` that can also screen a batch: ``one(arch)`` and ``many(archs)`` give the same verdicts,
    but ``many`` asks the screening evaluators once for the whole batch (a benchmark lookup costs about as much for
    one arch as for a hundred)."""

    one: Callable[[Arch], bool]
    batch: Callable[[Sequence[Arch]], list[bool]]

    def __call__(self, arch: Arch) -> bool:
        return self.one(arch)

    def many(self, archs: Sequence[Arch]) -> list[bool]:
        return self.batch(archs)


def feasible_many(feasible: FeasibleFn, archs: Sequence[Arch]) -> list[bool]:
    """The verdict of ``feasible`` on every arch, in one batch where it can screen batches (:class:`Feasibility`),
    else one arch at a time."""
    many = getattr(feasible, "many", None)
    verdicts = list(many(archs)) if callable(many) else [feasible(arch) for arch in archs]
    if len(verdicts) != len(archs):
        raise ValueError(f"feasibility returned {len(verdicts)} verdicts for {len(archs)} archs")
    return verdicts


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


@runtime_checkable
class Reporting(Protocol):
    """A searcher that accounts for itself (e.g. lm-searcher: how many picks came from the LLM, how many fell back):
    the loop writes :meth:`report` into ``result.json`` (``searcher``) and each iteration's journal entry."""

    def report(self) -> Mapping[str, Any]:
        """JSON-able counters or facts of the run so far."""
        ...


@runtime_checkable
class Replayable(Protocol):
    """A searcher whose asks depend on more than its seed and the records told, e.g. lm-searcher: an LLM request
    that failed (a time-out) was not cached and fell back, and asked again on resume it could be answered, so the
    resumed run would ask other archs than the journal records. Before it asks an iteration the journal already
    holds, the loop hands it that iteration's entry, so it takes the recorded picks instead of asking again."""

    def replay(self, asked: Sequence[str], report: Mapping[str, Any] | None) -> None:
        """The next :meth:`Searcher.ask` repeats an iteration that asked ``asked`` (arch ids, in order) and after
        which :meth:`Reporting.report` read ``report`` (None when the entry holds none)."""
        ...


class SearchSettings(Protocol):
    """What a searcher may read of the run config: the loop's batch size, the bounded-retry budget, and its own
    options (validated by the options model it registered)."""

    @property
    def population(self) -> int: ...

    @property
    def max_retries(self) -> int: ...

    def searcher_options(self) -> Options: ...


class SearcherClass(Protocol):
    """What the searcher registry stores: a class that builds itself from the run config. ``from_config`` must be
    cheap and draw nothing (the run builds one once to validate the options against the run, e.g. evolution's
    ``parents <= population``); it raises :class:`hwnas.core.errors.ConfigError` for a bad combination."""

    def from_config(
        self, space: SearchSpace, config: SearchSettings, *, rng: np.random.Generator, feasible: FeasibleFn
    ) -> Searcher: ...


SEARCHERS: Registry[SearcherClass] = Registry("searcher", providers=("hwnas.search.components",))
"""Searchers by name: the built-ins (registered by :mod:`hwnas.search.components`) and plugins' (``HWNAS_PLUGINS``)."""
