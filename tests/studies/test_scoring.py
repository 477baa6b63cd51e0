"""Hypervolume scoring: a hand-checkable 2-D trace (non-decreasing, infeasible and failed evaluations add nothing),
standard error over seeds, and attainment surfaces of known fronts."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hwnas.spaces import get_space
from hwnas.studies.problem import Problem
from hwnas.studies.scoring import Evaluation, aggregate, attainment, hypervolume_trace, pareto_front, summarise

SPACE = get_space("gpt-s")
PROBLEM = Problem.model_validate(
    {
        "name": "toy",
        "space": "gpt-s",
        "objectives": ["perplexity:min", "latency@h100:min"],
        "constraints": ["energy@h100<=5"],
        "bounds": {"perplexity": [0.0, 10.0], "latency@h100": [0.0, 10.0]},
        "reference": [1.0, 1.0],
    }
)


def _evaluation(i: int, ppl: float, latency: float, energy: float = 1.0, error: str | None = None) -> Evaluation:
    arch = SPACE.sample(np.random.default_rng(i))
    metrics = {"perplexity": ppl, "latency_h100": latency, "energy_h100": energy}
    return Evaluation(arch.to_dict(), arch.arch_id, metrics, error)


def test_the_trace_is_the_hypervolume_so_far_and_never_decreases() -> None:
    evaluations = [
        _evaluation(0, 5.0, 5.0),  # (0.5, 0.5): 0.25
        _evaluation(1, 6.0, 6.0),  # dominated: still 0.25
        _evaluation(2, 2.0, 8.0),  # (0.2, 0.8) adds 0.3 x 0.2 = 0.06
        _evaluation(3, 1.0, 1.0, energy=9.0),  # infeasible (energy): nothing
        _evaluation(4, 1.0, 1.0, error="boom"),  # failed: nothing
        _evaluation(5, 12.0, 0.5),  # beyond the reference on ppl: nothing
        _evaluation(6, 4.0, 4.0),  # dominates the first: (0.6 x 0.6) + (0.4 - ...) exact below
    ]
    trace = hypervolume_trace(PROBLEM, evaluations)
    assert trace[:6] == pytest.approx([0.25, 0.25, 0.31, 0.31, 0.31, 0.31])
    # front {(0.4, 0.4), (0.2, 0.8)}: 0.6 x 0.6 + 0.2 x (1 - 0.8) = 0.40
    assert trace[6] == pytest.approx(0.40)
    assert np.all(np.diff(trace) >= 0)
    front = pareto_front(PROBLEM, evaluations)
    assert [f["objectives"] for f in front] == [  # the front in real units, beyond the reference point too
        {"perplexity": 2.0, "latency@h100": 8.0},
        {"perplexity": 4.0, "latency@h100": 4.0},
        {"perplexity": 12.0, "latency@h100": 0.5},
    ]


def test_standard_error_is_over_seeds() -> None:
    stats = summarise([0.5, 0.7, 0.6])
    assert stats["mean"] == pytest.approx(0.6) and stats["n"] == 3
    assert stats["se"] == pytest.approx(np.std([0.5, 0.7, 0.6], ddof=1) / math.sqrt(3))
    assert summarise([0.4])["se"] is None
    table = aggregate({"a": [{"at_budgets": {"10": 0.5}}, {"at_budgets": {"10": None}}]}, [10])
    assert table["a"]["10"]["n"] == 1 and table["a"]["10"]["short_runs"] == 1


def test_attainment_surfaces_of_known_fronts() -> None:
    fronts = [np.array([[0.1, 0.9], [0.5, 0.2]]), np.array([[0.3, 0.4]]), np.zeros((0, 2))]
    surfaces = attainment(fronts)
    assert surfaces[1] == [[0.1, 0.9], [0.3, 0.4], [0.5, 0.2]]  # the best of the runs at each x
    assert surfaces[2] == [[0.3, 0.9], [0.5, 0.4]]  # attained by two runs
    assert surfaces[3] == []  # the third run attains nothing
    with pytest.raises(ValueError, match="2-D"):
        attainment([np.zeros((2, 3))])
