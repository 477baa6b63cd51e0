"""Searcher registry: name -> class (built-ins are imported only when asked for)."""

from __future__ import annotations

import importlib

from hwnas.core.errors import UnknownNameError
from hwnas.search.base import SearcherClass
from hwnas.search.plugins import load_plugins

_BUILTIN = {
    "evolution": "hwnas.search.evolution:EvolutionSearcher",
    "random": "hwnas.search.random_search:RandomSearcher",
    "local": "hwnas.search.local:LocalSearcher",
}
_REGISTERED: dict[str, SearcherClass] = {}


def register_searcher(name: str, cls: SearcherClass) -> None:
    """Make ``cls`` available as ``--algorithm NAME``; it needs a ``from_config`` classmethod."""
    _REGISTERED[name] = cls


def searcher_names() -> list[str]:
    load_plugins()
    return sorted({*_BUILTIN, *_REGISTERED})


def get_searcher_class(name: str) -> SearcherClass:
    load_plugins()
    if name in _REGISTERED:
        return _REGISTERED[name]
    if name not in _BUILTIN:
        raise UnknownNameError("search algorithm", name, searcher_names())
    module, attr = _BUILTIN[name].split(":")
    cls: SearcherClass = getattr(importlib.import_module(module), attr)
    return cls
