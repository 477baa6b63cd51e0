"""Domain errors. Each names the field, the value and what is allowed, so the CLI can print one clear line."""

from __future__ import annotations

from collections.abc import Sequence


class HwnasError(Exception):
    """Base class of every error hwnas raises on purpose (the CLI turns these into exit code 2)."""


class InvalidArchError(HwnasError, ValueError):
    """An architecture does not belong to its search space."""

    def __init__(self, space: str, gene: str, value: object, allowed: Sequence[object] | str) -> None:
        self.space, self.gene, self.value, self.allowed = space, gene, value, allowed
        allowed_text = allowed if isinstance(allowed, str) else ", ".join(map(repr, allowed))
        super().__init__(f"space {space!r}: gene {gene!r} has value {value!r}; allowed: {allowed_text}")


class SpaceDefinitionError(HwnasError, ValueError):
    """A search-space YAML file is malformed."""


class UnknownNameError(HwnasError, KeyError):
    """A registry lookup failed; the message lists what is registered."""

    def __init__(self, kind: str, name: str, known: Sequence[str]) -> None:
        self.kind, self.name, self.known = kind, name, list(known)
        super().__init__(f"unknown {kind} {name!r}; known: {', '.join(sorted(known)) or '(none)'}")

    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0])


class ConstraintError(HwnasError, ValueError):
    """A constraint is malformed or cannot be satisfied by the space."""


class DataError(HwnasError, ValueError):
    """Input data is missing or malformed (the message says which file, which field, and what to do)."""


class ConfigError(HwnasError, ValueError):
    """A configuration value is invalid."""


class MachineBusyError(HwnasError, RuntimeError):
    """The machine is too busy to measure latency (the message says how busy, the limit, and what to do)."""
