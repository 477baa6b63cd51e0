"""LM-Searcher ranking data: pruned and re-indexed subspaces, history / pool / label as the searcher would see them,
sparse tables, evaluator sources, pick-quality statistics and the `hwnas lm-searcher make-data / eval-picks` CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from hwnas.cli.main import app
from hwnas.core.errors import ConfigError
from hwnas.encodings.ncode import from_ncode, to_ncode
from hwnas.llm.base import Request
from hwnas.llm.clients import CLIENTS
from hwnas.llm.lm_data import (
    EvaluatorSource,
    SampleSettings,
    TableSource,
    make_samples,
    random_keep,
    read_samples,
    restrict,
)
from hwnas.llm.lm_picks import pick_outcomes, summarise
from hwnas.llm.prompts import load_template
from hwnas.llm.runner import Runner
from hwnas.search.evaluator import build_evaluator
from hwnas.spaces import get_space

SPACE = get_space("gpt-tiny")  # 80 archs
TEMPLATE = load_template("lmsearch-chat-v1")


def _table(fraction: float = 1.0, seed: int = 0) -> TableSource:
    archs = list(SPACE.iter_all())
    rng = np.random.default_rng(seed)
    keep = sorted(rng.choice(len(archs), size=int(len(archs) * fraction), replace=False))
    chosen = [archs[int(i)] for i in keep]
    values = rng.normal(size=len(chosen))
    return TableSource("table:gpt-tiny", SPACE, chosen, values, "latency_x")


def test_a_sample_is_what_the_searcher_would_see() -> None:
    table = _table()
    values = {a.arch_id: v for a, v in zip(table.archs, table.values, strict=True)}
    [sample] = make_samples(
        [table], 1, template=TEMPLATE, settings=SampleSettings(history=(4, 4), pool=5), rng=np.random.default_rng(3)
    )
    messages, meta = sample["messages"], sample["meta"]
    assert [m["role"] for m in messages] == ["system", "user", "assistant"]
    assert meta["history"] == 4 and len(meta["pool"]) == 5 and len(set(meta["pool"])) == 5
    assert messages[-1]["content"] == meta["pool"][meta["label"]]
    # the label is the pool's lowest value; ranks are 1..K by value
    assert meta["pool_values"][meta["label"]] == min(meta["pool_values"])
    assert sorted(meta["pool_ranks"]) == [1, 2, 3, 4, 5] and meta["pool_ranks"][meta["label"]] == 1
    # the prompt shows the candidates and a normalised history whose best reads 1.0000
    user = messages[1]["content"]
    assert all(code in user for code in meta["pool"]) and "1.0000" in user and "0.0000" in user
    # the pool's values are the table's values of its archs
    assert set(meta["pool_values"]) <= set(values.values())
    legend_line = next(line for line in user.splitlines() if line.startswith("NCode for space"))
    assert "'gpt-tiny'" in legend_line


def test_subspaces_keep_at_least_two_options_and_reindex() -> None:
    rng = np.random.default_rng(0)
    for _ in range(20):
        keep = {g.name: random_keep(g, rng) for g in SPACE.genes}
        sub = restrict(SPACE, keep)
        for gene, kept in zip(sub.genes, keep.values(), strict=True):
            assert len(gene.choices) == len(kept) >= min(2, len(SPACE.gene(gene.name).choices))
        arch = sub.sample(rng)
        assert SPACE.contains(arch)  # an arch of the subspace is an arch of the space
        assert from_ncode(to_ncode(arch, sub), sub) == arch  # re-indexed codes round-trip in the subspace
    with pytest.raises(ValueError, match="keeps no option"):
        restrict(SPACE, {SPACE.genes[0].name: []})


def test_a_sparse_table_is_pruned_only_as_far_as_its_rows_allow() -> None:
    table = _table(fraction=0.3)  # 24 of 80 archs
    rng = np.random.default_rng(1)
    for _ in range(10):
        draw = table.draw(12, rng)
        assert draw is not None and len({a.arch_id for a in draw.archs}) == 12
        assert all(draw.subspace.contains(a) for a in draw.archs)
    with pytest.raises(ConfigError, match=r"fewer than 30 distinct archs .* lower --history"):
        list(make_samples([table], 1, template=TEMPLATE, settings=SampleSettings(history=(20, 20), pool=10), rng=rng))


def test_samples_are_deterministic_with_a_seed() -> None:
    settings = SampleSettings(history=(2, 6), pool=4)

    def draw(seed: int) -> list[str]:
        samples = make_samples([_table()], 5, template=TEMPLATE, settings=settings, rng=np.random.default_rng(seed))
        return [json.dumps(s) for s in samples]

    assert draw(7) == draw(7) and draw(7) != draw(8)


def test_an_evaluator_source_draws_inside_subspaces_and_checks_metrics() -> None:
    evaluator = build_evaluator("analytic", SPACE)
    source = EvaluatorSource("analytic", SPACE, evaluator, ["params"])
    [sample] = make_samples(
        [source], 1, template=TEMPLATE, settings=SampleSettings(history=(3, 3), pool=4), rng=np.random.default_rng(0)
    )
    assert sample["meta"]["source"] == "analytic:gpt-tiny:params" and sample["meta"]["objective"] == "params"
    with pytest.raises(ConfigError, match="--metric 'bleu' is not reported by evaluator 'analytic'; allowed: "):
        EvaluatorSource("analytic", SPACE, evaluator, ["bleu"])


@pytest.mark.parametrize(
    ("settings", "message"),
    [({"history": (0, 3)}, "--history 0-3"), ({"history": (5, 3)}, "--history 5-3"), ({"pool": 1}, "--pool 1")],
)
def test_bad_sample_settings_name_the_flag(settings: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        SampleSettings(**settings)  # type: ignore[arg-type]


class OracleScores:
    """Scores a pool by its true order (``best``) or the reverse: the picks' statistics are then known exactly."""

    model, choice_scoring, structured_output = "fake:oracle", True, False

    def __init__(self, values: dict[str, float], best: bool) -> None:
        self.values, self.best = values, best

    def complete(self, request: Request, *, timeout_s: float) -> str:
        raise AssertionError("eval-picks only scores")

    def score_choices(self, request: Request, choices: list[str], *, timeout_s: float) -> list[float]:
        sign = -1.0 if self.best else 1.0
        return [sign * self.values[c] for c in choices]


def _samples(n: int = 6) -> list[dict[str, object]]:
    settings = SampleSettings(history=(3, 5), pool=5)
    return list(make_samples([_table()], n, template=TEMPLATE, settings=settings, rng=np.random.default_rng(2)))


def test_pick_quality_of_an_oracle_a_contrarian_and_random() -> None:
    samples = _samples()
    for best, top1, rank in ((True, 1.0, 1.0), (False, 0.0, 5.0)):
        outcomes = []
        for sample in samples:
            meta = sample["meta"]
            values = dict(zip(meta["pool"], meta["pool_values"], strict=True))  # type: ignore[index]
            runner = Runner(OracleScores(values, best), cache=None, timeout_s=5, max_retries=0)
            outcomes += pick_outcomes([sample], runner)
        stats = summarise(samples, outcomes)["overall"]
        assert stats["top1"] == top1 and stats["mean_rank"] == rank and stats["failed"] == 0
        assert stats["random_top1"] == pytest.approx(0.2) and stats["random_mean_rank"] == pytest.approx(3.0)


def test_make_data_and_eval_picks_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "data.jsonl"
    runner = CliRunner()
    made = runner.invoke(
        app,
        [
            "lm-searcher",
            "make-data",
            "--space",
            "gpt-tiny",
            "--evaluator",
            "analytic",
            "--metric",
            "params",
            "--n",
            "4",
            "--history",
            "3-5",
            "--pool",
            "4",
            "--out",
            str(out),
        ],
    )
    assert made.exit_code == 0, made.output
    samples = read_samples(str(out))
    assert len(samples) == 4 and "4 samples written" in made.output
    # a client that scores every candidate alike: picks the first; statistics against random's expectation
    monkeypatch.setitem(CLIENTS, "test-flat", lambda settings: OracleScores({}, True))
    monkeypatch.setattr(OracleScores, "score_choices", lambda self, request, choices, timeout_s: [0.0] * len(choices))
    picked = runner.invoke(
        app, ["lm-searcher", "eval-picks", "--data", str(out), "--json", "--llm-client", "test-flat", "--no-llm-cache"]
    )
    assert picked.exit_code == 0, picked.output
    report = json.loads(picked.stdout[picked.stdout.index("{") :])
    first_ranks = [s["meta"]["pool_ranks"][0] for s in samples]
    assert report["overall"]["mean_rank"] == pytest.approx(np.mean(first_ranks))
    assert report["model"] == "fake:oracle" and report["overall"]["random_mean_rank"] == pytest.approx(2.5)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--space", "gpt-tiny", "--n", "2"], "no source: give --evaluator"),
        (["--space", "gpt-tiny", "--metric", "params", "--table", "help", "--n", "2"], "give --evaluator too"),
        (["--space", "gpt-tiny", "--table", "help", "--n", "2"], "space 'gpt-tiny' has no HELP table"),
        (["--space", "gpt-tiny", "--table", "nowhere", "--n", "2"], "allowed: help, help:DEVICE"),
        (["--space", "gpt-tiny", "--evaluator", "analytic", "--n", "0"], "--n 0: allowed: an integer >= 1"),
        (["--space", "gpt-tiny", "--evaluator", "analytic", "--n", "2", "--history", "x"], "--history 'x'"),
        (
            ["--space", "gpt-tiny", "--evaluator", "analytic", "--evaluator-opt", "bench.x=1", "--n", "2"],
            "expected analytic.KEY=VALUE",
        ),
    ],
)
def test_make_data_bad_input_is_one_line_and_writes_nothing(tmp_path: Path, args: list[str], message: str) -> None:
    out = tmp_path / "data.jsonl"
    result = CliRunner().invoke(app, ["lm-searcher", "make-data", *args, "--out", str(out)])
    assert result.exit_code != 0 and message in result.output, result.output
    assert not out.exists() and not list(tmp_path.iterdir())


def test_read_samples_names_the_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({"messages": [{"role": "user", "content": "x"}]}) + "\n")
    with pytest.raises(ConfigError, match=r"line 1: not a ranking sample"):
        read_samples(str(path))
    with pytest.raises(ConfigError, match="cannot read"):
        read_samples(str(tmp_path / "missing.jsonl"))
