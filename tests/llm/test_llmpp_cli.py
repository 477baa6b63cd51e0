from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from hwnas.cli.llm_cmd import LLM_FLAGS
from hwnas.cli.llmgen_cmd import GENERATE_FLAGS
from hwnas.cli.llmpp_cmd import DISTILL_FLAGS, EVALUATE_FLAGS
from hwnas.cli.main import app
from hwnas.llm.base import Sampling
from hwnas.llm.evaluation import evaluate_llmpp, json_safe
from hwnas.llm.llmpp_config import DistillConfig, EvaluateConfig, GenerateConfig
from hwnas.llm.replay import Recorder
from hwnas.llm.seedarchs import load_seed_archs
from hwnas.spaces import get_space

from .llmpp_fakes import ScriptedRunner, query_arch

cli = CliRunner()


@pytest.mark.parametrize(
    ("flags", "model"),
    [(EVALUATE_FLAGS, EvaluateConfig), (DISTILL_FLAGS, DistillConfig), (GENERATE_FLAGS, GenerateConfig)],
)
def test_every_flag_is_a_config_key_and_back(flags: dict, model: type) -> None:
    assert set(flags.values()) | {"llm"} == set(model.model_fields)
    assert all(key in LLM_FLAGS for key in ("llm_temperature", "llm_seed", "llm_max_tokens"))  # the llm: section


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["evaluate", "--task", "wmt16roen"], "unknown task 'wmt16roen'"),
        (["evaluate", "--k", "0"], "config key 'k'"),
        (["evaluate", "--seed", "7"], "unknown split seed 7"),
        (["evaluate", "--template", "nowhere/mine.j2"], "does not exist"),
        (["evaluate", "--template", "llmpp-v9"], "unknown prompt template"),
        (["evaluate", "--value-min", "50", "--value-max", "10"], "value_min"),
        (["distill", "--space", "hat-wmt14ende"], "'out'"),
        (["distill", "--space", "nb201", "--out", "x", "--llm-replay", "missing.jsonl"], "nb201"),
        (["generate", "--space", "hat-wmt14ende", "--constraint", "flops<<3"], "is not a number"),
        (["generate", "--space", "hat-wmt14ende", "--k", "0"], "config key 'k'"),
        (["evaluate", "--llm-client", "nonsense"], "unknown client 'nonsense'"),
    ],
)
def test_bad_input_is_one_clear_line_and_exit_2(args: list[str], message: str, tmp_path: Path) -> None:
    result = cli.invoke(app, ["llm-pp", *args], env={"HWNAS_CACHE_DIR": str(tmp_path)})
    assert result.exit_code == 2, result.output
    assert message in result.stderr and result.stderr.startswith("error: ")
    assert "Traceback" not in result.output


def _record(path: Path, task: str, seed: int, limit: int, skip: int = 0) -> dict:
    """Record oracle-like answers for the first ``limit`` test archs of a split (all but the first ``skip``) into a
    replay file, exactly as the CLI will ask them; returns the library's result for the same settings."""
    tests = load_seed_archs(seed, task, "test")[:limit]
    pool = [a.arch for a in tests] + [a.arch for a in load_seed_archs(seed, task, "train")]
    truth = {a.arch.arch_id: a.valid_bleu for a in tests}
    runner = ScriptedRunner(lambda r: f"Estimated: {truth[query_arch(r, pool).arch_id] + 0.5:.2f} BLEU")
    config = EvaluateConfig(tasks=[task], seeds=[seed], limit=limit, examples=1, max_attempts=1)
    result = evaluate_llmpp(runner, config, sampling=Sampling())
    recorder = Recorder(path)
    for request in runner.requests:
        if query_arch(request, pool).arch_id not in {a.arch.arch_id for a in tests[:skip]}:
            recorder.record(runner.model, request, runner.answer(request), elapsed_s=0.0)  # type: ignore[arg-type]
    return result


def test_evaluate_replays_deterministically(tmp_path: Path, data_dir: Path) -> None:
    replay = tmp_path / "answers.jsonl"
    expected = _record(replay, "wmt14enfr", 456, limit=4)
    args = ["llm-pp", "evaluate", "--task", "wmt14enfr", "--seed", "456", "--limit", "4", "--examples", "1"]
    args += ["--max-attempts", "1", "--llm-replay", str(replay), "--json"]
    first, second = (cli.invoke(app, [*args, "--out", str(tmp_path / f"r{i}.json")]) for i in (1, 2))
    assert first.exit_code == 0, first.output
    one, two = json.loads(first.stdout), json.loads(second.stdout)
    assert one["splits"] == two["splits"] == json.loads(json.dumps(expected["splits"]))
    llm = one["rows"][0]
    assert llm["predictor"] == "LLM-PP (fake:scripted)"
    assert llm["tasks"]["wmt14enfr"]["mae_mean"] == pytest.approx(0.5)
    assert json.loads((tmp_path / "r1.json").read_text())["rows"] == one["rows"]
    table = cli.invoke(app, args[:-1]).stdout
    assert table.startswith("| predictor | WMT'14 En-Fr |") and "| LLM-PP (fake:scripted) | 0.50 / 1.00 |" in table
    config = tmp_path / "llmpp.yaml"  # the same settings as config keys, the client in an llm: section
    config.write_text(
        f"tasks: wmt14enfr\nseeds: [456]\nlimit: 4\nexamples: 1\nmax_attempts: 1\nllm:\n  replay_file: {replay}\n"
    )
    from_file = cli.invoke(app, ["llm-pp", "evaluate", "--config", str(config), "--json"])
    assert from_file.exit_code == 0, from_file.output
    assert json.loads(from_file.stdout)["splits"] == one["splits"]


def test_missing_answers_fail_predictions_but_keep_the_others(tmp_path: Path, data_dir: Path) -> None:
    replay = tmp_path / "answers.jsonl"
    _record(replay, "wmt19ende", 789, limit=5, skip=2)
    args = ["llm-pp", "evaluate", "--task", "wmt19ende", "--seed", "789", "--limit", "5", "--examples", "1"]
    result = cli.invoke(app, [*args, "--max-attempts", "1", "--llm-replay", str(replay), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    [score] = data["rows"][0]["tasks"]["wmt19ende"]["per_seed"]
    assert (score["n"], score["n_failed"]) == (3, 2) and score["mae"] == pytest.approx(0.5)
    failed = [p for p in data["splits"][0]["predictions"] if p["value"] is None]
    assert all("has no answer" in p["failures"][0] for p in failed)


def test_dead_endpoint_fails_fast_with_exit_2(tmp_path: Path, data_dir: Path, dead_url: str) -> None:
    """Not 60 failed predictions and exit 0 after retrying each: one line and exit 2 at the first refusal."""
    args = ["llm-pp", "evaluate", "--task", "wmt14ende", "--seed", "123", "--examples", "0"]
    args += ["--llm-base-url", dead_url, "--llm-model", "m", "--llm-retries", "3", "--llm-backoff", "5"]
    args += ["--llm-cache-dir", str(tmp_path / "cache"), "--out", str(tmp_path / "result.json"), "--json"]
    start = time.perf_counter()
    result = cli.invoke(app, args, env={"OPENAI_API_KEY": "x"})
    assert result.exit_code == 2 and time.perf_counter() - start < 10.0
    assert result.stdout == "" and result.stderr.count("\n") == 1 and "cannot connect" in result.stderr
    assert not (tmp_path / "result.json").exists()


def test_generate_writes_archs_and_counts(tmp_path: Path) -> None:
    space = get_space("hat-wmt14ende")
    small, large = space.smallest(), space.largest()
    answer = "\n".join(json.dumps(a.to_dict()["genes"]) for a in (small, large, small)) + "\n{broken"
    replay = tmp_path / "gen.jsonl"
    recorder, runner = Recorder(replay), ScriptedRunner(lambda r: answer)
    from hwnas.core.objectives import parse_constraints
    from hwnas.llm.generator import propose_archs
    from hwnas.search.evaluator import AnalyticEvaluator

    constraint = "flops<=3e9"
    propose_archs(
        runner, space, k=2, constraints=parse_constraints([constraint]), evaluators=[AnalyticEvaluator(space)],
        max_rounds=1, temperature=0.8, max_tokens=1500,
    )  # fmt: skip
    recorder.record(runner.model, runner.requests[0], answer, elapsed_s=0.0)
    out = tmp_path / "archs.jsonl"
    args = ["llm-pp", "generate", "--space", "hat-wmt14ende", "--k", "2", "--constraint", constraint]
    args += ["--max-rounds", "1", "--out", str(out), "--llm-replay", str(replay), "--json"]
    result = cli.invoke(app, args)
    assert result.exit_code == 0, result.output
    stats = json.loads(result.stdout)
    assert (stats["n_accepted"], stats["n_violating"], stats["n_duplicate"], stats["n_invalid"]) == (1, 1, 1, 1)
    [line] = out.read_text().splitlines()
    assert json.loads(line) == small.to_dict()
    assert "warning: 1 of the 2 archs asked for" in result.stderr


def test_generate_without_a_valid_arch_fails_and_writes_nothing(tmp_path: Path) -> None:
    runner = ScriptedRunner(lambda r: '{"encoder_embed_dim": 32, "encoder_self_attention_heads": [128, 128]}')
    from hwnas.llm.generator import propose_archs
    from hwnas.search.evaluator import AnalyticEvaluator

    space = get_space("tiny")
    evaluators = [AnalyticEvaluator(space)]
    propose_archs(runner, space, k=2, evaluators=evaluators, max_rounds=1, temperature=0.8, max_tokens=1500)
    replay = tmp_path / "gen.jsonl"
    Recorder(replay).record(runner.model, runner.requests[0], runner.answer(runner.requests[0]), elapsed_s=0.0)
    out = tmp_path / "archs.jsonl"
    args = ["llm-pp", "generate", "--space", "tiny", "--k", "2", "--max-rounds", "1", "--out", str(out)]
    result = cli.invoke(app, [*args, "--llm-replay", str(replay)])
    assert result.exit_code == 1, result.output
    assert "error: no valid arch" in result.stderr and "n_invalid 1" in result.stderr
    assert "--llm-base-url" in result.stderr and not out.exists()


def test_distill_replays_and_writes_a_search_model(tmp_path: Path, data_dir: Path) -> None:
    from hwnas.llm.distill import make_distilled_evaluator, sample_archs
    from hwnas.llm.distill_run import run_distill

    space = get_space("hat-wmt14ende")
    pool = sample_archs(space, 12, seed=0) + [
        a.arch for s in ("train", "test") for a in load_seed_archs(123, "wmt14ende", s)
    ]
    runner = ScriptedRunner(lambda r: f"{24 + query_arch(r, pool)['decoder_layer_num'] / 2:.2f}")
    config = DistillConfig(space="hat-wmt14ende", n=12, out=str(tmp_path / "lib"), seeds=[123], regressor="gbdt")
    expected = run_distill(runner, config, sampling=Sampling())
    recorder = Recorder(tmp_path / "answers.jsonl")
    for request in runner.requests:
        recorder.record(runner.model, request, runner.answer(request), elapsed_s=0.0)  # type: ignore[arg-type]
    out = tmp_path / "cli"
    args = ["llm-pp", "distill", "--space", "hat-wmt14ende", "--n", "12", "--out", str(out), "--seed", "123"]
    result = cli.invoke(app, [*args, "--regressor", "gbdt", "--llm-replay", str(tmp_path / "answers.jsonl"), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["rows"] == json_safe(expected["rows"])
    evaluator = make_distilled_evaluator(space, accuracy_model=str(out / "model.npz"))
    assert (
        evaluator.evaluate([space.largest()])[0]["bleu_pred"] > evaluator.evaluate([space.smallest()])[0]["bleu_pred"]
    )


def test_time_outs_fail_only_their_predictions(tmp_path: Path, data_dir: Path, fake_openai: Any) -> None:
    """Through the real OpenAI client and HTTP: one prompt's server is too slow (every attempt times out), the
    others answer; the slow arch is a counted failure, the other answers are kept."""
    from hwnas.llm.evaluation import build_predictor

    config = EvaluateConfig(tasks=["wmt14ende"], seeds=[123], limit=3, examples=0)
    tests = load_seed_archs(123, "wmt14ende", "test")[:3]
    demos = load_seed_archs(123, "wmt14ende", "train")
    predictor, _ = build_predictor(ScriptedRunner(str), config, task="wmt14ende", demonstrations=demos)
    slow_prompt = predictor.context.messages(predictor.used_demonstrations, tests[0].arch)[-1].content
    fake_openai.behave(slow_prompt, "slow", "slow")
    args = ["llm-pp", "evaluate", "--task", "wmt14ende", "--seed", "123", "--limit", "3", "--examples", "0"]
    args += ["--max-attempts", "2", "--llm-base-url", fake_openai.url, "--llm-model", "m", "--llm-retries", "0"]
    args += ["--llm-timeout", "0.3", "--llm-cache-dir", str(tmp_path), "--json"]
    result = cli.invoke(app, args, env={"OPENAI_API_KEY": "x"})
    assert result.exit_code == 0, result.output
    predictions = json.loads(result.stdout)["splits"][0]["predictions"]
    assert predictions[0]["value"] is None and len(predictions[0]["samples"]) == 2
    assert all("request failed" in s["error"] for s in predictions[0]["samples"])
    # the fake server echoes the prompt; its first plausible number is the 14 of "WMT'14"
    assert [p["value"] for p in predictions[1:]] == [14.0, 14.0]
