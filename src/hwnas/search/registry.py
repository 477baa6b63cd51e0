"""The searcher registry's 0.1 functions, over :data:`hwnas.contracts.searcher.SEARCHERS` (where built-ins and
plugins register, each with its options model)."""

from __future__ import annotations

from hwnas.contracts.options import NoOptions, Options
from hwnas.contracts.searcher import SEARCHERS, SearcherClass


def register_searcher(name: str, cls: SearcherClass, *, options: type[Options] = NoOptions, summary: str = "") -> None:
    """Make ``cls`` available as ``--searcher NAME``; it needs a ``from_config`` classmethod."""
    SEARCHERS.register(name, cls, options=options, summary=summary)


def searcher_names() -> list[str]:
    return SEARCHERS.names()


def get_searcher_class(name: str) -> SearcherClass:
    return SEARCHERS.get(name)
