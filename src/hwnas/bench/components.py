"""The evaluator this package implements, registered into the one evaluator registry with its options: ``bench``
(HW-GPT-Bench's metrics of an arch of gpt-s / gpt-m / gpt-l, from the measured table or its surrogates; cheap).
Only pydantic is imported here: the table and the surrogates load when the evaluator is built.

Metric names: a device-free metric keeps its name (``perplexity``, ``accuracy``, ``params``, ``flops``); a
per-device metric is reported once per device as ``<metric>_<device>`` (``latency_h100``, ``energy_a100``), with
one device as with several, so a run's objectives and constraints read the same whatever else it measures, and a
bare ``latency`` stays the name of the measured or predicted latency of the ``latency`` / ``latency-model``
evaluators.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator

from hwnas.contracts.evaluator import EVALUATORS, Evaluator
from hwnas.contracts.options import Options
from hwnas.core.space import SearchSpace

# Every metric the benchmark may answer (a scale's table provides a subset: `hwnas bench list`). Kept here, not
# imported from hwnas.bench.catalog, so that listing the evaluators imports nothing but pydantic.
BENCH_METRICS = ("perplexity", "accuracy", "latency", "energy", "power", "memory", "params", "flops")
DEFAULT_METRICS = ("perplexity", "latency")


def _names(value: Any) -> Any:
    """``"a,b"`` (as ``--evaluator-opt bench.devices=a,b`` gives it) -> ``["a", "b"]``; a list is kept."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


def _no_repeats(values: list[str], what: str) -> list[str]:
    repeated = sorted({v for v in values if values.count(v) > 1})
    if repeated:
        raise ValueError(f"{what} {repeated[0]!r} is given more than once")
    return values


class BenchOptions(Options):
    devices: list[str] = Field(
        default_factory=list,
        description="benchmark devices of the per-device metrics, e.g. h100 or h100,a100 (hwnas bench list)",
    )
    metrics: list[str] = Field(
        default_factory=lambda: list(DEFAULT_METRICS),
        min_length=1,
        description=f"metrics to report, first = fitness; any of {', '.join(BENCH_METRICS)}",
    )
    mode: Literal["mean", "sample"] = Field(
        "mean", description="mean: the deterministic expected value; sample: a seeded draw (same seed, same values)"
    )
    seed: int = Field(0, ge=0, description="seed of mode sample's draws")

    @field_validator("devices", "metrics", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        return _names(value)

    @field_validator("metrics")
    @classmethod
    def _known_metrics(cls, value: list[str]) -> list[str]:
        unknown = [m for m in value if m not in BENCH_METRICS]
        if unknown:
            raise ValueError(f"unknown metric {unknown[0]!r}; allowed: {', '.join(BENCH_METRICS)}")
        return _no_repeats(value, "metric")

    @field_validator("devices")
    @classmethod
    def _distinct_devices(cls, value: list[str]) -> list[str]:
        return _no_repeats(value, "device")


def bench(space: SearchSpace, options: BenchOptions) -> Evaluator:
    """HW-GPT-Bench's perplexity, latency, energy... of gpt-s/m/l archs: table rows, else surrogates (cheap)."""
    from hwnas.bench.evaluator import BenchEvaluator

    return BenchEvaluator(space, options)


EVALUATORS.register("bench", bench, options=BenchOptions, summary=bench.__doc__ or "")
