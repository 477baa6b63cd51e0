"""Training config: defaults, YAML round trip, and one clear error naming the offending key."""

from __future__ import annotations

from pathlib import Path

import pytest

from hwnas.core.errors import ConfigError
from hwnas.train.config import load_config, parse_config


def test_defaults_follow_hat() -> None:
    config = parse_config({})
    assert config.optim.betas == (0.9, 0.98) and config.optim.label_smoothing == 0.1
    assert config.sampling.strategy == "random" and config.run.device == "auto" and config.run.bf16
    assert config.data.valid_subset is None  # subnets are scored on the whole validation split
    assert config.model.encoder_final_norm == "last"  # the final encoder norm on the encoder output only
    assert config.model.dropout_scaling == "hat"  # a narrower subnet's dropout scaled with its width
    assert config.model.scratch_init == "supernet-slice"  # HAT retrains inside a fresh SuperTransformer


def test_yaml_round_trip(tmp_path: Path) -> None:
    config = parse_config({"space": "tiny", "optim": {"lr": 1e-3, "schedule": "cosine"}, "run": {"max_steps": 5}})
    path = tmp_path / "config.yaml"
    path.write_text(config.to_yaml(), encoding="utf-8")
    assert load_config(path) == config


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"optim": {"lrr": 1}}, r"unknown config key 'optim\.lrr'; allowed here: lr, min_lr"),
        ({"bogus": 1}, r"unknown config key 'bogus'; allowed here: space, arch"),
        ({"run": {"max_steps": 0}}, r"'run\.max_steps'.*greater than or equal to 1"),
        ({"run": {"max_steps": None}}, r"set run\.max_steps or run\.max_epochs"),
        ({"sampling": {"strategy": "greedy"}}, r"'sampling\.strategy'.*'random' or 'sandwich'"),
        ({"run": {"max_steps": 1, "device": "tpu"}}, r"'run\.device'"),
        ({"model": {"scratch_init": "own"}}, r"'model\.scratch_init'.*'supernet-slice' or 'own-widths'"),
        ({"model": {"dropout_scaling": True}}, r"'model\.dropout_scaling'.*'hat', 'all' or 'none'"),
        ({"data": {"corpus": None}}, r"data\.train_src/train_tgt/valid_src/valid_tgt are all required"),
        ({"data": {"train_src": "a"}}, r"either data\.corpus or"),
        ([1, 2], r"must be a YAML mapping"),
    ],
)
def test_bad_configs_name_the_key(data: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_config(data)


def test_unreadable_or_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read config file"):
        load_config(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("optim: [unclosed", encoding="utf-8")
    with pytest.raises(ConfigError, match="malformed YAML"):
        load_config(bad)
