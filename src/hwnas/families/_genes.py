"""The one gene reader every family decodes with: typed access to an arch's genes and a space's constants, each
malformed value an :class:`InvalidArchError` (or :class:`SpaceDefinitionError`) that names it."""

from __future__ import annotations

from hwnas.core.arch import Arch
from hwnas.core.errors import InvalidArchError, SpaceDefinitionError
from hwnas.core.space import SearchSpace


def int_constant(space: SearchSpace, name: str, default: int) -> int:
    """A positive integer constant of the space, or ``default`` when the space does not define it."""
    value = space.constants.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise SpaceDefinitionError(f"space {space.name!r}: constant {name!r} must be a positive integer, not {value!r}")
    return value


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class GeneReader:
    """Reads one arch's genes; a missing or malformed gene raises :class:`InvalidArchError` naming it."""

    def __init__(self, arch: Arch) -> None:
        self.arch = arch

    def _value(self, name: str) -> object:
        if name not in self.arch:
            raise InvalidArchError(self.arch.space, name, "(missing)", f"a value for gene {name!r}")
        return self.arch[name]

    def scalar(self, name: str) -> int:
        value = self._value(name)
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidArchError(self.arch.space, name, value, "an integer")
        return value

    def flag(self, name: str) -> bool:
        return bool(self._value(name))

    def layers(self, name: str, count: int | None = None) -> tuple[int, ...]:
        """A per-layer integer gene, one entry per active layer (``count`` of them when given)."""
        value = self._value(name)
        if not isinstance(value, tuple) or not all(_is_int(v) for v in value) or count not in (None, len(value)):
            wanted = f"a list of {count} integers" if count is not None else "a list of integers"
            raise InvalidArchError(self.arch.space, name, value, f"{wanted}, one per layer")
        return tuple(int(v) for v in value)

    def ops(self, name: str) -> tuple[str, ...]:
        """A per-layer gene of named operations, one entry per active layer."""
        value = self._value(name)
        if not isinstance(value, tuple):
            raise InvalidArchError(self.arch.space, name, value, "a list of operation names, one per layer")
        return tuple(str(v) for v in value)
