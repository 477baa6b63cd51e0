"""The pipeline config: defaults, unknown keys named, cross-field rules, the training section checked up front."""

from __future__ import annotations

from pathlib import Path

import pytest

from hwnas.core.errors import ConfigError
from hwnas.pipeline import load_pipeline_config, parse_pipeline_config, quickstart_config
from hwnas.pipeline.config import DEFAULT_TRAIN_STEPS, train_config


def test_empty_config_gets_documented_defaults() -> None:
    config = parse_pipeline_config({})
    assert config.space == "tiny"
    assert config.latency.source == "measure"
    assert config.search.budget_quantiles == [0.3, 0.7]
    assert config.evaluate.split == "test2016"
    supernet = train_config(config, run_dir=Path("r"), arch=None, length=config.supernet, quiet=True)
    assert supernet.run.max_steps == DEFAULT_TRAIN_STEPS


@pytest.mark.parametrize(
    ("data", "named"),
    [
        ({"bogus": 1}, "'bogus'"),
        ({"search": {"budgetz": [1.0]}}, "'search.budgetz'"),
        ({"latency": {"sourc": "measure"}}, "'latency.sourc'"),
        ({"training": {"optim": {"lrr": 0.1}}}, "'optim.lrr'"),
    ],
)
def test_unknown_keys_are_errors_that_name_the_key(data: dict[str, object], named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        parse_pipeline_config(data)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"latency": {"source": "dataset"}}, "latency.dataset"),
        ({"latency": {"source": "predictor"}}, "latency.predictor_file"),
        ({"latency": {"source": "guess"}}, "latency.source"),
        ({"search": {"budgets_ms": [5.0, -1.0]}}, "budgets_ms must all be > 0"),
        ({"search": {"budget_quantiles": [1.5]}}, "budget_quantiles"),
        ({"search": {"budgets_ms": [], "budget_quantiles": []}}, "at least one budget"),
        ({"search": {"population": 4, "parents": 5}}, "parents"),
        ({"training": {"space": "gpt-s"}}, "training.space"),
        ({"device": "tpu"}, "'device'"),
    ],
)
def test_invalid_values_are_refused_with_the_field(data: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_pipeline_config(data)


def test_stage_lengths_override_the_shared_training_run() -> None:
    config = parse_pipeline_config(
        {"training": {"run": {"max_steps": 5, "log_every": 2}}, "retrain": {"max_steps": 7}, "device": "cpu"}
    )
    arch = {"space": "tiny", "genes": {}}
    retrain = train_config(config, run_dir=Path("r"), arch=None, length=config.retrain, quiet=False)
    supernet = train_config(config, run_dir=Path("s"), arch=None, length=config.supernet, quiet=True)
    assert (retrain.run.max_steps, supernet.run.max_steps) == (7, 5)
    assert retrain.run.log_every == 2 and retrain.run.device == "cpu" and supernet.run.quiet
    assert train_config(config, run_dir=Path("r"), arch=arch, length=config.retrain, quiet=True).arch == arch


def test_yaml_file_with_override(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("space: tiny\nsearch: {budgets_ms: [3.0, 1.0]}\n", encoding="utf-8")
    config = load_pipeline_config(path, run_dir=str(tmp_path / "run"), space=None)
    assert config.run_dir == str(tmp_path / "run")
    assert config.search.budgets_ms == [3.0, 1.0]
    path.write_text("search: [\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="malformed YAML"):
        load_pipeline_config(path)
    with pytest.raises(ConfigError, match="cannot read"):
        load_pipeline_config(tmp_path / "missing.yaml")


@pytest.mark.parametrize("smoke", [False, True])
def test_bundled_quickstart_configs_validate(smoke: bool, tmp_path: Path) -> None:
    config = quickstart_config(smoke=smoke, out=tmp_path)
    assert config.run_dir == str(tmp_path)
    assert config.latency.source == "measure" and config.device == "cpu"
    assert config.training["data"]["corpus"] == "multi30k"
    assert len(config.search.budget_quantiles) >= 2
