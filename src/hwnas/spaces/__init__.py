"""Declarative search spaces (YAML files) and their registry."""

from __future__ import annotations

from hwnas.spaces.registry import builtin_names, get_space, load_space_file

__all__ = ["builtin_names", "get_space", "load_space_file"]
