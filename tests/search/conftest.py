"""Fixtures of the search tests."""

from __future__ import annotations

import pytest

from hwnas.search import evaluator as evaluator_module

from .fakes import CountingEvaluator


@pytest.fixture
def counting(monkeypatch: pytest.MonkeyPatch) -> CountingEvaluator:
    """A CountingEvaluator registered as ``counting`` for this test only (every run of the test shares it)."""
    instance = CountingEvaluator()
    monkeypatch.setitem(evaluator_module._EVALUATORS, "counting", (lambda space: instance, ()))
    return instance
