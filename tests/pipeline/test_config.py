"""The pipeline config: defaults, unknown keys named, cross-field rules, the training section checked up front."""

from __future__ import annotations

from pathlib import Path

import pytest

from hwnas.core.errors import ConfigError
from hwnas.pipeline import load_pipeline_config, parse_pipeline_config, quickstart_config
from hwnas.pipeline.config import DEFAULT_TRAIN_STEPS, bundled_config_names, train_config


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
    with pytest.raises(ConfigError, match=r"cannot read.*bundled configs, by name: .*quickstart"):
        load_pipeline_config(tmp_path / "missing.yaml")


@pytest.mark.parametrize("smoke", [False, True])
def test_bundled_quickstart_configs_validate(smoke: bool, tmp_path: Path) -> None:
    config = quickstart_config(smoke=smoke, out=tmp_path)
    assert config.run_dir == str(tmp_path)
    assert config.latency.source == "measure" and config.device == "cpu"
    assert config.training["data"]["corpus"] == "multi30k"
    assert len(config.search.budget_quantiles) >= 2


@pytest.mark.parametrize("name", bundled_config_names())
def test_every_bundled_config_validates_by_name(name: str, tmp_path: Path) -> None:
    config = load_pipeline_config(name, run_dir=str(tmp_path))
    assert config.run_dir == str(tmp_path)
    for length in (config.supernet, config.retrain):
        train_config(config, run_dir=tmp_path, arch=None, length=length, quiet=True)


def test_bundled_names_cover_the_full_scale_configs() -> None:
    assert {"quickstart", "quickstart-smoke", "multi30k-gpu", "wmt14-ende", "iwslt14-deen"} <= set(
        bundled_config_names()
    )
    gpu = load_pipeline_config("multi30k-gpu")
    assert gpu.space == "hat-wmt14ende" and gpu.device == "cuda" and gpu.latency.device == "cuda"
    assert gpu.baselines == ["uniform-shrink"] and len(gpu.search.budget_fractions) == 3
    with pytest.raises(ConfigError, match=r"bundled: .*multi30k-gpu"):
        load_pipeline_config("multi30k-cpu")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"search": {"budget_fractions": [0.5, 1.2]}}, "budget_fractions"),
        ({"search": {"latency_margin": 0.6}}, "latency_margin"),
        ({"search": {"latency_margin": "guess"}}, "latency_margin"),
        ({"search": {"max_remeasures": -1}}, "max_remeasures"),
        ({"evaluate": {"test_src": "a.de"}}, "test_tgt"),
        ({"evaluate": {"corpus": "newstest2014", "test_src": "a", "test_tgt": "b"}}, "not both"),
        ({"evaluate": {"corpus": "newstest2014", "split": None}}, "needs evaluate.split"),
        ({"retrain": {"optim": {"warmup_stepz": 4}}}, "retrain.optim"),
    ],
)
def test_new_keys_are_checked(data: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_pipeline_config(data)


def test_user_corpus_needs_a_named_test_set(monkeypatch: pytest.MonkeyPatch) -> None:
    files = {"corpus": None, "train_src": "t.de", "train_tgt": "t.en", "valid_src": "$MYDATA/v.de", "valid_tgt": "v.en"}
    with pytest.raises(ConfigError, match=r"evaluate\.corpus"):
        parse_pipeline_config({"training": {"data": files}})
    config = parse_pipeline_config({"training": {"data": files}, "evaluate": {"corpus": "iwslt14", "split": "test"}})
    monkeypatch.setenv("MYDATA", "/corpora")
    data = train_config(config, run_dir=Path("r"), arch=None, length=config.supernet, quiet=True).data
    assert data.valid_src == "/corpora/v.de" and data.train_src == "t.de"  # $VARS expanded in corpus paths


def test_stage_optim_overrides_only_that_stage() -> None:
    config = parse_pipeline_config(
        {"training": {"optim": {"warmup_steps": 10000, "lr": 0.001}}, "retrain": {"optim": {"warmup_steps": 4000}}}
    )
    supernet = train_config(config, run_dir=Path("s"), arch=None, length=config.supernet, quiet=True)
    retrain = train_config(config, run_dir=Path("r"), arch=None, length=config.retrain, quiet=True)
    assert (supernet.optim.warmup_steps, retrain.optim.warmup_steps) == (10000, 4000)
    assert retrain.optim.lr == supernet.optim.lr == 0.001
