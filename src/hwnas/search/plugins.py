"""Kept for plugins written against 0.1: the plugin hook lives in :mod:`hwnas.contracts.plugins`."""

from __future__ import annotations

from hwnas.contracts.plugins import PLUGINS_ENV, load_plugins

__all__ = ["PLUGINS_ENV", "load_plugins"]
