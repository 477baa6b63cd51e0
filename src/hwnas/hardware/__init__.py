"""Hardware: device description, latency / memory / energy measurement protocols, latency dataset collection,
the embedded (shipped) datasets, and latency evaluators for search.

Main entry points (imported lazily, so ``import hwnas.hardware`` does not import torch):

- :func:`measure_arch` (arch, space, settings) -> :class:`Measurement` — one arch, the family's protocol;
- :class:`MeasureSettings`, :func:`protocol_for` (space) -> the space family's protocol, with
  ``default_settings(space, ...)``;
- :func:`collect` (space, settings=, n=, out=, sampler=, seed=) — a resumable latency CSV + provenance sidecar;
- :func:`read_latency_dataset` (path), :func:`embedded_datasets` (), :func:`default_dataset` (space, device);
- :func:`load_latency_csv` (path) -> :class:`hwnas.predictors.LatencyDataset` — a latency CSV as predictor data;
- :class:`MeasuredLatencyEvaluator`, :class:`PredictedLatencyEvaluator` — the search's ``latency`` (measured) and
  ``latency-model`` (predicted, cheap) evaluators;
- :class:`BusyPolicy`, :class:`LoadGuard`, :func:`measure_guarded` — measuring only on a quiet machine (wait,
  refuse or ignore); :func:`assess_dataset` — whether a latency dataset (and its predictor) can be trusted.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "measure_arch": "hwnas.hardware.protocols",
    "measure_guarded": "hwnas.hardware.protocols",
    "BusyPolicy": "hwnas.hardware.busy",
    "LoadGuard": "hwnas.hardware.busy",
    "assess_dataset": "hwnas.hardware.reliability",
    "protocol_for": "hwnas.hardware.protocols",
    "Measurement": "hwnas.hardware.timing",
    "MeasureSettings": "hwnas.hardware.settings",
    "TimingStats": "hwnas.hardware.stats",
    "summarize_times": "hwnas.hardware.stats",
    "describe_device": "hwnas.hardware.device",
    "collect": "hwnas.hardware.collector",
    "CollectSummary": "hwnas.hardware.collector",
    "arch_stream": "hwnas.hardware.sampling",
    "read_latency_dataset": "hwnas.hardware.dataset_files",
    "CollectedDataset": "hwnas.hardware.dataset_files",
    "load_latency_csv": "hwnas.hardware.latency_csv",
    "embedded_datasets": "hwnas.hardware.embedded",
    "default_dataset": "hwnas.hardware.embedded",
    "MeasuredLatencyEvaluator": "hwnas.hardware.evaluators",
    "PredictedLatencyEvaluator": "hwnas.hardware.evaluators",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'hwnas.hardware' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
