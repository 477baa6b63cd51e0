"""HW-GPT-Bench as a benchmark API (issue 14): :class:`Benchmark` (one per scale in :data:`SCALES`) answers
perplexity, accuracy, latency, energy, power, memory, params and FLOPs of GPT archs, per device, from the measured
table where the arch is a row of it and from calibrated surrogates elsewhere; :class:`QueryResult` is one answer.

Imported lazily, so that ``import hwnas.bench.components`` (the evaluator registry's provider) loads no data code.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hwnas.bench.benchmark import MODES, SCALES, Benchmark, FitSummary, QueryResult

_EXPORTS = {
    "Benchmark": "hwnas.bench.benchmark",
    "QueryResult": "hwnas.bench.benchmark",
    "FitSummary": "hwnas.bench.benchmark",
    "SCALES": "hwnas.bench.benchmark",
    "MODES": "hwnas.bench.benchmark",
}

__all__ = ["MODES", "SCALES", "Benchmark", "FitSummary", "QueryResult"]  # = _EXPORTS


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'hwnas.bench' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
