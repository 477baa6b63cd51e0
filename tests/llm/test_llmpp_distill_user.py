"""LLM-Distill-PP on a user's own demonstrations (any HAT-family space): file validation, prompts, resume, CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from hwnas.cli.main import app
from hwnas.core.errors import ConfigError, DataError
from hwnas.llm.base import Sampling
from hwnas.llm.demonstrations import load_demonstrations, user_task
from hwnas.llm.distill import make_distilled_evaluator, sample_archs
from hwnas.llm.distill_run import run_distill
from hwnas.llm.llmpp_config import USER_TEMPLATE, DistillConfig
from hwnas.llm.replay import Recorder
from hwnas.spaces import get_space

from .llmpp_fakes import ScriptedRunner, query_arch, user_text

SPACE = get_space("tiny")
POOL = sample_archs(SPACE, 40, seed=0) + sample_archs(SPACE, 10, seed=77)


def truth(arch) -> float:  # type: ignore[no-untyped-def]
    """A smooth stand-in for a measured BLEU of a tiny arch."""
    return 4.0 + 1.5 * arch["decoder_layer_num"] + arch["encoder_embed_dim"] / 32


def _answer(request) -> str:  # type: ignore[no-untyped-def]
    return f"{truth(query_arch(request, POOL)):.2f}"


def _demos_file(path: Path, *, flat: bool = False) -> Path:
    lines = []
    for arch in sample_archs(SPACE, 10, seed=77):
        item = {**arch.to_dict(), "value": truth(arch)} if flat else {"arch": arch.to_dict(), "value": truth(arch)}
        lines.append(json.dumps(item))
    path.write_text("\n".join(lines) + "\n")
    return path


def _config(tmp_path: Path, **changes: object) -> DistillConfig:
    values = {"space": "tiny", "demonstrations": str(_demos_file(tmp_path / "demos.jsonl")), "n": 24}
    values |= {"out": str(tmp_path / "out"), "regressor": "gbdt", "examples": 0, "metric": "valid BLEU (inherited)"}
    return DistillConfig(**{**values, **changes})


def test_one_model_from_the_users_demonstrations_and_resume(tmp_path: Path) -> None:
    config = _config(tmp_path, task_description="Translate captions of photos.")
    assert config.template == USER_TEMPLATE
    runner = ScriptedRunner(_answer)
    result = run_distill(runner, config)
    out = Path(config.out)
    assert (out / "model.npz").is_file() and not list(out.glob("labels-s*")) and not list(out.glob("model-s*"))
    assert result["mode"] == "demonstrations" and result["labels"]["asked"] == 24 and len(runner.requests) == 24
    assert result["labels"]["labels_usable"] == 24 and result["demonstrations"]["count"] == 10
    assert json.loads((out / "result.json").read_text())["model_file"] == "model.npz"
    prompt = user_text(runner.requests[0])
    assert "search space tiny" in prompt and "encoder embed dim: encoder hidden size; values 64, 32" in prompt
    assert prompt.count("valid BLEU (inherited): ") == 10 and "Translate captions of photos." in prompt
    assert "trained from scratch" not in prompt
    evaluator = make_distilled_evaluator(SPACE, accuracy_model=str(out / "model.npz"))
    archs = sample_archs(SPACE, 30, seed=5)
    predicted = np.array([row["bleu_pred"] for row in evaluator.evaluate(archs)])
    assert np.mean(np.abs(predicted - [truth(a) for a in archs])) < 0.5
    again = run_distill(ScriptedRunner(_answer), config)  # resumed: every label is there
    assert again["labels"]["asked"] == 0 and again["labels"]["already_labelled"] == 24


def test_a_folder_is_not_resumed_with_other_demonstrations_or_task(tmp_path: Path) -> None:
    config = _config(tmp_path)
    run_distill(ScriptedRunner(_answer), config)
    with pytest.raises(ConfigError, match="task_description"):
        run_distill(ScriptedRunner(_answer), config.model_copy(update={"task_description": "other"}))
    path = Path(str(config.demonstrations))
    path.write_text(path.read_text().replace('"value": 7', '"value": 9', 1))
    with pytest.raises(ConfigError, match="demonstrations_sha256"):
        run_distill(ScriptedRunner(_answer), config)


def test_flat_lines_are_accepted_too(tmp_path: Path) -> None:
    nested = load_demonstrations(_demos_file(tmp_path / "a.jsonl"), SPACE)
    flat = load_demonstrations(_demos_file(tmp_path / "b.jsonl", flat=True), SPACE)
    assert [(d.arch, d.value) for d in nested] == [(d.arch, d.value) for d in flat] and len(flat) == 10


GOOD = json.dumps({"arch": SPACE.smallest().to_dict(), "value": 3.5})


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("{not json", "is not valid JSON"),
        ("[1, 2]", "expected an object"),
        ('{"value": 3.0}', "no 'genes' mapping"),
        (json.dumps({"arch": {"space": "nb201", "genes": {}}, "value": 1.0}), "is for space 'nb201'"),
        (json.dumps({"arch": SPACE.smallest().to_dict(), "value": "high"}), "'value' must be a finite number"),
        (json.dumps({"arch": SPACE.smallest().to_dict(), "value": True}), "'value' must be a finite number"),
        (json.dumps({"arch": SPACE.smallest().to_dict()}), "'value' must be a finite number"),
        ('{"arch": ' + json.dumps(SPACE.smallest().to_dict()) + ', "value": NaN}', "finite number"),
        (GOOD.replace('"encoder_embed_dim": 32', '"encoder_embed_dim": 48'), "encoder_embed_dim"),
    ],
)
def test_a_bad_line_names_file_line_and_reason(tmp_path: Path, line: str, reason: str) -> None:
    path = tmp_path / "demos.jsonl"
    path.write_text(f"{GOOD}\n\n{line}\n")
    with pytest.raises(DataError, match="line 3") as info:
        load_demonstrations(path, SPACE)
    assert str(path) in str(info.value) and reason in str(info.value)


def test_empty_or_missing_files_are_data_errors(tmp_path: Path) -> None:
    (tmp_path / "empty.jsonl").write_text("\n")
    with pytest.raises(DataError, match="holds no demonstrations"):
        load_demonstrations(tmp_path / "empty.jsonl", SPACE)
    with pytest.raises(DataError, match="cannot read demonstrations file"):
        load_demonstrations(tmp_path / "missing.jsonl", SPACE)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"seeds": [123]}, "seeds applies to the seed-arch splits only"),
        ({"space": "nb201"}, "family 'nb201'"),
        ({"demonstrations": None}, "--demonstrations"),
        ({"demonstrations": None, "space": "hat-wmt14ende", "task_description": "x"}, "task_description applies"),
    ],
)
def test_settings_that_do_not_fit_the_mode_are_refused(tmp_path: Path, changes: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _config(tmp_path, **changes)


def test_task_from_a_registered_corpus(data_dir: Path) -> None:
    task = user_task("multi30k:en-de", metric="valid BLEU", examples=2, seed=0)
    assert task.variables["source_language"] == "English" and task.variables["target_language"] == "German"
    assert len(task.examples) == 2 and task.note == "" and "valid BLEU" in task.variables["description"]
    assert user_task("multi30k", metric="BLEU", examples=0, seed=0).variables["source_language"] == "English"
    with pytest.raises(DataError, match="language pairs de-en"):
        user_task("multi30k:en-fr", metric="BLEU", examples=0, seed=0)


def test_cli_distills_from_a_demonstrations_file(tmp_path: Path) -> None:
    (tmp_path / "lib").mkdir()
    config = _config(tmp_path / "lib", n=8)
    runner = ScriptedRunner(_answer)
    run_distill(runner, config, sampling=Sampling())
    recorder = Recorder(tmp_path / "answers.jsonl")
    for request in runner.requests:
        recorder.record(runner.model, request, runner.answer(request), elapsed_s=0.0)  # type: ignore[arg-type]
    args = ["llm-pp", "distill", "--space", "tiny", "--demonstrations", str(config.demonstrations), "--n", "8"]
    args += ["--out", str(tmp_path / "cli"), "--regressor", "gbdt", "--examples", "0"]
    args += ["--metric", "valid BLEU (inherited)", "--llm-replay", str(tmp_path / "answers.jsonl")]
    result = CliRunner().invoke(app, args, env={"HWNAS_CACHE_DIR": str(tmp_path / "cache")})
    assert result.exit_code == 0, result.output
    assert "8 usable labels, 0 failed" in result.stdout and (tmp_path / "cli" / "model.npz").is_file()
    bad = CliRunner().invoke(app, [*args[:6], "--seed", "123", "--out", str(tmp_path / "x")])
    assert bad.exit_code == 2 and "seeds applies to the seed-arch splits only" in bad.stderr
