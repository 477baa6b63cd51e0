"""Fixtures for the data tests: a private empty cache per test and no network, ever."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own empty HWNAS_CACHE_DIR, so the user's cache is never read or written."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("HWNAS_CACHE_DIR", str(cache))
    return cache


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail loudly if any code path reaches pooch's HTTP downloader."""
    import pooch

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a test tried to download over HTTP")

    monkeypatch.setattr(pooch.HTTPDownloader, "__call__", refuse)


@pytest.fixture()
def no_data_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HWNAS_DATA_DIR", raising=False)
