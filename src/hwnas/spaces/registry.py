"""Search-space registry: built-in spaces are YAML files shipped in ``hwnas/spaces/builtin``; a user's own
YAML path is accepted wherever a space name is."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from hwnas.configio import parse_yaml, read_text_file
from hwnas.core.errors import SpaceDefinitionError, UnknownNameError
from hwnas.core.space import SearchSpace

_BUILTIN = "hwnas.spaces.builtin"


def builtin_names() -> list[str]:
    files = resources.files(_BUILTIN).iterdir()
    return sorted(f.name.removesuffix(".yaml") for f in files if f.name.endswith(".yaml"))


@cache
def _load_builtin(name: str) -> SearchSpace:
    text = resources.files(_BUILTIN).joinpath(f"{name}.yaml").read_text(encoding="utf-8")
    return _parse(text, f"built-in space {name}")


def load_space_file(path: str | Path) -> SearchSpace:
    text = read_text_file(path, what="search-space file", error=SpaceDefinitionError)
    return _parse(text, str(path))


def _parse(text: str, where: str) -> SearchSpace:
    data: Any = parse_yaml(text, source=where, error=SpaceDefinitionError)
    try:
        return SearchSpace.from_dict(data)
    except SpaceDefinitionError as exc:
        raise SpaceDefinitionError(f"{where}: {exc}") from None


def get_space(name_or_path: str | Path) -> SearchSpace:
    """A built-in space by name, or a user's space from a ``.yaml``/``.yml`` file."""
    text = str(name_or_path)
    if text in builtin_names():
        return _load_builtin(text)
    if text.endswith((".yaml", ".yml")) or Path(text).is_file():
        return load_space_file(text)
    raise UnknownNameError("search space", text, builtin_names())


def space_of(arch_space_name: str) -> SearchSpace:
    """The space an arch names (built-in only: archs from user files carry their file's space name)."""
    return get_space(arch_space_name)
