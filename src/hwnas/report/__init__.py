"""Run reports: Markdown + PNG figures + ``summary.json`` from a pipeline run directory, and Markdown + PNG figures
of a multi-objective suite (``hwnas bench run``) and of several compared (matplotlib, Agg)."""

from __future__ import annotations

from hwnas.report.builder import build_report, summarize
from hwnas.report.suite_report import build_suite_report

__all__ = ["build_report", "build_suite_report", "summarize"]
