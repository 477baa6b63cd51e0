"""One small supernet checkpoint and one from-scratch checkpoint, trained once per session on the synthetic corpus."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from hwnas.core.arch import Arch
from hwnas.spaces import get_space
from hwnas.train.config import parse_config
from hwnas.train.loop import train
from hwnas.train.synthetic import write_reversal_corpus

STEPS = 40


def _config(corpus: dict[str, str], run_dir: Path, arch: Arch | None = None) -> dict[str, Any]:
    return {
        "space": "tiny",
        "run_dir": str(run_dir),
        "arch": None if arch is None else arch.to_dict(),
        "data": {"corpus": None, **corpus, "vocab_size": 100},
        "optim": {"lr": 3e-3, "warmup_steps": 10, "max_tokens": 512},
        "run": {"max_steps": STEPS, "log_every": STEPS, "valid_every": STEPS, "threads": 1, "device": "cpu"}
        | {"quiet": True},
    }


@pytest.fixture(scope="session")
def supernet_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("eval")
    corpus = write_reversal_corpus(root / "corpus", train_pairs=600, valid_pairs=40)
    result = train(parse_config(_config(corpus, root / "supernet")))
    assert result.checkpoint is not None
    return result.checkpoint


@pytest.fixture(scope="session")
def scratch_arch() -> Arch:
    return get_space("tiny").sample(np.random.default_rng(11))


@pytest.fixture(scope="session")
def scratch_run(tmp_path_factory: pytest.TempPathFactory, scratch_arch: Arch) -> Path:
    root = tmp_path_factory.mktemp("scratch")
    corpus = write_reversal_corpus(root / "corpus", train_pairs=300, valid_pairs=20)
    config = _config(corpus, root / "run", scratch_arch)
    config["run"]["max_steps"] = 4
    result = train(parse_config(config))
    assert result.checkpoint is not None
    return result.checkpoint
