"""Analytic metrics: params (with and without embeddings), FLOPs and MACs from an arch's genes alone."""

from __future__ import annotations

from hwnas.metrics.analytic import (
    ANALYTIC_METRICS,
    FAMILY_COUNTERS,
    MetricCounter,
    UnsupportedFamilyError,
    analytic_metrics,
    register_family,
)

__all__ = [
    "ANALYTIC_METRICS",
    "FAMILY_COUNTERS",
    "MetricCounter",
    "UnsupportedFamilyError",
    "analytic_metrics",
    "register_family",
]
