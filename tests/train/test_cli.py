"""`hwnas supernet train|eval`, `hwnas train`, `hwnas translate`: run folders, JSON output, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import typer
import yaml
from typer.testing import CliRunner

from hwnas.cli import train_cmd
from hwnas.spaces import get_space

from .conftest import tiny_config

runner = CliRunner()


def _app() -> typer.Typer:
    app = typer.Typer()
    train_cmd.register(app)
    return app


def _write(path: Path, data: object) -> Path:
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_supernet_train_eval_translate(corpus_dir: Path, tmp_path: Path) -> None:
    config = _write(tmp_path / "c.yaml", tiny_config(corpus_dir, tmp_path / "ignored"))
    run_dir = tmp_path / "run"
    done = runner.invoke(_app(), ["supernet", "train", "--config", str(config), "--run-dir", str(run_dir)])
    assert done.exit_code == 0, done.output
    assert {p.name for p in run_dir.iterdir()} == {"config.yaml", "train_log.jsonl", "tokenizer.model", "checkpoints"}
    assert yaml.safe_load((run_dir / "config.yaml").read_text())["run_dir"] == str(run_dir)
    checkpoint = run_dir / "checkpoints" / "step-00000008.pt"
    arch = _write(tmp_path / "arch.yaml", get_space("tiny").sample(np.random.default_rng(2)).to_dict())

    done = runner.invoke(_app(), ["supernet", "eval", "--checkpoint", str(checkpoint), "--arch", str(arch)])
    assert done.exit_code == 0, done.output
    assert json.loads(done.output)["valid_loss"] > 0

    args = ["translate", "--checkpoint", str(checkpoint), "--arch", str(arch), "--beam", "2"]
    done = runner.invoke(_app(), args, input="wab wac\nwdd\n")
    assert done.exit_code == 0, done.output
    assert len(done.output.splitlines()) == 2


def test_from_scratch_cli_takes_the_space_from_the_arch_file(corpus_dir: Path, tmp_path: Path) -> None:
    data = tiny_config(corpus_dir, tmp_path / "run", run={"max_steps": 2, "checkpoint_every": 2})
    del data["space"]
    config = _write(tmp_path / "c.yaml", data)
    arch = get_space("tiny").smallest()
    arch_file = _write(tmp_path / "arch.yaml", arch.to_dict())
    done = runner.invoke(_app(), ["train", "--arch", str(arch_file), "--config", str(config)])
    assert done.exit_code == 0, done.output
    stored = yaml.safe_load((tmp_path / "run" / "config.yaml").read_text())
    assert stored["space"] == "tiny" and stored["arch"] == arch.to_dict()


def test_bad_input_is_one_line_and_exit_2(corpus_dir: Path, tmp_path: Path) -> None:
    good = tiny_config(corpus_dir, tmp_path / "run")
    cases = [
        (["supernet", "train", "--config", str(_write(tmp_path / "a.yaml", {**good, "optimizer": {}}))], "optimizer"),
        (["supernet", "train", "--config", str(tmp_path / "missing.yaml")], "cannot read config file"),
        (["supernet", "train", "--config", str(_write(tmp_path / "b.yaml", {**good, "arch": {"x": 1}}))], "--arch"),
        (["supernet", "eval", "--checkpoint", str(tmp_path / "none.pt")], "not found"),
        (["supernet", "eval", "--checkpoint", "x.pt", "--metric", "bleu4"], "allowed: loss, ppl, bleu"),
        (["translate", "--checkpoint", "x.pt", "--input", str(tmp_path / "none.txt")], "cannot read --input"),
    ]
    for args, message in cases:
        done = runner.invoke(_app(), args)
        assert done.exit_code == 2, (args, done.output)
        assert message in done.output and len(done.output.strip().splitlines()) == 1, done.output
