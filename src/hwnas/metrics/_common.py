"""Small helpers shared by the family counters: typed access to space constants and genes."""

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


def int_gene(arch: Arch, name: str) -> int:
    value = arch[name]
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidArchError(arch.space, name, value, "an integer")
    return value


def int_layers(arch: Arch, name: str) -> tuple[int, ...]:
    """A per-layer gene as a tuple of ints (one entry per active layer)."""
    value = arch[name]
    if not isinstance(value, tuple) or any(isinstance(v, bool) or not isinstance(v, int) for v in value):
        raise InvalidArchError(arch.space, name, value, "a list of integers, one per layer")
    return tuple(int(v) for v in value)
