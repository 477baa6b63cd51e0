"""Fixtures of the search tests."""

from __future__ import annotations

import pytest

from hwnas.contracts.evaluator import EVALUATORS
from hwnas.contracts.options import NoOptions, Options
from hwnas.contracts.registry import Entry
from hwnas.contracts.searcher import SEARCHERS

from .fakes import CountingEvaluator


def register_for_test(monkeypatch: pytest.MonkeyPatch, name: str, evaluator: object) -> None:
    """``evaluator`` registered as ``name`` (no options) for this test only."""
    EVALUATORS.names()  # the built-ins first, so the test's entry is not replaced by them
    monkeypatch.setitem(EVALUATORS._entries, name, Entry(name, lambda space, options: evaluator, NoOptions, ""))


def register_searcher_for_test(
    monkeypatch: pytest.MonkeyPatch, name: str, cls: object, options: type[Options] = NoOptions
) -> None:
    """``cls`` registered as searcher ``name`` for this test only."""
    SEARCHERS.names()
    monkeypatch.setitem(SEARCHERS._entries, name, Entry(name, cls, options, ""))


@pytest.fixture(autouse=True)
def _offline_llm(offline_llm: None) -> None:
    """Every searcher of the contract suites, lm-searcher included, runs offline (tests/conftest.py)."""


@pytest.fixture
def counting(monkeypatch: pytest.MonkeyPatch) -> CountingEvaluator:
    """A CountingEvaluator registered as ``counting`` for this test only (every run of the test shares it)."""
    instance = CountingEvaluator()
    register_for_test(monkeypatch, "counting", instance)
    return instance
