"""The few-shot protocol on HELP's FBNet tables (task F0): deterministic per seed, both Spearman figures per target
and their mean, the baselines doing what they say, and bad input refused. Skips without HWNAS_DATA_DIR."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hwnas.core.errors import ConfigError, UnknownNameError
from hwnas.fewshot.methods import best_source, flops
from hwnas.fewshot.protocol import run_transfer
from hwnas.fewshot.samplers import get_sampler
from hwnas.fewshot.tables import help_table
from hwnas.fewshot.tasks import get_task
from hwnas.predictors.metrics import spearman


@pytest.fixture(scope="module")
def fbnet(data_dir: Path):  # type: ignore[no-untyped-def]
    return help_table("fbnet")


def test_a_task_gives_both_spearmans_per_target_and_their_mean_the_same_for_the_same_seeds(fbnet) -> None:  # type: ignore[no-untyped-def]
    task = get_task("F0")
    records = run_transfer(fbnet, task.source, task.target, samples=(5, 20), seeds=(0, 1), method="ridge-transfer")
    assert [(r["target"], r["samples"]) for r in records] == [
        *((t, 5) for t in task.target),
        ("mean", 5),
        *((t, 20) for t in task.target),
        ("mean", 20),
    ]
    assert all(-1 <= r["spearman_all"] <= 1 and -1 <= r["spearman_unseen"] <= 1 for r in records)
    mean20 = records[-1]
    assert mean20["spearman_all"] == pytest.approx(np.mean([r["spearman_all"] for r in records[4:7]]))
    again = run_transfer(fbnet, task.source, task.target, samples=(5, 20), seeds=(0, 1), method="ridge-transfer")
    assert [{k: v for k, v in r.items() if k != "cpu_s"} for r in again] == [
        {k: v for k, v in r.items() if k != "cpu_s"} for r in records
    ]


@pytest.mark.parametrize("sampler", ["random", "source-kmeans"])
def test_samplers_draw_distinct_rows_deterministically(fbnet, sampler: str) -> None:  # type: ignore[no-untyped-def]
    draw = get_sampler(sampler)
    rows = draw(fbnet, get_task("F0").source, 10, 3)
    assert len(set(rows.tolist())) == 10 and np.array_equal(rows, draw(fbnet, get_task("F0").source, 10, 3))
    with pytest.raises(ConfigError, match="samples: 5001 requested, the fbnet table has 5000 archs"):
        draw(fbnet, get_task("F0").source, 5001, 0)


def test_the_baselines_rank_as_their_feature_does(fbnet) -> None:  # type: ignore[no-untyped-def]
    rows = np.arange(20)
    target = fbnet.device("raspi4").latency
    by_flops = flops(fbnet, [], rows, target[rows])
    assert spearman(by_flops, flops(fbnet, [], rows[:5], target[rows[:5]])) == pytest.approx(1.0)  # a line keeps ranks
    chosen = best_source(fbnet, ["fpga", "pixel3"], rows, target[rows])
    expected = "pixel3" if spearman(target[rows], fbnet.device("pixel3").latency[rows]) > spearman(
        target[rows], fbnet.device("fpga").latency[rows]) else "fpga"  # fmt: skip
    assert spearman(chosen, fbnet.device(expected).latency) == pytest.approx(1.0)


def test_bad_input_is_refused_before_any_work(fbnet) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UnknownNameError, match="device 'jetson'"):
        run_transfer(fbnet, ["1080ti_1"], ["jetson"])
    with pytest.raises(ConfigError, match="none in both lists"):
        run_transfer(fbnet, ["1080ti_1"], ["1080ti_1"])
    with pytest.raises(UnknownNameError, match="few-shot method"):
        run_transfer(fbnet, ["1080ti_1"], ["raspi4"], method="gnn-magic")
    with pytest.raises(ConfigError, match="fbnet only"):
        flops(help_table("nb201"), [], np.arange(3), np.ones(3))


def test_option_counts_count_each_block_over_the_layers(fbnet) -> None:  # type: ignore[no-untyped-def]
    from hwnas.fewshot.methods import opcount_ridge, option_counts

    counts = option_counts(fbnet)
    assert counts.shape == (5000, 9) and np.all(counts.sum(axis=1) == 22)
    first = fbnet.archs[0]["block"]
    assert counts[0, 8] == sum(b == "skip" for b in first)
    # a target that is exactly a sum over layers is recovered from 20 samples
    weights = np.linspace(1.0, 2.0, 9)
    target = np.exp(counts @ weights / 22)
    rows = np.arange(20)
    assert spearman(target, opcount_ridge(fbnet, [], rows, target[rows])) > 0.99
