"""Data parallelism: two CPU processes (gloo, launched by torchrun) give the losses and weights of one process
that accumulates the same two micro-batches per step (same global batch, dropout on)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import yaml

from hwnas.train.config import parse_config
from hwnas.train.loop import train
from hwnas.train.runlog import read_log
from hwnas.train.session import load_trained

from .conftest import tiny_config


@pytest.mark.skipif(not torch.distributed.is_available(), reason="torch.distributed is not built in")
def test_two_gloo_ranks_match_one_process_with_the_same_global_batch(corpus_dir: Path, tmp_path: Path) -> None:
    steps = {"max_steps": 4, "checkpoint_every": 4}
    single = tiny_config(corpus_dir, tmp_path / "single", optim={"grad_accum": 2}, run=steps)
    ddp = tiny_config(corpus_dir, tmp_path / "ddp", optim={"grad_accum": 1}, run=steps)
    one = train(parse_config(single))
    (tmp_path / "ddp").mkdir()
    shutil.copy(tmp_path / "single" / "tokenizer.model", tmp_path / "ddp" / "tokenizer.model")
    config_file = tmp_path / "ddp.yaml"
    config_file.write_text(yaml.safe_dump(ddp), encoding="utf-8")

    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2"]
    command += ["-m", "hwnas.cli.train_cmd", "supernet", "train", "--config", str(config_file)]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, env=env, check=False)
    assert done.returncode == 0, done.stderr[-3000:]

    ddp_log = read_log(tmp_path / "ddp" / "train_log.jsonl")
    one_log = read_log(tmp_path / "single" / "train_log.jsonl")
    assert [r["arch_id"] for r in ddp_log] == [r["arch_id"] for r in one_log]
    assert [r["loss"] for r in ddp_log] == pytest.approx([r["loss"] for r in one_log], rel=1e-5)
    a, _, _ = load_trained(one.checkpoint)  # type: ignore[arg-type]
    b, _, _ = load_trained(tmp_path / "ddp" / "checkpoints" / "step-00000004.pt")
    for (name, x), (_, y) in zip(a.module.state_dict().items(), b.module.state_dict().items(), strict=True):
        torch.testing.assert_close(x, y, rtol=1e-5, atol=1e-6, msg=name)
