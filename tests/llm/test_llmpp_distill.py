from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from hwnas.core.errors import ConfigError
from hwnas.llm.base import LLMError, Request, Sampling
from hwnas.llm.distill import LabelStore, fit_on_labels, label_archs, make_distilled_evaluator, sample_archs
from hwnas.llm.distill_run import run_distill
from hwnas.llm.llmpp import Demonstration, LLMPPPredictor, PromptContext
from hwnas.llm.llmpp_config import DistillConfig
from hwnas.llm.prompts import load_template
from hwnas.llm.seedarchs import get_task
from hwnas.spaces import get_space

from .llmpp_fakes import DyingRunner, Killed, ScriptedRunner, query_arch

SPACE = get_space("hat-wmt14ende")


def synthetic_bleu(arch) -> float:  # type: ignore[no-untyped-def]
    """A smooth stand-in for BLEU: more decoder layers and wider encoders score higher."""
    return 22.0 + 0.6 * arch["decoder_layer_num"] + (arch["encoder_embed_dim"] - 512) / 64


def _answer(pool: list) -> object:
    def answer(request: Request) -> str:
        return f"{synthetic_bleu(query_arch(request, pool)):.2f}"

    return answer


def _predictor(runner: ScriptedRunner) -> LLMPPPredictor:
    context = PromptContext(template=load_template("llmpp-v1"), space=SPACE, task=get_task("wmt14ende").variables())
    demos = [Demonstration(a, synthetic_bleu(a)) for a in sample_archs(SPACE, 3, seed=99)]
    return LLMPPPredictor(runner=runner, context=context, demonstrations=demos)


def test_sample_archs_is_seeded_distinct_and_prefix_stable() -> None:
    archs = sample_archs(SPACE, 30, seed=4)
    assert len({a.arch_id for a in archs}) == 30
    assert sample_archs(SPACE, 30, seed=4) == archs
    assert sample_archs(SPACE, 12, seed=4) == archs[:12]  # asking for more later reuses the first labels


def test_a_killed_labelling_run_resumes_with_only_the_remainder(tmp_path: Path) -> None:
    archs = sample_archs(SPACE, 20, seed=0)
    store = LabelStore(tmp_path / "labels.jsonl")
    dying = DyingRunner(_answer(archs), budget=13)  # dies inside the 4th batch of 4
    with pytest.raises(Killed):
        label_archs(_predictor(dying), archs, store, batch_size=4)
    assert len(store.done()) == 12  # three whole batches were saved before the kill
    runner = ScriptedRunner(_answer(archs))
    counts = label_archs(_predictor(runner), archs, store, batch_size=4)
    assert counts == {"asked": 8, "already_labelled": 12, "failed": 0}
    assert len(runner.requests) == 8
    asked = {query_arch(r, archs).arch_id for r in runner.requests}
    assert asked == {a.arch_id for a in archs[12:]}
    records = store.read()
    assert all(records[a.arch_id]["value"] == pytest.approx(synthetic_bleu(a), abs=0.01) for a in archs)


def test_failed_labels_are_kept_and_asked_again(tmp_path: Path) -> None:
    archs = sample_archs(SPACE, 6, seed=1)
    store = LabelStore(tmp_path / "labels.jsonl")
    dead = ScriptedRunner(lambda r: LLMError("connection refused"))
    counts = label_archs(_predictor(dead), archs, store, batch_size=4)
    assert counts["failed"] == 6 and store.done() == set()
    assert all("connection refused" in r["failures"][0] for r in store.read().values())
    label_archs(_predictor(ScriptedRunner(_answer(archs))), archs, store, batch_size=4)
    assert len(store.done()) == 6


def test_a_line_cut_by_a_kill_is_dropped_not_fatal(tmp_path: Path) -> None:
    store = LabelStore(tmp_path / "labels.jsonl")
    store.append([{"arch_id": "a", "value": 25.0}])
    with store.path.open("a") as f:
        f.write('{"arch_id": "b", "val')
    assert set(store.read()) == {"a"}
    store.append([{"arch_id": "c", "value": 26.0}])
    assert set(store.read()) == {"a", "c"}
    store.path.write_text('{"arch_id": "a"}\nnot json\n{"arch_id": "c"}\n')
    with pytest.raises(Exception, match="line 2"):
        store.read()


def test_distilled_evaluator_predicts_bleu(tmp_path: Path) -> None:
    archs = sample_archs(SPACE, 60, seed=2)
    records = [{"arch_id": a.arch_id, **a.to_dict(), "value": synthetic_bleu(a)} for a in archs[:40]]
    fit_on_labels(records, SPACE, regressor="mlp-ensemble", seed=0).save(tmp_path / "model.npz")
    evaluator = make_distilled_evaluator(SPACE, accuracy_model=str(tmp_path / "model.npz"))
    assert evaluator.metrics == ("bleu_pred",) and evaluator.cheap and evaluator.fitness_direction == "max"
    predicted = [row["bleu_pred"] for row in evaluator.evaluate(archs[40:])]
    truth = [synthetic_bleu(a) for a in archs[40:]]
    assert np.mean(np.abs(np.array(predicted) - truth)) < 0.5
    assert evaluator.evaluate([]) == []


def test_evaluator_needs_a_model() -> None:
    with pytest.raises(ConfigError, match="--accuracy-model"):
        make_distilled_evaluator(SPACE, accuracy_model=None)


def test_distill_end_to_end_and_refuses_mixed_settings(tmp_path: Path, data_dir: Path) -> None:
    pool = sample_archs(SPACE, 24, seed=0)
    from hwnas.llm.seedarchs import load_seed_archs

    seed_archs = [a.arch for split in ("train", "test") for a in load_seed_archs(123, "wmt14ende", split)]
    runner = ScriptedRunner(_answer(pool + seed_archs))
    config = DistillConfig(space="hat-wmt14ende", n=24, out=str(tmp_path), seeds=[123], regressor="gbdt", examples=0)
    result = run_distill(runner, config)
    assert (tmp_path / "model.npz").is_file() and (tmp_path / "model-s123.npz").is_file()
    assert json.loads((tmp_path / "result.json").read_text())["rows"][0]["predictor"].startswith("LLM-Distill-PP")
    [labels] = result["labels"]
    assert labels["asked"] == 24 and labels["labels_usable"] == 24 and labels["regressor"] == "gbdt"
    distilled = result["rows"][0]["tasks"]["wmt14ende"]
    assert distilled["per_seed"][0]["n"] == 20 and np.isfinite(distilled["mae_mean"])
    assert result["rows"][1]["predictor"] == "HAT supernet"
    again = run_distill(ScriptedRunner(_answer(pool)), config)  # resumed: nothing left to ask
    assert again["labels"][0]["asked"] == 0
    with pytest.raises(ConfigError, match="labels made with sampling="):
        run_distill(runner, config, sampling=Sampling(temperature=0.5))
    with pytest.raises(ConfigError, match="labels made with k=None, not 3"):
        run_distill(runner, config.model_copy(update={"k": 3}))
