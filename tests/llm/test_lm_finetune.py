"""Fine-tuning the embedded model as LM-Searcher's ranker (LoRA through peft), on the real SmolLM2-135M with two
short samples: a killed run resumes to the same losses, the adapter changes the model's scores and its identity,
and bad settings or folders fail in one line. Plumbing, not quality (benchmarks/lm_ranker.py measures that)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from hwnas.cli.main import app
from hwnas.core.errors import ConfigError
from hwnas.llm.adapter import PROVENANCE, check_adapter
from hwnas.llm.base import Message, Request, Sampling
from hwnas.llm.embedded import EmbeddedClient
from hwnas.llm.lm_data import SampleSettings, TableSource, make_samples
from hwnas.llm.lm_finetune import FinetuneSettings, finetune
from hwnas.llm.prompts import load_template
from hwnas.spaces import get_space

SETTINGS = FinetuneSettings(rank=4, alpha=8, dropout=0.0, layers=2, lr=5e-3, batch=1, epochs=1.0, save_every=1)


class Stop(Exception):
    pass


@pytest.fixture(scope="module")
def samples() -> list[dict[str, Any]]:
    space = get_space("gpt-tiny")
    archs = list(space.iter_all())
    values = np.random.default_rng(0).normal(size=len(archs))
    table = TableSource("table:gpt-tiny", space, archs, values, "latency_x")
    settings = SampleSettings(history=(2, 2), pool=3)
    return list(
        make_samples(
            [table], 2, template=load_template("lmsearch-bare-v1"), settings=settings, rng=np.random.default_rng(0)
        )
    )


def _train(smollm2: Path, samples: list[dict[str, Any]], out: Path, stop_at: int | None = None) -> list[int]:
    from hwnas.llm.embedded import default_converted_root
    from hwnas.llm.embedded_hf import load_model

    model, tokenizer = load_model(smollm2, default_converted_root())
    seen: list[int] = []

    def progress(step: int, steps: int, loss: float) -> None:
        seen.append(step)
        if step == stop_at:
            raise Stop

    finetune(samples, model=model, tokenizer=tokenizer, base_id="test", out=out, settings=SETTINGS, progress=progress)
    return seen


def test_finetune_resumes_scores_and_identifies_the_adapter(
    smollm2: Path, samples: list[dict[str, Any]], tmp_path: Path
) -> None:
    import torch

    torch.set_num_threads(1)
    whole, resumed = tmp_path / "whole", tmp_path / "resumed"
    assert _train(smollm2, samples, whole) == [1, 2]
    with pytest.raises(Stop):  # killed during step 2, after step 1's checkpoint
        _train(smollm2, samples, resumed, stop_at=2)
    assert (tmp_path / "resumed.partial" / "checkpoint.pt").is_file() and not resumed.exists()
    assert _train(smollm2, samples, resumed) == [2]  # resumed after the first step
    assert not (tmp_path / "resumed.partial").exists()
    first, second = (json.loads((d / PROVENANCE).read_text()) for d in (whole, resumed))
    assert first["losses"] == pytest.approx(second["losses"], rel=1e-4)
    assert first["train_sources"] == ["table:gpt-tiny"] and first["steps"] == 2
    assert sorted(f.name for f in whole.iterdir()) == ["adapter_config.json", "adapter_model.safetensors", PROVENANCE]

    base = EmbeddedClient(gguf=smollm2, backend="transformers")
    tuned = EmbeddedClient(gguf=smollm2, adapter=whole)
    assert tuned.backend_name == "transformers" and "+lora-" in tuned.model and "+lora-" not in base.model
    sample = samples[0]
    request = Request(tuple(Message(m["role"], m["content"]) for m in sample["messages"][:-1]), Sampling())
    pool = sample["meta"]["pool"]
    before = base.score_choices(request, pool, timeout_s=60)
    after = tuned.score_choices(request, pool, timeout_s=60)
    assert before != pytest.approx(after, abs=1e-4)  # the adapter changes the scores the searcher picks by
    label = sample["meta"]["label"]
    assert after[label] > before[label]  # and it learnt the answer it was trained on


def test_bad_adapters_and_settings_fail_in_one_line(smollm2: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is not a folder"):
        check_adapter(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match=r"has no adapter_config\.json"):
        check_adapter(tmp_path / "empty")
    (tmp_path / "empty" / "adapter_config.json").write_text("{}")
    (tmp_path / "empty" / "adapter_model.safetensors").write_bytes(b"")
    with pytest.raises(ConfigError, match="backend 'llama_cpp' cannot apply a LoRA adapter"):
        EmbeddedClient(gguf=smollm2, adapter=tmp_path / "empty", backend="llama_cpp")
    for bad, flag in (({"rank": 0}, "--rank 0"), ({"dropout": 1.0}, "--dropout 1.0"), ({"device": "tpu"}, "tpu")):
        with pytest.raises(ConfigError, match=flag):
            FinetuneSettings(**bad)  # type: ignore[arg-type]


def test_finetune_cli_refuses_to_overwrite_and_reads_only_ranking_samples(tmp_path: Path) -> None:
    data = tmp_path / "data.jsonl"
    data.write_text('{"messages": []}\n')
    (tmp_path / "exists").mkdir()
    runner = CliRunner()
    result = runner.invoke(app, ["lm-searcher", "finetune", "--data", str(data), "--out", str(tmp_path / "exists")])
    assert result.exit_code != 0 and "already exists" in result.output
    result = runner.invoke(app, ["lm-searcher", "finetune", "--data", str(data), "--out", str(tmp_path / "new")])
    assert result.exit_code != 0 and "line 1: not a ranking sample" in result.output
    assert not (tmp_path / "new").exists()
