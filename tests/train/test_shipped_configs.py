"""The example training configs shipped in hwnas/configs/train parse and name built-in spaces."""

from __future__ import annotations

from pathlib import Path

import pytest

import hwnas
from hwnas.spaces import get_space
from hwnas.train.config import load_config

CONFIGS = sorted((Path(hwnas.__file__).parent / "configs" / "train").glob("*.yaml"))


def test_there_are_example_configs() -> None:
    assert len(CONFIGS) >= 2


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_example_config_is_valid(path: Path) -> None:
    config = load_config(path)
    assert get_space(config.space).family in ("hat", "gpt")  # an encoder-decoder or a GPT language model
    assert config.data.corpus == "multi30k"
