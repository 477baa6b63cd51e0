"""Analytic metrics: params (with and without embeddings), FLOPs and MACs from an arch's genes alone, counted by
the space's family (:mod:`hwnas.families`)."""

from __future__ import annotations

from hwnas.metrics.analytic import (
    ANALYTIC_METRICS,
    MetricCounter,
    UnsupportedFamilyError,
    analytic_metrics,
    counted_families,
    register_family,
)

__all__ = [
    "ANALYTIC_METRICS",
    "MetricCounter",
    "UnsupportedFamilyError",
    "analytic_metrics",
    "counted_families",
    "register_family",
]
