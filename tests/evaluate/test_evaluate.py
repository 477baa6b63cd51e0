"""Validation loss, BLEU and translation of trained checkpoints, and the supernet evaluator for search."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch

from hwnas.core.arch import Arch
from hwnas.core.errors import ConfigError, DataError
from hwnas.evaluate import SupernetEvaluator, bleu, bleu_score, translate
from hwnas.evaluate.checkpoint import evaluate_checkpoint, model_for_arch
from hwnas.search.evaluator import Evaluator
from hwnas.spaces import get_space
from hwnas.train.runlog import read_log
from hwnas.train.session import load_trained


def test_bleu_of_known_outputs() -> None:
    refs = ["a b c d e", "the cat sat on the mat"]
    assert bleu_score(refs, refs) == pytest.approx(100.0)
    # 4/5, 3/4, 2/3, 1/2 matching n-grams, equal length (no brevity penalty)
    assert bleu_score(["a b c d e"], ["a b c d f"]) == pytest.approx(100 * (0.8 * 0.75 * (2 / 3) * 0.5) ** 0.25)
    with pytest.raises(DataError, match="must pair up"):
        bleu_score(["x"], [])


def test_supernet_evaluator_matches_the_training_log_and_the_protocol(supernet_run: Path) -> None:
    space = get_space("tiny")
    evaluator = SupernetEvaluator(supernet_run, device="cpu")
    assert isinstance(evaluator, Evaluator) and evaluator.metrics == ("valid_loss",) and not evaluator.cheap
    results = evaluator.evaluate([space.largest(), space.smallest(), space.largest()])
    logged = read_log(supernet_run.parent.parent / "train_log.jsonl", event="valid")[-1]["valid_loss"]
    assert results[0]["valid_loss"] == pytest.approx(logged["largest"], rel=1e-9)
    assert results[1]["valid_loss"] == pytest.approx(logged["smallest"], rel=1e-9)
    assert results[2] == results[0]  # cached batches, no state carried between archs
    assert 0 < results[0]["valid_loss"] < math.log(100)


def test_checkpoint_loss_of_an_arch_equals_the_evaluator(supernet_run: Path) -> None:
    arch = get_space("tiny").smallest()
    result = evaluate_checkpoint(supernet_run, arch=arch, metric="loss", device="cpu")
    expected = SupernetEvaluator(supernet_run, device="cpu").loss(arch)
    assert result["valid_loss"] == pytest.approx(expected, rel=1e-6)  # extracted model == supernet subnet
    assert result["arch_id"] == arch.arch_id and result["sentences"] == 40


def test_translate_keeps_order_and_matches_the_supernet_subnet(supernet_run: Path) -> None:
    arch = get_space("tiny").largest()
    model, codec, _, _ = model_for_arch(supernet_run, arch, device="cpu")
    built, _, _ = load_trained(supernet_run)
    built.activate(arch)
    lines = ["wab wcd wee", "wfa", "wbb wbc wbd wbe wca"]
    extracted = translate(model, codec, lines, beam=4)
    assert extracted == translate(built.module, codec, lines, beam=4)
    assert [translate(model, codec, [line], beam=4)[0] for line in lines] == extracted  # batching does not matter
    refs = ["WEE WCD WAB", "WFA", "WCA WBE WBD WBC WBB"]
    assert bleu(model, codec, lines, refs) == pytest.approx(bleu_score(extracted, refs))


def test_from_scratch_checkpoint_needs_no_arch_and_rejects_another(scratch_run: Path, scratch_arch: Arch) -> None:
    model, _, arch, meta = model_for_arch(scratch_run, None, device="cpu")
    assert arch == scratch_arch and meta["kind"] == "standalone" and not model.training
    other = get_space("tiny").largest()
    with pytest.raises(ConfigError, match="was trained for arch"):
        model_for_arch(scratch_run, other, device="cpu")
    with pytest.raises(DataError, match="standalone model, not a supernet"):
        SupernetEvaluator(scratch_run, device="cpu")
    result = evaluate_checkpoint(scratch_run, arch=None, metric="bleu", max_sentences=5, beam=2, device="cpu")
    assert result["sentences"] == 5 and 0.0 <= result["bleu"] <= 100.0


def test_supernet_checkpoint_without_arch_is_a_clear_error(supernet_run: Path) -> None:
    with pytest.raises(ConfigError, match="holds a supernet: choose a subnet with --arch"):
        model_for_arch(supernet_run, None, device="cpu")


def test_supernet_evaluator_is_built_by_the_search_registry(supernet_run: Path) -> None:
    from hwnas.search.evaluator import make_evaluator

    with pytest.raises(ConfigError, match="--checkpoint"):
        make_evaluator("supernet", get_space("tiny"), {"device": "cpu"})
    evaluator = make_evaluator("supernet", get_space("tiny"), {"checkpoint": str(supernet_run), "device": "cpu"})
    assert evaluator.evaluate([get_space("tiny").smallest()])[0]["valid_loss"] > 0
    with pytest.raises(ConfigError, match="trained on space 'tiny'"):
        make_evaluator("supernet", get_space("hat-wmt14ende"), {"checkpoint": str(supernet_run), "device": "cpu"})


def test_search_with_supernet_fitness(supernet_run: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from hwnas.cli.main import app

    args = [
        "search",
        "--space",
        "tiny",
        "--fitness",
        "supernet",
        "--checkpoint",
        str(supernet_run),
        "--device",
        "cpu",
        "--constraint",
        "params<=60000",
        "--iterations",
        "2",
        "--population",
        "6",
        "--parents",
        "2",
        "--mutation-size",
        "2",
        "--crossover-size",
        "2",
        "--seed",
        "3",
        "--out",
        str(tmp_path / "run"),
        "--json",
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)["result"]
    assert data["objectives"] == ["valid_loss:min"]
    assert data["best"]["metrics"]["valid_loss"] > 0 and data["best"]["metrics"]["params"] <= 60000


def test_eval_batches_never_drop_a_long_pair() -> None:
    from hwnas.evaluate import make_eval_batches

    src = [[5] * 40, [6, 3]]
    batches = make_eval_batches(src, [[7, 3], [8] * 30], max_tokens=16, device=torch.device("cpu"))
    assert sum(b.src_tokens.shape[0] for b in batches) == 2
