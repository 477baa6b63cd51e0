"""The ``bench`` evaluator: a search's metrics of gpt-s / gpt-m / gpt-l archs answered by :class:`Benchmark` (the
measured table where the arch is a row of it, the fitted surrogate elsewhere), so any searcher runs on HW-GPT-Bench
without training or measuring anything.

It is cheap (a table lookup or a small model's prediction), so constraints on its metrics screen candidates before
anything else runs, and a search of thousands of evaluations takes seconds. Answers are memoised per arch: the
screen asks one arch at a time, the evaluation asks the batch, and each arch is queried once. Both modes are
reproducible: ``mean`` draws nothing; ``sample`` draws each arch's values from the run's seed and the arch alone,
so a value does not depend on which batch (or worker, or resumed session) asked for it.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from hwnas.bench.components import BenchOptions
from hwnas.contracts.evaluator import Outcome
from hwnas.core.arch import Arch
from hwnas.core.errors import ConfigError
from hwnas.core.space import SearchSpace

if TYPE_CHECKING:
    from hwnas.bench.benchmark import Benchmark

SCALES = ("gpt-s", "gpt-m", "gpt-l")


def metric_name(metric: str, device: str | None) -> str:
    """The name a run sees: ``latency_h100`` for a per-device metric, the metric itself for a device-free one."""
    return metric if device is None else f"{metric}_{device}"


def plan_queries(benchmark: Benchmark, options: BenchOptions) -> list[tuple[str, str | None]]:
    """(metric, device) per reported metric, in the options' order (each metric once per device); a metric the
    scale lacks, a device it lacks, a per-device metric without devices or devices nobody uses fail in one line."""
    where = f"evaluator 'bench' (space {benchmark.scale!r})"
    queries: list[tuple[str, str | None]] = []
    for metric in options.metrics:
        if metric not in benchmark.metrics:
            raise ConfigError(
                f"{where}: metric {metric!r} is not in its table; allowed: {', '.join(benchmark.metrics)}"
            )
        known = benchmark.metric_devices(metric)
        if not known:
            queries.append((metric, None))
            continue
        if not options.devices:
            raise ConfigError(
                f"{where}: metric {metric!r} is per device; give devices, e.g. --evaluator-opt bench.devices="
                f"{known[0]} (allowed: {', '.join(known)})"
            )
        missing = [d for d in options.devices if d not in known]
        if missing:
            raise ConfigError(f"{where}: metric {metric!r} has no device {missing[0]!r}; allowed: {', '.join(known)}")
        queries += [(metric, device) for device in options.devices]
    if options.devices and all(device is None for _, device in queries):
        raise ConfigError(
            f"{where}: devices {', '.join(options.devices)} are given, but metrics {', '.join(options.metrics)} "
            "are device-free; add a per-device metric (latency, energy...) or drop the devices"
        )
    return queries


def arch_seed(seed: int, arch: Arch, name: str) -> int:
    """Mode ``sample``'s seed of one arch's metric ``name``: from the run's seed, the arch's id and the metric's
    name alone (stable across processes and sessions; each metric and device drawn independently)."""
    return (seed << 32) | zlib.crc32(f"{arch.arch_id}/{name}".encode())


class BenchEvaluator:
    """``metrics`` of each arch from the benchmark of ``space`` (see the module doc and :func:`metric_name`)."""

    cheap: bool = True

    def __init__(self, space: SearchSpace, options: BenchOptions, *, benchmark: Benchmark | None = None) -> None:
        if space.name not in SCALES:
            raise ConfigError(
                f"evaluator 'bench' answers for HW-GPT-Bench's spaces ({', '.join(SCALES)}), not space {space.name!r}"
            )
        if benchmark is None:
            from hwnas.bench.benchmark import Benchmark

            benchmark = Benchmark(space.name)
        self.benchmark, self.options = benchmark, options
        self.queries = plan_queries(benchmark, options)
        self.metrics: tuple[str, ...] = tuple(metric_name(m, d) for m, d in self.queries)
        # The fitness is the first metric: accuracy is better higher, everything else lower.
        self.fitness_direction = "max" if self.queries[0][0] == "accuracy" else "min"
        self._memo: dict[str, dict[str, float]] = {}

    def evaluate(self, archs: Sequence[Arch]) -> list[dict[str, float] | Outcome]:
        misses = list({a.arch_id: a for a in archs if a.arch_id not in self._memo}.values())
        if misses:
            self._memo.update(zip((a.arch_id for a in misses), self._query(misses), strict=True))
        return [self._answer(self._memo[arch.arch_id]) for arch in archs]

    def _query(self, archs: list[Arch]) -> list[dict[str, float]]:
        """Every reported metric of ``archs``: one batched query per (metric, device)."""
        rows: list[dict[str, float]] = [{} for _ in archs]
        for metric, device in self.queries:
            name = metric_name(metric, device)
            for row, value in zip(rows, self._values(archs, metric, device), strict=True):
                row[name] = float(value)
        return rows

    def _values(self, archs: list[Arch], metric: str, device: str | None) -> np.ndarray:
        if self.options.mode == "mean":
            return self.benchmark.query(archs, metric, device, mode="mean").values  # [n]
        name, seed = metric_name(metric, device), self.options.seed
        seeds = [arch_seed(seed, arch, name) for arch in archs]  # one per arch: its draw ignores the batch
        return self.benchmark.query(archs, metric, device, mode="sample", seed=seeds).values  # [n]

    @staticmethod
    def _answer(values: dict[str, float]) -> dict[str, float] | Outcome:
        missing = [name for name, value in values.items() if not math.isfinite(value)]
        if missing:
            return Outcome(values, f"the benchmark has no value of {missing[0]} for this arch")
        return values
