"""Shared fixtures: the shared data folder (tests needing it skip cleanly without it)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def data_dir() -> Path:
    root = os.environ.get("HWNAS_DATA_DIR")
    if not root or not Path(root).is_dir():
        pytest.skip("HWNAS_DATA_DIR is not set to the shared data folder")
    return Path(root)
