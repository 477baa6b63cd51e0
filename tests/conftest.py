"""Shared fixtures: the shared data folder (tests needing it skip cleanly without it), and one torch thread for
every test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def data_dir() -> Path:
    root = os.environ.get("HWNAS_DATA_DIR")
    if not root or not Path(root).is_dir():
        pytest.skip("HWNAS_DATA_DIR is not set to the shared data folder")
    return Path(root)


@pytest.fixture(autouse=True)
def one_torch_thread() -> Iterator[None]:
    """One intra-op torch thread: the tests' tensors are tiny, and on a shared 2-core machine torch's thread pool
    otherwise stalls on them (minutes instead of seconds while other jobs ran)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)
