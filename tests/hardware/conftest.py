"""Fixtures of the hardware tests: the tiny MT space, a tiny GPT space, and fast measurement settings."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch

from hwnas.core.space import SearchSpace
from hwnas.hardware.protocols import protocol_for
from hwnas.hardware.settings import MeasureSettings
from hwnas.spaces import get_space

TINY_GPT = {
    "name": "tiny-gpt",
    "family": "gpt",
    "description": "a decoder-only space small enough for CPU tests",
    "constants": {"head_size": 8, "vocab_size": 100, "block_size": 16},
    "genes": {
        "embed_dim": {"choices": [16, 32]},
        "n_layer": {"choices": [1, 2]},
        "n_head": {"choices": [1, 2], "per_layer": "n_layer"},
        "mlp_ratio": {"choices": [2, 4], "per_layer": "n_layer"},
        "bias": {"choices": [True, False]},
    },
}


@pytest.fixture(autouse=True)
def _restore_torch_threads() -> Iterator[None]:
    """Measurements fix torch's thread count; give the rest of the test session its own back."""
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def tiny() -> SearchSpace:
    return get_space("tiny")


@pytest.fixture(scope="session")
def tiny_gpt() -> SearchSpace:
    return SearchSpace.from_dict(TINY_GPT)


@pytest.fixture
def fast_settings(tiny: SearchSpace) -> MeasureSettings:
    """HAT's protocol on the tiny space, 1 thread, few runs."""
    return protocol_for(tiny).default_settings(tiny, threads=1, warmup=1, runs=3)
