"""The few-shot protocol on HELP's FBNet tables (task F0): deterministic per seed, both Spearman figures per target
and their mean, the baselines doing what they say, and bad input refused. Skips without HWNAS_DATA_DIR."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from hwnas.core.errors import ConfigError, UnknownNameError
from hwnas.fewshot.features import ArchFeatures, SourceBank, arch_features, choice_totals, index_matrix, option_counts
from hwnas.fewshot.methods import best_source, flops, op_sum, opcount_ridge
from hwnas.fewshot.model import FewShotOptions
from hwnas.fewshot.protocol import run_transfer
from hwnas.fewshot.samplers import SAMPLERS, get_sampler
from hwnas.fewshot.tables import help_table
from hwnas.fewshot.tasks import get_task
from hwnas.predictors.metrics import spearman
from hwnas.spaces import get_space

NO_GNN = FewShotOptions(gnn=False)
RIDGE = FewShotOptions(gnn=False, method="ridge-transfer")


@pytest.fixture(scope="module")
def fbnet(data_dir: Path):  # type: ignore[no-untyped-def]
    return help_table("fbnet")


@pytest.fixture(scope="module")
def features(fbnet):  # type: ignore[no-untyped-def]
    """F0's sources, as features of every FBNet arch of the table."""
    space = get_space("fbnet")
    source = get_task("F0").source
    bank = SourceBank(space, source, index_matrix(fbnet.archs, space), fbnet.columns(source))
    return arch_features(fbnet.archs, bank)


def test_a_task_gives_both_spearmans_per_target_and_their_mean_the_same_for_the_same_seeds(fbnet) -> None:  # type: ignore[no-untyped-def]
    task = get_task("F0")

    def run() -> list[dict[str, Any]]:
        return run_transfer(fbnet, task.source, task.target, samples=(5, 20), seeds=(0, 1), options=RIDGE)

    records = run()
    assert [(r["target"], r["samples"]) for r in records] == [
        *((t, 5) for t in task.target),
        ("mean", 5),
        *((t, 20) for t in task.target),
        ("mean", 20),
    ]
    assert all(-1 <= r["spearman_all"] <= 1 and -1 <= r["spearman_unseen"] <= 1 for r in records)
    mean20 = records[-1]
    assert mean20["spearman_all"] == pytest.approx(np.mean([r["spearman_all"] for r in records[4:7]]))
    again = run()
    assert [{k: v for k, v in r.items() if k != "cpu_s"} for r in again] == [
        {k: v for k, v in r.items() if k != "cpu_s"} for r in records
    ]


@pytest.mark.parametrize("sampler", sorted(SAMPLERS))
def test_samplers_draw_distinct_rows_deterministically(features, sampler: str) -> None:  # type: ignore[no-untyped-def]
    draw = get_sampler(sampler)
    rows = draw(features, 10, 3)
    assert len(set(rows.tolist())) == 10 and np.array_equal(rows, draw(features, 10, 3))
    with pytest.raises(ConfigError, match="samples: 5001 requested, the candidate archs number 5000"):
        draw(features, 5001, 0)


def test_the_baselines_rank_as_their_feature_does(fbnet, features) -> None:  # type: ignore[no-untyped-def]
    rows = np.arange(20)
    target = np.log(fbnet.device("raspi4").latency)
    train = features.take(rows)
    by_flops = flops(train, target[rows], features)
    assert spearman(by_flops, features.counts[:, 0]) == pytest.approx(1.0)  # a line keeps the FLOPs ranks
    chosen = best_source(train, target[rows], features)
    expected = int(np.argmax([spearman(target[rows], features.sources[rows, j]) for j in range(9)]))
    assert spearman(chosen, features.sources[:, expected]) == pytest.approx(1.0)


def test_bad_input_is_refused_before_any_work(fbnet) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UnknownNameError, match="device 'jetson'"):
        run_transfer(fbnet, ["1080ti_1"], ["jetson"], options=NO_GNN)
    with pytest.raises(ConfigError, match="none in both lists"):
        run_transfer(fbnet, ["1080ti_1"], ["1080ti_1"], options=NO_GNN)
    with pytest.raises(UnknownNameError, match="few-shot sampler"):
        run_transfer(fbnet, ["1080ti_1"], ["raspi4"], options=NO_GNN, sampler="magic")
    with pytest.raises(ConfigError, match="samples: 6000 requested"):
        run_transfer(fbnet, ["1080ti_1"], ["raspi4"], samples=(5, 6000), options=NO_GNN)


def test_option_counts_count_each_block_over_the_layers(fbnet, features) -> None:  # type: ignore[no-untyped-def]
    counts = features.options
    assert counts.shape == (5000, 9) and np.all(counts.sum(axis=1) == 22)
    first = fbnet.archs[0]["block"]
    assert counts[0, 8] == sum(b == "skip" for b in first)
    # a target that is exactly a sum over layers is recovered from 20 samples
    weights = np.linspace(1.0, 2.0, 9)
    target = counts @ weights / 22
    rows = np.arange(20)
    assert spearman(target, opcount_ridge(features.take(rows), target[rows], features)) > 0.99


def test_choice_totals_pool_the_decisions_that_offer_the_same_options() -> None:
    space = get_space("nb201")  # 6 edges, each one of the same 5 ops
    rng = np.random.default_rng(0)
    keys = rng.integers(0, 5, size=(50, 6))
    totals = choice_totals(keys, space)
    assert totals.shape == (50, 5) and np.all(totals.sum(axis=1) == 6)
    assert np.array_equal(totals[:, 3], (keys == 3).sum(axis=1))
    assert option_counts(keys, space).shape == (50, 30)  # per decision, unpooled


def test_op_sum_recovers_a_latency_that_is_a_sum_of_op_costs_from_few_samples(fbnet, features) -> None:  # type: ignore[no-untyped-def]
    costs = np.array([0.0, 0.4, 1.0, 2.5, 0.3, 0.7, 1.9, 0.2, 0.05])  # ms per block, skip (last) nearly free
    ms = 3.0 + features.totals @ costs
    rows = np.arange(20)
    predicted = op_sum(features.take(rows), np.log(ms[rows]), features)
    assert np.all(np.isfinite(predicted))
    assert np.allclose(np.exp(predicted), ms, rtol=1e-6)
    flat = op_sum(features.take(rows), np.log(np.full(20, 2.0)), features)  # no op matters: the intercept alone
    assert np.allclose(np.exp(flat), 2.0)


def test_op_sum_keeps_an_arch_without_costly_ops_finite_and_below_every_sample() -> None:
    totals = np.array([[6, 0], [4, 2], [3, 3], [0, 6], [5, 1]], dtype=np.float64)  # (none, conv) counts
    ms = totals[:, 1] * 1.5  # every cost is the conv's: the all-none arch takes 0 ms
    features = ArchFeatures((), np.zeros((5, 1)), None, totals, totals)
    features = replace(features, archs=tuple(range(5)))  # type: ignore[arg-type]
    train = features.take(np.arange(1, 5))
    predicted = op_sum(train, np.log(ms[1:]), features)
    assert np.all(np.isfinite(predicted)) and predicted[0] < predicted[1:].min()
    assert np.allclose(np.exp(predicted[1:]), ms[1:])
