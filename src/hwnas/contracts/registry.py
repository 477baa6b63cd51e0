"""One registry type for every kind of component: a name maps to an implementation, the options model it takes
and a one-line summary. Built-ins register a ``"module:attribute"`` string, imported on first use, so a registry
costs nothing until asked and a lower layer can name an implementation that lives in a higher one without
importing it; plugins (:mod:`hwnas.contracts.plugins`) register objects directly.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from hwnas.contracts.options import NoOptions, Options, describe_options, validate_options
from hwnas.contracts.plugins import load_plugins
from hwnas.core.errors import UnknownNameError

T = TypeVar("T")


@dataclass(frozen=True)
class Entry(Generic[T]):
    name: str
    target: T | str  # the implementation, or "module:attribute" imported on first use
    options: type[Options] | str  # its options model, or "module:attribute"
    summary: str


def _resolve(reference: Any) -> Any:
    if not isinstance(reference, str):
        return reference
    module, _, attribute = reference.partition(":")
    return getattr(importlib.import_module(module), attribute)


class Registry(Generic[T]):
    """Name -> implementation of one kind (``kind`` names it in errors: "searcher", "evaluator", ...).

    ``providers`` are modules that register built-in entries (e.g. each package registering the evaluators it
    implements); they are imported on the first read, before the plugins, so a lower layer can own a registry
    that higher layers fill without importing them."""

    def __init__(self, kind: str, *, providers: Sequence[str] = ()) -> None:
        self.kind = kind
        self._entries: dict[str, Entry[T]] = {}
        self._providers = tuple(providers)
        self._provided = False

    def _load(self) -> None:
        if not self._provided:
            self._provided = True  # first: a provider that reads the registry while importing does not recurse
            for module in self._providers:
                importlib.import_module(module)
        load_plugins()

    def register(
        self, name: str, target: T | str, *, options: type[Options] | str = NoOptions, summary: str = ""
    ) -> None:
        """Make ``target`` available under ``name`` (registering a name again replaces it)."""
        if not name or any(c.isspace() for c in name):
            raise ValueError(f"{self.kind} name {name!r} must be non-empty without spaces")
        self._entries[name] = Entry(name, target, options, summary)

    def names(self) -> list[str]:
        self._load()
        return sorted(self._entries)

    def entry(self, name: str) -> Entry[T]:
        self._load()
        if name not in self._entries:
            raise UnknownNameError(self.kind, name, list(self._entries))
        return self._entries[name]

    def get(self, name: str) -> T:
        """The implementation registered as ``name`` (imported now if registered by reference)."""
        target: T = _resolve(self.entry(name).target)
        return target

    def options_model(self, name: str) -> type[Options]:
        model: type[Options] = _resolve(self.entry(name).options)
        return model

    def options(self, name: str, values: Mapping[str, Any] | None = None) -> Options:
        """``values`` validated against the options model of ``name`` (defaults for what is not given)."""
        return validate_options(self.options_model(name), dict(values or {}), where=f"{self.kind} {name!r}")

    def describe(self, name: str) -> dict[str, Any]:
        """Name, summary and one row per option (key, type, default, doc)."""
        entry = self.entry(name)
        return {
            "kind": self.kind,
            "name": name,
            "summary": entry.summary,
            "options": describe_options(self.options_model(name)),
        }
