"""The training loop on CPU: the loss falls, a killed and resumed run repeats an uninterrupted one exactly, the
sandwich rule and from-scratch training run on the same loop, and checkpoints rebuild the model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from hwnas.spaces import get_space
from hwnas.train import loop
from hwnas.train.config import parse_config
from hwnas.train.loop import train
from hwnas.train.runlog import read_log
from hwnas.train.session import load_trained

from .conftest import tiny_config


def _losses(run_dir: Path) -> list[tuple[int, float]]:
    return [(r["step"], r["loss"]) for r in read_log(run_dir / "train_log.jsonl")]


def test_valid_loss_falls_on_the_tiny_preset(corpus_dir: Path, tmp_path: Path) -> None:
    config = tiny_config(corpus_dir, tmp_path, run={"max_steps": 200, "valid_every": 50, "log_every": 25})
    result = train(parse_config(config))
    valid = read_log(tmp_path / "train_log.jsonl", event="valid")
    assert [r["step"] for r in valid] == [50, 100, 150, 200]
    for subnet in ("largest", "smallest"):
        curve = [r["valid_loss"][subnet] for r in valid]
        assert curve[-1] < curve[0] - 0.3, (subnet, curve)
        assert curve[-1] < np.log(100) - 1.0  # well below a uniform guess over the 100-token vocabulary
    assert result.steps == 200 and result.checkpoint is not None and result.checkpoint.name == "step-00000200.pt"


def test_killed_and_resumed_run_repeats_the_uninterrupted_run(
    corpus_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    straight = train(parse_config(tiny_config(corpus_dir, tmp_path / "straight")))
    config = parse_config(tiny_config(corpus_dir, tmp_path / "killed"))
    real_step = loop.train_step

    def dies_in_step_7(s, archs, batches):  # type: ignore[no-untyped-def]
        if s.step == 6:
            raise KeyboardInterrupt
        return real_step(s, archs, batches)

    monkeypatch.setattr(loop, "train_step", dies_in_step_7)
    with pytest.raises(KeyboardInterrupt):
        train(config)
    assert [step for step, _ in _losses(tmp_path / "killed")] == [1, 2, 3, 4, 5, 6]  # checkpoint at 4
    monkeypatch.setattr(loop, "train_step", real_step)
    resumed = train(config, resume=True)

    assert _losses(tmp_path / "killed") == _losses(tmp_path / "straight")  # exact, steps 5-8 recomputed
    assert resumed.steps == straight.steps == 8
    a, _, _ = load_trained(straight.checkpoint)  # type: ignore[arg-type]
    b, _, _ = load_trained(resumed.checkpoint)  # type: ignore[arg-type]
    for (name, x), (_, y) in zip(a.module.state_dict().items(), b.module.state_dict().items(), strict=True):
        assert torch.equal(x, y), name


def test_resume_says_where_it_starts_and_draws_no_bar_for_a_finished_run(
    corpus_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = parse_config(tiny_config(corpus_dir, tmp_path))
    said: list[str] = []
    train(config, resume=True, say=said.append)
    assert said == [f"no checkpoint in {tmp_path / 'checkpoints'}: training from step 0"]
    (tmp_path / "checkpoints" / "step-00000008.pt").unlink()  # as if killed between the checkpoints at 4 and 8
    train(config, resume=True, say=said.append)
    assert said[1] == f"resumed from step 4 of 8 ({tmp_path / 'checkpoints'})"
    bars: list[bool] = []
    real_bar = loop.ProgressBar

    def recording_bar(*, total: int, start: int, enabled: bool) -> loop.ProgressBar:
        bars.append(enabled)
        return real_bar(total=total, start=start, enabled=False)

    monkeypatch.setattr(loop, "ProgressBar", recording_bar)
    shown = parse_config(tiny_config(corpus_dir, tmp_path, run={"quiet": False}))
    result = train(shown, resume=True, say=said.append)
    assert said[2] == f"already trained: step 8 of 8 in {tmp_path / 'checkpoints'}; nothing to do"
    assert result.steps == 8 and bars == [False]  # nothing to train: no frozen "8/8 loss -" bar


def test_resume_refuses_a_changed_config(corpus_dir: Path, tmp_path: Path) -> None:
    from hwnas.core.errors import ConfigError

    train(parse_config(tiny_config(corpus_dir, tmp_path, run={"max_steps": 4})))
    changed = parse_config(tiny_config(corpus_dir, tmp_path, optim={"lr": 1e-3}, run={"max_steps": 6}))
    with pytest.raises(ConfigError, match=r"optim\.lr"):
        train(changed, resume=True)
    assert yaml.safe_load((tmp_path / "config.yaml").read_text())["optim"]["lr"] == 3e-3  # the run's own config


def test_a_checkpoint_older_than_a_changed_default_loads_and_resumes_as_trained(
    corpus_dir: Path, tmp_path: Path
) -> None:
    """Defaults changed since (model.encoder_final_norm: "all" -> "last", data.valid_subset: 1000 -> all, a
    supernet's model.dropout_scaling: "all" -> "hat"): a run resumed without setting them continues as it was
    trained; setting another value is refused."""
    from hwnas.core.errors import ConfigError

    model = {"encoder_final_norm": "all", "dropout_scaling": "all"}
    old = tiny_config(corpus_dir, tmp_path, model=model, data={"valid_subset": 30})
    train(parse_config({**old, "run": {**old["run"], "max_steps": 4}}))
    path = tmp_path / "checkpoints" / "step-00000004.pt"
    state = torch.load(path, weights_only=True)  # rewritten as hwnas wrote it before the option existed
    del state["config"]["model"]["encoder_final_norm"], state["config"]["model"]["dropout_scaling"]
    model_config = json.loads(state["model_config"])
    del model_config["encoder_final_norm"], model_config["dropout_scaling"]
    torch.save({**state, "model_config": json.dumps({**model_config, "scale_dropout": True})}, path)
    assert load_trained(path)[0].module.config.encoder_final_norm == "all"  # type: ignore[union-attr]
    assert load_trained(path)[0].module.config.dropout_scaling == "all"  # type: ignore[union-attr]

    resumed = train(parse_config(tiny_config(corpus_dir, tmp_path, run={"max_steps": 6})), resume=True)
    built, _, meta = load_trained(resumed.checkpoint)  # type: ignore[arg-type]
    assert built.module.config.encoder_final_norm == meta["config"]["model"]["encoder_final_norm"] == "all"  # type: ignore[union-attr]
    written = yaml.safe_load((tmp_path / "config.yaml").read_text())
    assert written["model"]["encoder_final_norm"] == "all" and written["data"]["valid_subset"] == 30
    assert built.module.config.dropout_scaling == written["model"]["dropout_scaling"] == "all"  # type: ignore[union-attr]
    other = tiny_config(corpus_dir, tmp_path, model={"encoder_final_norm": "last"}, run={"max_steps": 8})
    with pytest.raises(ConfigError, match=r"model\.encoder_final_norm"):
        train(parse_config(other), resume=True)


def test_sandwich_trains_largest_smallest_and_random_subnets(corpus_dir: Path, tmp_path: Path) -> None:
    config = tiny_config(corpus_dir, tmp_path, sampling={"strategy": "sandwich", "num_random": 1})
    config["run"].update(max_steps=2, checkpoint_every=2)
    train(parse_config(config))
    space = get_space("tiny")
    records = read_log(tmp_path / "train_log.jsonl")
    ids = records[0]["arch_id"]
    assert len(ids) == 3 and ids[:2] == [space.largest().arch_id, space.smallest().arch_id]


def test_from_scratch_training_trains_the_extracted_arch(corpus_dir: Path, tmp_path: Path) -> None:
    space = get_space("tiny")
    arch = space.sample(np.random.default_rng(5))
    result = train(parse_config(tiny_config(corpus_dir, tmp_path, arch=arch.to_dict(), run={"max_steps": 4})))
    built, codec, meta = load_trained(result.checkpoint)  # type: ignore[arg-type]
    assert built.kind == "standalone" and meta["arch"] == arch.to_dict()
    assert {r["arch_id"] for r in read_log(tmp_path / "train_log.jsonl")} == {arch.arch_id}
    assert built.module.num_params() < sum(p.numel() for p in _supernet_params(codec.vocab_size))


def _supernet_params(vocab: int) -> list[torch.nn.Parameter]:
    from hwnas.models import SuperTransformer

    return list(SuperTransformer.from_space("tiny", vocab_size=vocab).parameters())


def test_multi30k_slice_trains(data_dir: Path, tmp_path: Path) -> None:
    config = {
        "space": "tiny",
        "run_dir": str(tmp_path),
        "data": {"corpus": "multi30k", "max_train_pairs": 2000, "valid_subset": 100, "vocab_size": 500},
        "optim": {"lr": 2e-3, "warmup_steps": 10, "max_tokens": 1024},
        "run": {"max_steps": 40, "log_every": 20, "valid_every": 20, "device": "cpu", "quiet": True, "threads": 1},
    }
    train(parse_config(config))
    valid = read_log(tmp_path / "train_log.jsonl", event="valid")
    assert valid[-1]["valid_loss"]["largest"] < valid[0]["valid_loss"]["largest"]
