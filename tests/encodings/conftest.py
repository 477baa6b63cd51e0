"""Shared fixtures for the encoding tests: spaces, sample archs, and read-only access to the shared data."""

from __future__ import annotations

import io
import os
import pickle
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from hwnas.core.arch import Arch
from hwnas.core.space import SearchSpace

SampleArchs = Callable[..., list[Arch]]


def _sample_archs(space: SearchSpace, n: int = 40, seed: int = 0) -> list[Arch]:
    """Random archs plus the two extremes (which exercise the first and last option of every gene)."""
    rng = np.random.default_rng(seed)
    return [space.smallest(), space.largest(), *(space.sample(rng) for _ in range(n))]


@pytest.fixture
def sample_archs() -> SampleArchs:
    return _sample_archs


@pytest.fixture
def data_dir() -> Path:
    root = os.environ.get("HWNAS_DATA_DIR")
    if not root:
        pytest.skip("HWNAS_DATA_DIR is not set; this test reads the shared public data")
    return Path(root)


class _PlainDataUnpickler(pickle.Unpickler):
    """Only lists, dicts, strings and numbers may come out: any class reference is refused."""

    def find_class(self, module: str, name: str) -> object:
        raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a data file")


def _load_torch_zip_pickle(path: Path) -> object:
    """Read HELP's ``.pt`` files (a pickle inside a zip archive) without executing anything."""
    with zipfile.ZipFile(path) as archive:
        member = next(n for n in archive.namelist() if n.endswith("data.pkl"))
        return _PlainDataUnpickler(io.BytesIO(archive.read(member))).load()


@pytest.fixture
def load_help_pickle() -> Callable[[Path], object]:
    return _load_torch_zip_pickle
