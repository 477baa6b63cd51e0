"""Tiny training configs on the synthetic reversal corpus (target = source reversed, upper-cased)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hwnas.train.synthetic import write_reversal_corpus


@pytest.fixture(scope="session")
def corpus_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("reversal")
    write_reversal_corpus(folder)
    return folder


def tiny_config(corpus: Path, run_dir: Path, **sections: Any) -> dict[str, Any]:
    """A CPU config on the synthetic corpus; ``sections`` update the default sections key by key."""
    config: dict[str, Any] = {
        "space": "tiny",
        "run_dir": str(run_dir),
        "data": {
            "corpus": None,
            "train_src": str(corpus / "train.src"),
            "train_tgt": str(corpus / "train.tgt"),
            "valid_src": str(corpus / "valid.src"),
            "valid_tgt": str(corpus / "valid.tgt"),
            "vocab_size": 100,
        },
        "model": {"dropout": 0.1},
        "optim": {"lr": 3e-3, "warmup_steps": 10, "max_tokens": 512, "clip_norm": 1.0},
        # one thread: steady timings on a shared 2-core machine
        "run": {"max_steps": 8, "checkpoint_every": 4, "log_every": 1, "threads": 1, "device": "cpu", "quiet": True},
    }
    config["run"]["seed"] = 3
    for name, values in sections.items():
        config[name] = {**config.get(name, {}), **values} if isinstance(values, dict) else values
    return config
