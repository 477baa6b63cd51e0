"""Synthetic latency data with known structure: real HAT archs, latency = a known sum of per-part costs."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from hwnas.core.arch import Arch
from hwnas.data.tables import HAT_TARGETS
from hwnas.encodings.hat import HAT_FEATURE_NAMES, hat_features
from hwnas.predictors.features import cost_features
from hwnas.spaces import get_space

# ms per unit of each cost column (constant, enc FFN MACs, ..., enc embed): non-negative "unit prices"
TRUE_PRICES = np.array([20.0, 2e-6, 1e-4, 1.0, 0.0, 4e-6, 3e-3, 8.0, 0.1, 0.1, 1e-3, 2.0, 0.01, 0.0])


def sample_hat_archs(n: int, seed: int) -> list[Arch]:
    space = get_space("hat-wmt14ende")
    rng = np.random.default_rng(seed)
    return [space.sample(rng) for _ in range(n)]


def synthetic(n: int, seed: int = 0, noise: float = 0.0) -> tuple[np.ndarray, np.ndarray, list[Arch]]:
    """(HAT raw features [n, 10], latency [n] ms, archs); relative Gaussian noise of size ``noise``."""
    archs = sample_hat_archs(n, seed)
    X = np.stack([hat_features(a) for a in archs])
    y = cost_features(X) @ TRUE_PRICES
    if noise:
        y = y * (1 + noise * np.random.default_rng(seed + 1).standard_normal(n))
    return X, y, archs


@pytest.fixture(autouse=True)
def one_blas_thread() -> Iterator[None]:
    """One OpenMP / BLAS thread too (torch's is set for every test in tests/conftest.py): these fits are tiny, and
    on a shared 2-core machine extra threads only spin."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        yield


@pytest.fixture(scope="session")
def synthetic_data() -> Callable[..., tuple[np.ndarray, np.ndarray, list[Arch]]]:
    return synthetic


def write_latency_csv(path: Path, X: np.ndarray, y: np.ndarray, archs: list[Arch] | None = None) -> Path:
    """A CSV in HAT's columns (latency split 10% encoder / 90% decoder, std 1%), plus `arch` when given."""
    columns = [*HAT_FEATURE_NAMES, *HAT_TARGETS] + (["arch"] if archs else [])
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(columns)
        for i in range(len(y)):
            total = float(y[i])
            row = [*map(repr, X[i].tolist()), *(repr(share * total) for share in (0.1, 0.9, 0.001, 0.009))]
            if archs:
                row.append(json.dumps(archs[i].to_dict()))
            writer.writerow(row)
    return path


@pytest.fixture
def latency_csv(tmp_path: Path) -> Callable[..., Path]:
    def make(n: int = 60, *, with_archs: bool = False, name: str = "lat.csv") -> Path:
        X, y, archs = synthetic(n)
        return write_latency_csv(tmp_path / name, X, y, archs if with_archs else None)

    return make
