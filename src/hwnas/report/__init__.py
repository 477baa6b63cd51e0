"""Run reports: Markdown + PNG figures + ``summary.json`` from a pipeline run directory (matplotlib, Agg)."""

from __future__ import annotations

from hwnas.report.builder import build_report, summarize

__all__ = ["build_report", "summarize"]
