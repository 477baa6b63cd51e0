"""The ``bench`` evaluator: options, metric names per device, errors, memoised and batch-independent answers (on a
stand-in benchmark, no data needed), then on HW-GPT-Bench's real table (skips without HWNAS_DATA_DIR)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from hwnas.bench.components import BENCH_METRICS, BenchOptions
from hwnas.bench.evaluator import BenchEvaluator
from hwnas.contracts.evaluator import EVALUATORS, Outcome, evaluate_outcomes
from hwnas.core.arch import Arch
from hwnas.core.errors import ConfigError
from hwnas.core.objectives import Constraint, Objective
from hwnas.spaces import get_space

SPACE = get_space("gpt-s")


@dataclass(frozen=True)
class _Result:
    values: np.ndarray


class FakeBenchmark:
    """Per-device latency = embed_dim x (1 + device index) (+ a seeded draw in mode sample); perplexity = 1000 /
    embed_dim; records every query."""

    scale = "gpt-s"
    metrics = ("perplexity", "latency", "params")
    devices = ("h100", "a100")

    def __init__(self) -> None:
        self.calls: list[tuple[str, str | None, int, str]] = []

    def metric_devices(self, metric: str) -> tuple[str, ...]:
        return self.devices if metric == "latency" else ()

    def query(self, archs: Sequence[Arch], metric: str, device: str | None = None, **kw: Any) -> _Result:
        mode, seed = kw.get("mode", "mean"), kw.get("seed")
        self.calls.append((metric, device, len(archs), mode))
        embed = np.array([float(a["embed_dim"]) for a in archs])  # type: ignore[arg-type]
        if metric == "perplexity":
            return _Result(1000.0 / embed)
        if metric == "params":
            return _Result(np.full(len(archs), np.nan))
        values = embed * (1 + self.devices.index(str(device)))
        if mode == "sample":  # one seed per arch, as the evaluator gives them
            values = values + np.array([np.random.default_rng(s).normal() for s in seed])
        return _Result(values)


def _evaluator(fake: FakeBenchmark | None = None, **options: Any) -> BenchEvaluator:
    return BenchEvaluator(SPACE, BenchOptions(**options), benchmark=fake or FakeBenchmark())


def _archs(n: int, seed: int = 0) -> list[Arch]:
    rng = np.random.default_rng(seed)
    return [SPACE.sample(rng) for _ in range(n)]


def test_options_split_comma_lists_and_refuse_unknown_or_repeated_metrics() -> None:
    options = EVALUATORS.options("bench", {"devices": "h100, a100", "metrics": "latency,perplexity"})
    assert isinstance(options, BenchOptions)
    assert options.devices == ["h100", "a100"] and options.metrics == ["latency", "perplexity"]
    assert EVALUATORS.options("bench").metrics == ["perplexity", "latency"]  # type: ignore[attr-defined]
    with pytest.raises(ConfigError, match="unknown metric 'speed'; allowed: perplexity, accuracy, latency"):
        EVALUATORS.options("bench", {"metrics": "speed"})
    with pytest.raises(ConfigError, match="device 'h100' is given more than once"):
        EVALUATORS.options("bench", {"devices": "h100,h100"})
    with pytest.raises(ConfigError, match="option 'mode'"):
        EVALUATORS.options("bench", {"mode": "interval"})


def test_the_evaluators_metric_list_is_the_catalogs() -> None:
    from hwnas.bench import catalog

    assert set(BENCH_METRICS) == set(catalog.METRICS)


def test_per_device_metrics_are_named_metric_underscore_device_in_order() -> None:
    evaluator = _evaluator(devices=["h100", "a100"], metrics=["perplexity", "latency"])
    assert evaluator.metrics == ("perplexity", "latency_h100", "latency_a100")
    assert evaluator.cheap and evaluator.fitness_direction == "min"
    arch = SPACE.largest()
    assert evaluator.evaluate([arch]) == [{"perplexity": 1000 / 768, "latency_h100": 768.0, "latency_a100": 1536.0}]
    for name in evaluator.metrics:  # every name is one the objective and constraint grammar accepts
        assert Objective.parse(f"{name}:min").metric == name and Constraint.parse(f"{name}<=1").metric == name


@pytest.mark.parametrize(
    ("options", "says"),
    [
        (
            {"metrics": ["latency"]},
            "metric 'latency' is per device; give devices, e.g. --evaluator-opt bench.devices=h100",
        ),
        ({"metrics": ["latency"], "devices": ["tpu"]}, "metric 'latency' has no device 'tpu'; allowed: h100, a100"),
        ({"metrics": ["energy"], "devices": ["h100"]}, "metric 'energy' is not in its table; allowed: perplexity"),
        ({"metrics": ["perplexity"], "devices": ["h100"]}, "devices h100 are given, but metrics perplexity are"),
    ],
)
def test_bad_options_are_one_line_naming_what_is_allowed(options: dict[str, Any], says: str) -> None:
    with pytest.raises(ConfigError, match=says.replace("(", r"\(")):
        _evaluator(**options)


def test_other_spaces_are_refused() -> None:
    with pytest.raises(
        ConfigError, match=r"answers for HW-GPT-Bench's spaces \(gpt-s, gpt-m, gpt-l\), not space 'tiny'"
    ):
        BenchEvaluator(get_space("tiny"), BenchOptions(), benchmark=FakeBenchmark())  # type: ignore[arg-type]


def test_answers_are_memoised_and_batched_one_query_per_metric_and_device() -> None:
    fake = FakeBenchmark()
    evaluator = _evaluator(fake, devices=["h100", "a100"])
    archs = _archs(30)
    first = evaluator.evaluate(archs)
    assert fake.calls == [
        ("perplexity", None, 30, "mean"),
        ("latency", "h100", 30, "mean"),
        ("latency", "a100", 30, "mean"),
    ]
    assert evaluator.evaluate(archs[:5]) == first[:5] and len(fake.calls) == 3  # nothing asked again


def test_sampled_values_do_not_depend_on_the_batch_that_asked() -> None:
    archs = _archs(12)
    together = _evaluator(devices=["h100"], mode="sample", seed=3).evaluate(archs)
    alone = _evaluator(devices=["h100"], mode="sample", seed=3)
    one_by_one = [alone.evaluate([arch])[0] for arch in reversed(archs)][::-1]
    assert together == one_by_one
    other_seed = _evaluator(devices=["h100"], mode="sample", seed=4).evaluate(archs)
    assert together != other_seed
    means = _evaluator(devices=["h100"]).evaluate(archs)
    assert all(a != m for a, m in zip(together, means, strict=True))  # a draw, not the mean


def test_a_missing_value_fails_that_arch_only() -> None:
    evaluator = _evaluator(metrics=["perplexity", "params"])
    outcomes = evaluate_outcomes(evaluator, _archs(3))
    assert [o.ok for o in outcomes] == [False] * 3
    assert outcomes[0].error is not None and "no value of params" in outcomes[0].error
    assert isinstance(evaluator.evaluate(_archs(1))[0], Outcome)


def test_accuracy_first_is_maximised() -> None:
    fake = FakeBenchmark()
    fake.metrics = ("accuracy", "latency")  # type: ignore[misc]
    assert _evaluator(fake, metrics=["accuracy"]).fitness_direction == "max"


# --- on the real table (HW-GPT-Bench's measurements): skips without HWNAS_DATA_DIR -------------------------------


@pytest.fixture
def bench_cache(data_dir: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path_factory.getbasetemp() / "bench-cache"  # shared by this session's tests: one fit per surrogate
    monkeypatch.setenv("HWNAS_CACHE_DIR", str(cache))
    return cache


def test_per_arch_seeds_make_each_draw_independent_of_the_batch(bench_cache: Path) -> None:
    from hwnas.bench.benchmark import Benchmark

    bench = Benchmark("gpt-s")
    archs, seeds = _archs(6, seed=3), [11, 12, 13, 14, 15, 2**40]
    together = bench.query(archs, "latency", "h100", mode="sample", seed=seeds).values
    alone = [
        bench.query([a], "latency", "h100", mode="sample", seed=s).values[0] for a, s in zip(archs, seeds, strict=True)
    ]
    assert list(together) == alone
    backwards = bench.query(archs[::-1], "latency", "h100", mode="sample", seed=seeds[::-1]).values
    assert list(backwards) == alone[::-1]
    assert not np.array_equal(together, bench.query(archs, "latency", "h100", mode="sample", seed=3).values)
    for bad in ([1, 2], [-1] * 6, 1.5):
        with pytest.raises(ConfigError, match="non-negative integer"):
            bench.query(archs, "latency", "h100", mode="sample", seed=bad)  # type: ignore[arg-type]


def test_the_registered_evaluator_answers_table_rows_exactly(bench_cache: Path) -> None:
    from hwnas.data.hwgpt_table import load_hwgptbench
    from hwnas.search.evaluator import build_evaluator

    table = load_hwgptbench("s")
    evaluator = build_evaluator("bench", SPACE, {"devices": "h100", "metrics": "latency,perplexity"})
    archs = [SPACE.make(table.arch(row)) for row in range(5)]
    answers = evaluator.evaluate(archs)
    assert evaluator.metrics == ("latency_h100", "perplexity")
    expected = table.column("lat_ms_h100_mean")[:5]
    assert [a["latency_h100"] for a in answers] == pytest.approx(list(expected))  # type: ignore[index]
