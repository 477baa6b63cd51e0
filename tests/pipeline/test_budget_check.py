"""The latency safety margin and the re-measure fallback, with a recording fake measurer (no timing involved)."""

from __future__ import annotations

import numpy as np
import pytest

from hwnas.core.arch import Arch
from hwnas.core.objectives import Constraint
from hwnas.pipeline import parse_pipeline_config
from hwnas.pipeline.budget_check import (
    MAX_AUTO_MARGIN,
    Candidate,
    choose_within_budget,
    resolve_margin,
    search_candidates,
    search_limit,
)
from hwnas.pipeline.config import DEFAULT_MARGIN
from hwnas.search.records import Record
from hwnas.spaces import get_space


def _archs(n: int) -> list[Arch]:
    space, rng = get_space("tiny"), np.random.default_rng(0)
    found: dict[str, Arch] = {}
    while len(found) < n:
        arch = space.sample(rng)
        found[arch.arch_id] = arch
    return list(found.values())


class FakeMeasurer:
    """Returns the latency it was given for each arch and records every call."""

    def __init__(self, latency: dict[str, float]) -> None:
        self.latency, self.calls = latency, []

    def __call__(self, arch: Arch) -> float:
        self.calls.append(arch.arch_id)
        return self.latency[arch.arch_id]


def _candidates(predicted: list[float]) -> list[Candidate]:
    return [
        Candidate(a, p, {"metrics": {"latency": p}}) for a, p in zip(_archs(len(predicted)), predicted, strict=True)
    ]


def test_margin_fixed_auto_and_bounded() -> None:
    config = parse_pipeline_config({"search": {"latency_margin": 0.1}})
    assert resolve_margin(config, {"mape": 0.5}) == 0.1
    auto = parse_pipeline_config({"search": {"latency_margin": "auto"}})
    assert resolve_margin(auto, {"mape": 0.07, "in_sample": False}) == pytest.approx(0.07)
    assert resolve_margin(auto, {"mape": 0.9, "in_sample": False}) == MAX_AUTO_MARGIN
    assert resolve_margin(auto, {"mape": 0.07, "in_sample": True}) == DEFAULT_MARGIN  # in-sample MAPE flatters
    assert resolve_margin(auto, None) == DEFAULT_MARGIN  # a reused predictor has no check
    assert search_limit(2.0, 0.05) == pytest.approx(1.9)


def test_first_candidate_within_budget_is_kept_after_one_measurement() -> None:
    candidates = _candidates([1.8, 1.7])
    measure = FakeMeasurer({candidates[0].arch.arch_id: 1.95, candidates[1].arch.arch_id: 1.0})
    choice = choose_within_budget(candidates, budget_ms=2.0, measure=measure, max_measures=5)
    assert choice is not None and choice["arch_id"] == candidates[0].arch.arch_id
    assert choice["within_budget"] is True and choice["fallback"] is False and choice["measured_ms"] == 1.95
    assert measure.calls == [candidates[0].arch.arch_id]
    assert choice["metrics"] == {"latency": 1.8}  # the caller's info travels with the choice


def test_over_budget_choice_falls_back_to_the_next_measured_within() -> None:
    candidates = _candidates([1.9, 1.85, 1.8])
    ids = [c.arch.arch_id for c in candidates]
    measure = FakeMeasurer({ids[0]: 2.26, ids[1]: 2.1, ids[2]: 1.7})
    choice = choose_within_budget(candidates, budget_ms=2.11, measure=measure, max_measures=5)
    assert choice is not None and choice["arch_id"] == ids[1]
    assert choice["within_budget"] is True and choice["fallback"] is True
    assert [t["within_budget"] for t in choice["tries"]] == [False, True]
    assert measure.calls == ids[:2]  # stops at the first one within budget


def test_measurements_are_bounded_and_the_fastest_over_budget_is_flagged() -> None:
    candidates = _candidates([1.9, 1.8, 1.7, 1.6])
    ids = [c.arch.arch_id for c in candidates]
    measure = FakeMeasurer({ids[0]: 3.0, ids[1]: 2.5, ids[2]: 2.8, ids[3]: 1.0})
    choice = choose_within_budget(candidates, budget_ms=2.0, measure=measure, max_measures=3)
    assert measure.calls == ids[:3]  # the fourth (which would fit) is never measured
    assert choice is not None and choice["arch_id"] == ids[1] and choice["within_budget"] is False
    assert choice["measured_ms"] == 2.5 and choice["fallback"] is True


def test_without_a_measurer_the_prediction_is_trusted() -> None:
    candidates = _candidates([1.9, 1.8])
    for measure, bound in ((None, 5), (FakeMeasurer({}), 0)):
        choice = choose_within_budget(candidates, budget_ms=2.0, measure=measure, max_measures=bound)
        assert choice is not None and choice["arch_id"] == candidates[0].arch.arch_id
        assert choice["within_budget"] is None and choice["measured_ms"] is None and choice["tries"] == []
    assert choose_within_budget([], budget_ms=2.0, measure=None, max_measures=5) is None


def test_search_candidates_come_from_the_records_best_first() -> None:
    archs = _archs(5)
    losses, latencies, errors = [3.0, 2.0, 1.0, 0.5, 2.0], [1.0, 1.5, 2.5, 1.2, 0.9], [None, None, None, "x", None]
    records = [
        Record(arch, {"valid_loss": loss, "latency": latency, "params": 1.0}, "ok", (loss,), 0.0, error)
        for arch, loss, latency, error in zip(archs, losses, latencies, errors, strict=True)
    ]
    found = search_candidates(records, archs[0].arch_id, Constraint.parse("latency<=2.0"))
    # the search's best first, then by validation loss (ties in evaluation order); over the limit (2.5 ms) and failed
    # (error) archs left out
    assert [c.arch.arch_id for c in found] == [archs[0].arch_id, archs[1].arch_id, archs[4].arch_id]
    assert found[1].predicted_ms == 1.5 and found[1].info["metrics"]["valid_loss"] == 2.0
    assert search_candidates(records, None, Constraint.parse("latency<=0.5")) == []
