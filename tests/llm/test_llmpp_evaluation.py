from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest

from hwnas.data.tables import LLMPP_SEEDS, LLMPP_TASKS
from hwnas.llm.evaluation import (
    TASK_TITLES,
    evaluate_llmpp,
    format_table,
    json_safe,
    score_split,
    summarize,
    supernet_rows,
)
from hwnas.llm.llmpp_config import EvaluateConfig
from hwnas.llm.seedarchs import load_seed_archs

from .llmpp_fakes import ScriptedRunner, oracle, query_arch


def _readme_table(data_dir: Path) -> dict[str, dict[str, tuple[float, float]]]:
    """predictor label -> task title -> (MAE, tau), parsed from the data folder's README."""
    text = (data_dir / "llmpp_seedarchs" / "README.md").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line.startswith("|")]
    titles = [c.strip() for c in lines[0].strip("|").split("|")][1:]
    table: dict[str, dict[str, tuple[float, float]]] = {}
    for line in lines[2:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        table[cells[0]] = {
            title: tuple(float(x) for x in re.findall(r"[\d.]+", cell))  # type: ignore[misc]
            for title, cell in zip(titles, cells[1:], strict=True)
        }
    return table


def _all_archs() -> dict[str, list]:
    """task -> its 30 seed archs (each once)."""
    out = {}
    for task in LLMPP_TASKS:
        archs = [a for seed in LLMPP_SEEDS for split in ("train", "test") for a in load_seed_archs(seed, task, split)]
        out[task] = list({a.arch.arch_id: a for a in archs}.values())
    return out


def test_supernet_rows_reproduce_the_readme_table(data_dir: Path) -> None:
    expected = _readme_table(data_dir)
    rows = supernet_rows(LLMPP_TASKS, LLMPP_SEEDS)
    assert [r["predictor"] for r in rows] == list(expected)
    for row in rows:
        for task in LLMPP_TASKS:
            summary = row["tasks"][task]
            mae, tau = expected[row["predictor"]][TASK_TITLES[task]]
            assert round(summary["mae_mean"], 2) == mae, (row["predictor"], task)
            assert round(summary["kendall_mean"], 2) == tau, (row["predictor"], task)
            assert summary["n_failed"] == 0 and len(summary["per_seed"]) == 3


def test_an_oracle_llm_scores_mae_0_and_kendall_1(data_dir: Path) -> None:
    for task, pool in _all_archs().items():  # per task: the same 30 archs have other BLEU on other tasks
        assert len(pool) == 30
        truth = {a.arch.arch_id: a.valid_bleu for a in pool}
        runner = ScriptedRunner(oracle(truth, [a.arch for a in pool]))
        result = evaluate_llmpp(runner, EvaluateConfig(tasks=[task], examples=0))
        llm = result["rows"][0]
        assert llm["predictor"] == "LLM-PP (fake:scripted)" and len(result["rows"]) == 6
        assert llm["tasks"][task]["mae_mean"] == pytest.approx(0.0, abs=1e-9)
        assert llm["tasks"][task]["kendall_mean"] == pytest.approx(1.0)
        assert llm["tasks"][task]["n_failed"] == 0
        assert len(runner.calls) == 3 and all(len(c) == 20 for c in runner.calls)  # one batched call per split
        assert len(result["splits"]) == 3 and len(result["splits"][0]["predictions"]) == 20


def test_an_uninformed_llm_does_not_score_well(data_dir: Path) -> None:
    """The oracle test above can fail: a model that always answers 25 gets a large MAE and an undefined tau."""
    runner = ScriptedRunner(lambda r: "25")
    result = evaluate_llmpp(runner, EvaluateConfig(tasks=["wmt14enfr"], seeds=[123], examples=0))
    summary = result["rows"][0]["tasks"]["wmt14enfr"]
    assert summary["mae_mean"] > 5 and math.isnan(summary["kendall_mean"])
    assert "n/a" in format_table(result).splitlines()[2]
    baseline = result["rows"][-1]  # the mean of the demonstrations: constant, but a far better constant
    assert baseline["kind"] == "baseline" and baseline["tasks"]["wmt14enfr"]["mae_mean"] < 2.5


def test_failures_are_counted_and_left_out(data_dir: Path) -> None:
    tests = load_seed_archs(456, "wmt19ende", "test")
    truth = {a.arch.arch_id: a.valid_bleu for a in tests}
    pool = [a.arch for a in tests] + [a.arch for a in load_seed_archs(456, "wmt19ende", "train")]
    skipped = {a.arch.arch_id for a in tests[:5]}

    def answer(request):  # type: ignore[no-untyped-def]
        arch = query_arch(request, pool)
        return "no idea" if arch.arch_id in skipped else f"{truth[arch.arch_id]}"

    runner = ScriptedRunner(answer)
    config = EvaluateConfig(tasks=["wmt19ende"], seeds=[456], max_attempts=2, examples=0)
    result = evaluate_llmpp(runner, config)
    [score] = result["rows"][0]["tasks"]["wmt19ende"]["per_seed"]
    assert score["n_failed"] == 5 and score["n"] == 15 and score["mae"] == pytest.approx(0.0)
    assert "(5 failed)" in format_table(result)
    failed = [p for p in result["splits"][0]["predictions"] if p["value"] is None]
    assert len(failed) == 5 and all(p["failures"] and p["true_valid_bleu"] > 0 for p in failed)
    json.dumps(json_safe(result), allow_nan=False)  # strict JSON


def test_limit_takes_the_first_test_archs(data_dir: Path) -> None:
    runner = ScriptedRunner(lambda r: "25")
    result = evaluate_llmpp(runner, EvaluateConfig(tasks=["wmt14ende"], seeds=[789], limit=3, examples=0))
    assert len(runner.requests) == 3 and result["rows"][1]["tasks"]["wmt14ende"]["per_seed"][0]["n"] == 3


def test_score_split_and_summary() -> None:
    score = score_split("t", 1, [1.0, 2.0, 3.0, 4.0], [1.5, None, 2.5, 4.5])
    assert score.mae == pytest.approx(0.5) and score.kendall == pytest.approx(1.0)
    assert (score.n, score.n_failed) == (3, 1)
    empty = score_split("t", 2, [1.0, 2.0], [None, None])
    assert math.isnan(empty.mae) and empty.n_failed == 2
    summary = summarize([score, score_split("t", 3, [1.0, 2.0], [2.0, 1.0])])
    assert summary["mae_mean"] == pytest.approx(0.75) and summary["kendall_mean"] == pytest.approx(0.0)
    assert summary["mae_std"] == pytest.approx(0.3535533906) and summary["n_failed"] == 1
