"""Merging config layers (stored run config, ``--config`` file, CLI flags) into the one shape `SearchConfig` holds:
a ``{name, options}`` block for the searcher and the executor, and one ``{name, options, devices}`` block per
evaluator.

Layers may still use the keys of hwnas 0.1, kept as aliases that fill those blocks: ``algorithm`` names the
searcher; ``parents``, ``mutation_size``, ``mutation_prob`` and ``crossover_size`` are evolution's options. As
before, such an alias is ignored by a searcher that has no option of that name (``--algorithm random --parents 5``
runs); an option given in a ``searcher`` block must be one the searcher declares.

Later layers win key by key; a layer that names another searcher (executor) drops the options given for the
previous one. A later ``evaluators`` list chooses the evaluators that run in every phase; options given for an
evaluator in any layer merge, later winning. ``evaluator_options`` (``{NAME: {options: {...}, devices: [...]}}``,
or ``{NAME: {KEY: VALUE}}`` as ``--evaluator-opt NAME.KEY=VALUE`` gives it) sets options of evaluator NAME: in its
block when it is listed, else kept by name for an evaluator the run adds itself (the fitness, a schedule phase's,
latency-model).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from hwnas.core.errors import ConfigError

SEARCHER_ALIASES = ("parents", "mutation_size", "mutation_prob", "crossover_size")
ALIAS_KEYS = ("algorithm", *SEARCHER_ALIASES)
DEFAULT_SEARCHER = "evolution"
DEFAULT_EVALUATORS = ("analytic",)
DEFAULT_EXECUTOR = "serial"


@dataclass
class _Block:
    """One component's block merged over layers: option key -> (value, given through an alias)."""

    name: str | None = None
    options: dict[str, tuple[Any, bool]] = field(default_factory=dict)

    def apply(self, value: Any, where: str, aliases: Mapping[str, Any] | None = None) -> None:
        name, options = _split_block(value, where)
        aliases = aliases or {}
        if name is not None and self.name is not None and name != self.name:
            self.options = {}
        self.name = name or self.name
        self.options.update({k: (v, True) for k, v in aliases.items()})
        self.options.update({k: (v, False) for k, v in options.items()})

    def block(self, default: str, declared: Callable[[str], Collection[str]]) -> dict[str, Any]:
        name = self.name or default
        aliased = any(alias for _, alias in self.options.values())
        known = declared(name) if aliased else ()
        options = {k: v for k, (v, alias) in self.options.items() if not alias or k in known}
        return {"name": name, "options": options}


def _split_block(value: Any, where: str) -> tuple[str | None, dict[str, Any]]:
    """``NAME`` or ``{name: NAME, options: {...}}`` (either part may be missing) -> (name, options)."""
    if value is None:
        return None, {}
    if hasattr(value, "model_dump"):  # a Component given as an object
        value = value.model_dump()
    if isinstance(value, str):
        return value, {}
    if not isinstance(value, Mapping):
        raise ConfigError(f"config key {where!r} must be a name or a {{name, options}} mapping, not {value!r}")
    unknown = sorted(set(value) - {"name", "options"})
    if unknown:
        raise ConfigError(f"config key {where!r}: unknown key {unknown[0]!r}; allowed: name, options")
    options = value.get("options") or {}
    if not isinstance(options, Mapping):
        raise ConfigError(f"config key '{where}.options' must be a mapping of option to value, not {options!r}")
    return value.get("name"), dict(options)


def _evaluator_items(value: Any) -> list[dict[str, Any]]:
    """An ``evaluators`` value (a name, or a list of names and ``{name, options, devices}`` blocks) as blocks."""
    items = [value] if isinstance(value, str | Mapping) or hasattr(value, "model_dump") else list(value)
    blocks = []
    for item in items:
        item = item.model_dump() if hasattr(item, "model_dump") else item
        if isinstance(item, str):
            blocks.append({"name": item})
        elif isinstance(item, Mapping) and isinstance(item.get("name"), str):
            blocks.append(dict(item))
        else:
            raise ConfigError(f"config key 'evaluators': {item!r} is neither a name nor a {{name, options}} block")
    return blocks


class _Evaluators:
    """The evaluator blocks merged over layers."""

    def __init__(self) -> None:
        self.names: list[str] | None = None  # the last list given
        self.options: dict[str, dict[str, Any]] = {}
        self.devices: dict[str, Any] = {}

    def apply_list(self, value: Any) -> None:
        blocks = _evaluator_items(value)
        self.names = [b["name"] for b in blocks]
        for b in blocks:
            unknown = sorted(set(b) - {"name", "options", "devices"})
            if unknown:
                raise ConfigError(
                    f"evaluator {b['name']!r}: unknown block key {unknown[0]!r}; allowed: name, options, devices"
                )
            self._set(b["name"], b.get("options") or {}, b.get("devices"))

    def apply_options(self, value: Any) -> None:
        if not isinstance(value, Mapping):
            raise ConfigError(f"config key 'evaluator_options' must map evaluator names to options, not {value!r}")
        for name, given in value.items():
            given = dict(given or {})
            if set(given) <= {"options", "devices"} and isinstance(given.get("options", {}), Mapping):
                options, devices = dict(given.get("options") or {}), given.get("devices")  # the stored form
            else:
                devices = given.pop("devices", None)
                options = given
            self._set(str(name), options, devices)

    def _set(self, name: str, options: Mapping[str, Any], devices: Any) -> None:
        if not isinstance(options, Mapping):
            raise ConfigError(f"evaluator {name!r}: options must be a mapping of option to value, not {options!r}")
        self.options.setdefault(name, {}).update(options)
        if devices is not None:
            self.devices[name] = devices

    def blocks(self) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
        """The listed evaluators' blocks, and the settings of the others that were given options."""
        names = list(self.names if self.names is not None else DEFAULT_EVALUATORS)
        listed = [{"name": n, **self._settings(n)} for n in names]
        others = {n: self._settings(n) for n in self.options if n not in names}
        return listed, others

    def _settings(self, name: str) -> dict[str, Any]:
        return {"options": self.options.get(name, {}), "devices": self.devices.get(name, [])}


def merge_layers(layers: Iterable[Mapping[str, Any]], declared: Callable[[str], Collection[str]]) -> dict[str, Any]:
    """One mapping in `SearchConfig`'s shape (see the module docstring). ``declared(name)`` lists the options a
    searcher declares (to drop aliases it does not take)."""
    merged: dict[str, Any] = {}
    searcher, executor, evaluators = _Block(), _Block(), _Evaluators()
    for layer in layers:
        values = {k: v for k, v in layer.items() if v is not None}
        aliases = {k: values.pop(k) for k in SEARCHER_ALIASES if k in values}
        algorithm = values.pop("algorithm", None)
        searcher.apply(algorithm, "algorithm", aliases)
        searcher.apply(values.pop("searcher", None), "searcher")
        executor.apply(values.pop("executor", None), "executor")
        if "evaluators" in values:
            evaluators.apply_list(values.pop("evaluators"))
        if "evaluator_options" in values:
            evaluators.apply_options(values.pop("evaluator_options"))
        merged.update(values)
    merged["searcher"] = searcher.block(DEFAULT_SEARCHER, declared)
    merged["executor"] = executor.block(DEFAULT_EXECUTOR, lambda name: ())
    merged["evaluators"], merged["evaluator_options"] = evaluators.blocks()
    return merged
