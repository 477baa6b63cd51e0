"""Fixtures of the model tests: tiny random models whose outputs vary enough to catch mistakes.

Helpers are handed out as fixtures (pytest runs with --import-mode=importlib, so test modules cannot import a
sibling helper module).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn

from hwnas.core.space import SearchSpace
from hwnas.models import PAD_ID, SuperTransformer
from hwnas.spaces.registry import get_space


def sharpen(model: nn.Module, *, seed: int = 0) -> nn.Module:
    """Redraw the weights so a random model's predictions are peaky and differ per input (default inits give
    near-uniform outputs that repeat one token, which would hide decoding bugs): linear weights std 0.3, the
    token table std 0.6, layer-norm scales near 1."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            noise = torch.randn(p.shape, generator=gen)
            if "norm" in name:
                p.copy_(1.0 + 0.2 * noise if name.endswith("weight") else 0.2 * noise)
            else:
                p.copy_(noise * (0.6 if "embed" in name else 0.3))
    return model


def make_supernet(space: SearchSpace, *, seed: int = 0, sharp: bool = True, **overrides: object) -> SuperTransformer:
    torch.manual_seed(seed)
    model = SuperTransformer.from_space(space, **overrides).eval()  # type: ignore[arg-type]
    return sharpen(model, seed=seed) if sharp else model  # type: ignore[return-value]


def random_batch(
    vocab: int, batch: int, length: int, *, seed: int = 0, pads: tuple[int, ...] = (), start: int | None = None
) -> torch.Tensor:
    """Tokens in [4, vocab) with the given rows right-padded by 1, 2, ... positions; optional start token."""
    gen = torch.Generator().manual_seed(seed)
    tokens = torch.randint(4, vocab, (batch, length), generator=gen)
    for i, row in enumerate(pads):
        tokens[row, length - (i + 1) :] = PAD_ID
    if start is not None:
        tokens[:, 0] = start
    return tokens


def archs(space: SearchSpace, n_random: int, seed: int = 0) -> list:
    rng = np.random.default_rng(seed)
    return [space.smallest(), space.largest(), *(space.sample(rng) for _ in range(n_random))]


@pytest.fixture(scope="session")
def tiny() -> SearchSpace:
    return get_space("tiny")


@pytest.fixture
def supernet() -> Callable[..., SuperTransformer]:
    return make_supernet


@pytest.fixture
def batch() -> Callable[..., torch.Tensor]:
    return random_batch


@pytest.fixture
def some_archs() -> Callable[..., list[Any]]:
    return archs
