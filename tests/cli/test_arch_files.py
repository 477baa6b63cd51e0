"""HAT's own SubTransformer files (``configs/<task>/subtransformer/*.yml``: HAT keys, per-layer lists, comments, no
space named) load unchanged wherever an arch file is accepted; the space comes from a flag, the file, the command's
context (a checkpoint, a training config), or is inferred when exactly one built-in space accepts the genes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from hwnas.cli.main import app
from hwnas.encodings import from_hat_yaml, to_hat_yaml
from hwnas.encodings.archfile import load_arch_file
from hwnas.hardware.embedded import default_dataset
from hwnas.spaces import get_space
from hwnas.train.synthetic import write_reversal_corpus

# Written for these tests in the layout of HAT's published files (hat-wmt14ende's space0 decisions).
HAT_FILE = Path(__file__).parents[1] / "fixtures" / "HAT_wmt14ende_example.yml"
WMT_SPACES = ["hat-wmt14ende", "hat-wmt14ende-wide", "hat-wmt14enfr", "hat-wmt19ende"]


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def _error_line(output: str) -> str:
    lines = output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), output
    return lines[0]


def test_the_hat_file_is_read_as_hat_does() -> None:
    arch = load_arch_file(HAT_FILE, get_space("hat-wmt14ende"))
    assert arch["decoder_layer_num"] == 3 and arch["decoder_arbitrary_ende_attn"] == (1, -1, 2)
    assert arch == from_hat_yaml(HAT_FILE.read_text(encoding="utf-8"), get_space("hat-wmt14ende"))


def test_several_fitting_spaces_is_one_line_listing_them() -> None:
    code, output = _run("latency", "predict", "--model", str(_shipped_predictor()), "--arch", str(HAT_FILE))
    assert code == 2
    line = _error_line(output)
    assert "--space" in line and all(name in line for name in WMT_SPACES) and "tiny" not in line


def test_one_fitting_space_is_inferred(tmp_path: Path) -> None:
    arch = get_space("tiny").sample(np.random.default_rng(0))
    path = tmp_path / "HAT_tiny.yml"
    path.write_text(to_hat_yaml(arch), encoding="utf-8")
    assert load_arch_file(path) == arch


def test_no_fitting_space_names_a_gene(tmp_path: Path) -> None:
    data = yaml.safe_load(HAT_FILE.read_text(encoding="utf-8"))
    data["encoder-embed-dim-subtransformer"] = 4096
    path = tmp_path / "bad.yml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    code, output = _run("metrics", "hat-wmt14ende", str(path))
    assert code == 2 and "4096" in _error_line(output)
    code, output = _run("latency", "predict", "--model", str(_shipped_predictor()), "--arch", str(path))
    line = _error_line(output)
    assert code == 2 and "fits no built-in space" in line and "--space" in line


def _shipped_predictor() -> Path:
    dataset = default_dataset("hat-wmt14ende", "cpu")
    return dataset.csv_path.with_name(dataset.name + ".predictor.npz")


def test_metrics_and_latency_predict_take_the_hat_file() -> None:
    code, output = _run("metrics", "hat-wmt14ende", str(HAT_FILE))
    assert code == 0, output
    assert json.loads(output)["params"] > 0
    args = ["--model", str(_shipped_predictor()), "--arch", str(HAT_FILE), "--space", "hat-wmt14ende", "--json"]
    code, output = _run("latency", "predict", *args)
    assert code == 0, output
    assert json.loads(output)["latency_ms"] > 0


def test_search_init_archs_take_the_hat_file(tmp_path: Path) -> None:
    args = ["search", "--space", "hat-wmt14ende", "--objective", "params:max", "--iterations", "1"]
    args += ["--population", "4", "--parents", "2", "--init-archs", str(HAT_FILE), "--out", str(tmp_path / "run")]
    code, output = _run(*args, "--json")
    assert code == 0, output
    assert json.loads(output)["result"]["init_archs"]["used"] == 1


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """(training config without a space, supernet checkpoint, a tiny arch as a HAT file)."""
    root = tmp_path_factory.mktemp("hatfile")
    corpus = write_reversal_corpus(root / "corpus", train_pairs=200, valid_pairs=10)
    config = {
        "run_dir": str(root / "supernet"),
        "data": {"corpus": None, **corpus, "vocab_size": 100},
        "optim": {"lr": 3e-3, "warmup_steps": 1, "max_tokens": 256},
        "run": {"max_steps": 2, "threads": 1, "device": "cpu", "quiet": True},
    }
    config_path = root / "config.yaml"
    config_path.write_text(yaml.safe_dump(config), encoding="utf-8")
    code, output = _run("supernet", "train", "--config", str(config_path))
    assert code == 0, output
    checkpoint = next((root / "supernet" / "checkpoints").glob("step-*.pt"))
    hat_file = root / "HAT_tiny.yml"
    hat_file.write_text(to_hat_yaml(get_space("tiny").sample(np.random.default_rng(4))), encoding="utf-8")
    return config_path, checkpoint, hat_file


def test_training_and_evaluation_commands_take_a_hat_file(tiny_run: tuple[Path, Path, Path], tmp_path: Path) -> None:
    config, checkpoint, hat_file = tiny_run
    code, output = _run("supernet", "eval", "--checkpoint", str(checkpoint), "--arch", str(hat_file))
    assert code == 0, output
    assert json.loads(output)["valid_loss"] > 0
    code, output = _run("translate", "--checkpoint", str(checkpoint), "--arch", str(hat_file), "--input", str(config))
    assert code == 0, output
    for flags in ([], ["--space", "tiny"]):
        run_dir = tmp_path / f"scratch{len(flags)}"
        args = ["train", "--arch", str(hat_file), "--config", str(config), "--run-dir", str(run_dir), *flags]
        code, output = _run(*args, "--max-steps", "1")
        assert code == 0, output
        stored = yaml.safe_load((run_dir / "config.yaml").read_text(encoding="utf-8"))
        assert stored["space"] == "tiny"
