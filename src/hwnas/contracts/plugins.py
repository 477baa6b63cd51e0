"""Plugin hook: modules named in ``HWNAS_PLUGINS`` (comma-separated) are imported once, before a registry is read,
so a user's module can register searchers, evaluators, predictors or families without any change to hwnas."""

from __future__ import annotations

import importlib
import os

from hwnas.core.errors import ConfigError

PLUGINS_ENV = "HWNAS_PLUGINS"
_loaded: set[str] = set()


def load_plugins() -> None:
    """Import every module named in ``HWNAS_PLUGINS`` that is not imported yet; one that fails is a ConfigError."""
    for name in (n.strip() for n in os.environ.get(PLUGINS_ENV, "").split(",")):
        if not name or name in _loaded:
            continue
        try:
            importlib.import_module(name)
        except ImportError as exc:
            raise ConfigError(f"cannot import plugin module {name!r} named in {PLUGINS_ENV}: {exc}") from None
        _loaded.add(name)
