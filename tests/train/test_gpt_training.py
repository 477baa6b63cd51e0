"""The GPT supernet on the one training loop, as a causal language model on plain text (CPU, the gpt-tiny space):
the loss falls, perplexity is exp of the validation loss the loop logs, a killed run resumes exactly, one arch
trains from scratch, and what does not fit a language model is refused in one line."""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import torch
import yaml

from hwnas.core.errors import ConfigError
from hwnas.evaluate import SupernetEvaluator
from hwnas.evaluate.checkpoint import evaluate_checkpoint
from hwnas.models import GPTModel, GPTSuperNet
from hwnas.spaces import get_space
from hwnas.train import loop
from hwnas.train.config import load_config, parse_config
from hwnas.train.loop import train
from hwnas.train.runlog import read_log
from hwnas.train.session import load_trained

from .conftest import tiny_config

PRESET = Path(__file__).parents[2] / "src" / "hwnas" / "configs" / "train" / "gpt-tiny-multi30k.yaml"


def gpt_config(corpus: Path, run_dir: Path, **sections: Any) -> dict[str, Any]:
    """gpt-tiny as a language model on the target side of the synthetic corpus (upper-case words)."""
    config = tiny_config(corpus, run_dir)
    config["space"] = "gpt-tiny"
    text = {"train_text": str(corpus / "train.tgt"), "valid_text": str(corpus / "valid.tgt")}
    config["data"] = {"corpus": None, **text, "vocab_size": 64}
    config["model"] = {"dropout": 0.0}
    config["optim"] = {**config["optim"], "label_smoothing": 0.0}
    config["sampling"] = {"strategy": "sandwich", "num_random": 1}
    for name, values in sections.items():
        config[name] = {**config.get(name, {}), **values}
    return config


def test_the_supernet_learns_and_perplexity_is_exp_of_the_logged_loss(corpus_dir: Path, tmp_path: Path) -> None:
    config = gpt_config(corpus_dir, tmp_path, run={"max_steps": 40, "log_every": 5, "valid_every": 20})
    result = train(parse_config(config))
    losses = [r["loss"] for r in read_log(tmp_path / "train_log.jsonl")]
    assert losses[-1] < losses[0] - 0.5, losses
    valid = read_log(tmp_path / "train_log.jsonl", event="valid")
    assert [r["step"] for r in valid] == [20, 40]
    for subnet in ("largest", "smallest"):
        assert valid[-1]["valid_loss"][subnet] < valid[0]["valid_loss"][subnet] < math.log(64), valid

    built, _, _ = load_trained(result.checkpoint)  # type: ignore[arg-type]
    assert isinstance(built.module, GPTSuperNet) and built.kind == "supernet"
    space = get_space("gpt-tiny")
    scored = evaluate_checkpoint(result.checkpoint, arch=space.largest(), metric="ppl", device="cpu")  # type: ignore[arg-type]
    assert scored["sentences"] == 60 and math.isfinite(scored["perplexity"])
    assert scored["valid_loss"] == pytest.approx(valid[-1]["valid_loss"]["largest"], rel=1e-9)
    assert scored["perplexity"] == pytest.approx(math.exp(scored["valid_loss"]), rel=1e-12)
    evaluator = SupernetEvaluator(result.checkpoint, device="cpu")  # type: ignore[arg-type]
    assert evaluator.metrics == ("valid_loss", "perplexity")
    [smallest] = evaluator.evaluate([space.smallest()])
    assert smallest["valid_loss"] == pytest.approx(valid[-1]["valid_loss"]["smallest"], rel=1e-9)
    assert smallest["perplexity"] == pytest.approx(math.exp(smallest["valid_loss"]), rel=1e-12)
    with pytest.raises(ConfigError, match="metric 'bleu' needs a translation model"):
        evaluate_checkpoint(result.checkpoint, arch=space.largest(), metric="bleu", device="cpu")  # type: ignore[arg-type]


def test_killed_and_resumed_run_repeats_the_uninterrupted_run(
    corpus_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    straight = train(parse_config(gpt_config(corpus_dir, tmp_path / "straight", model={"dropout": 0.1})))
    config = parse_config(gpt_config(corpus_dir, tmp_path / "killed", model={"dropout": 0.1}))
    real_step = loop.train_step

    def dies_in_step_7(s, archs, batches):  # type: ignore[no-untyped-def]
        if s.step == 6:
            raise KeyboardInterrupt
        return real_step(s, archs, batches)

    monkeypatch.setattr(loop, "train_step", dies_in_step_7)
    with pytest.raises(KeyboardInterrupt):
        train(config)
    monkeypatch.setattr(loop, "train_step", real_step)
    resumed = train(config, resume=True)
    logs = [
        [(r["step"], r["loss"]) for r in read_log(p / "train_log.jsonl")]
        for p in (tmp_path / "killed", tmp_path / "straight")
    ]
    assert logs[0] == logs[1] and len(logs[0]) == 8  # steps 5-8 recomputed from the checkpoint at 4, exactly
    a, _, _ = load_trained(straight.checkpoint)  # type: ignore[arg-type]
    b, _, _ = load_trained(resumed.checkpoint)  # type: ignore[arg-type]
    for (name, x), (_, y) in zip(a.module.state_dict().items(), b.module.state_dict().items(), strict=True):
        assert torch.equal(x, y), name


@pytest.mark.skipif(not torch.distributed.is_available(), reason="torch.distributed is not built in")
def test_two_gloo_ranks_match_one_process_with_the_same_global_batch(corpus_dir: Path, tmp_path: Path) -> None:
    steps = {"max_steps": 3, "checkpoint_every": 3}
    single = gpt_config(corpus_dir, tmp_path / "single", optim={"grad_accum": 2}, run=steps, model={"dropout": 0.1})
    one = train(parse_config(single))
    (tmp_path / "ddp").mkdir()
    shutil.copy(tmp_path / "single" / "tokenizer.model", tmp_path / "ddp" / "tokenizer.model")
    config_file = tmp_path / "ddp.yaml"
    ddp = {**single, "run_dir": str(tmp_path / "ddp"), "optim": {**single["optim"], "grad_accum": 1}}
    config_file.write_text(yaml.safe_dump(ddp), encoding="utf-8")
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2"]
    command += ["-m", "hwnas.cli.train_cmd", "supernet", "train", "--config", str(config_file)]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, env=env, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    losses = [[r["loss"] for r in read_log(tmp_path / run / "train_log.jsonl")] for run in ("ddp", "single")]
    assert len(losses[0]) == 3 and losses[0] == pytest.approx(losses[1], rel=1e-5)
    a, _, _ = load_trained(one.checkpoint)  # type: ignore[arg-type]
    b, _, _ = load_trained(tmp_path / "ddp" / "checkpoints" / "step-00000003.pt")
    for (name, x), (_, y) in zip(a.module.state_dict().items(), b.module.state_dict().items(), strict=True):
        torch.testing.assert_close(x, y, rtol=1e-5, atol=1e-6, msg=name)


@pytest.mark.parametrize("init", ["supernet-slice", "own-widths"])
def test_one_arch_trains_from_scratch_as_a_plain_gpt(corpus_dir: Path, tmp_path: Path, init: str) -> None:
    space = get_space("gpt-tiny")
    arch = space.make({"embed_dim": 32, "n_layer": 2, "n_head": [2, 4], "mlp_ratio": [4, 2], "bias": True})
    config = gpt_config(corpus_dir, tmp_path, model={"scratch_init": init}, run={"max_steps": 4})
    result = train(parse_config({**config, "arch": arch.to_dict()}))
    built, _, meta = load_trained(result.checkpoint)  # type: ignore[arg-type]
    assert meta["arch"] == arch.to_dict()
    assert built.kind == "standalone" and isinstance(built.module, GPTModel)
    assert built.module.config.n_head == (2, 4) and built.module.config.vocab_size == 64
    scored = evaluate_checkpoint(result.checkpoint, arch=None, metric="loss", device="cpu")  # type: ignore[arg-type]
    assert scored["arch_id"] == arch.arch_id and 0 < scored["valid_loss"] < math.log(64) + 1


@pytest.mark.parametrize(
    ("space", "changes", "message"),
    [
        ("gpt-tiny", {"data": {"text": False}}, r"a gpt space trains a language model on plain text"),
        ("tiny", {"data": {"text": True}}, r"data\.train_text/valid_text are plain text for a language model"),
        ("gpt-tiny", {"model": {"norm": "post"}}, r"model\.norm is 'post' but a gpt space's blocks are pre-norm"),
        ("gpt-tiny", {"model": {"attention_dropout": 0.1}}, r"model\.attention_dropout is 0\.1 but a gpt space"),
        ("nb201", {}, r"family 'nb201', which cannot be trained; allowed: spaces of family gpt, hat"),
    ],
)
def test_what_does_not_fit_is_refused_before_anything_is_written(
    corpus_dir: Path, tmp_path: Path, space: str, changes: dict[str, Any], message: str
) -> None:
    config = tiny_config(corpus_dir, tmp_path / "run", model=changes.get("model", {}))
    config["space"] = space
    if changes.get("data", {}).get("text"):
        config["data"] = gpt_config(corpus_dir, tmp_path)["data"]
    with pytest.raises(ConfigError, match=message):
        train(parse_config(config))
    assert not (tmp_path / "run").exists()


def test_the_shipped_preset_trains_on_multi30k(data_dir: Path, tmp_path: Path) -> None:
    config = load_config(PRESET, run_dir=str(tmp_path))
    quick = config.model_copy(
        update={
            "data": config.data.model_copy(update={"max_train_pairs": 2000, "valid_subset": 50, "vocab_size": 500}),
            "run": config.run.model_copy(update={"max_steps": 3, "valid_every": 3, "device": "cpu", "quiet": True}),
        }
    )
    result = train(quick)
    valid = read_log(tmp_path / "train_log.jsonl", event="valid")[-1]["valid_loss"]
    assert result.steps == 3 and math.isfinite(valid["largest"]) and valid["largest"] < math.log(500) + 1
