"""The bundled HAT problem: predicted BLEU (the shipped accuracy model, fitted on the 30 archs LLM-PP trained from
scratch) against the latency the shipped CPU predictor gives; both evaluators are cheap, so a suite on it runs
without data files beyond the package's own."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from hwnas.core.errors import ConfigError
from hwnas.evaluate.predicted import SHIPPED
from hwnas.search.evaluator import build_evaluator
from hwnas.spaces import get_space
from hwnas.studies.problem import load_problem
from hwnas.studies.suite import SuiteSettings, run_suite

PROBLEM = "hat-wmt14ende-bleu-latency-cpu"


def test_the_shipped_bleu_model_states_what_it_was_fitted_on_and_orders_archs_by_size() -> None:
    meta = json.loads((SHIPPED / "hat-wmt14ende.bleu_pred.json").read_text())
    assert meta["archs"] == 30 and meta["predictor"] in meta["candidates"]
    assert meta["candidates"][meta["predictor"]]["loo_mae_bleu"] < 0.5
    space = get_space("hat-wmt14ende")
    evaluator = build_evaluator("accuracy-model", space)
    small, large = evaluator.evaluate([space.smallest(), space.largest()])
    assert evaluator.metrics == ("bleu_pred",) and evaluator.cheap
    assert 20 < small["bleu_pred"] < large["bleu_pred"] < 32


def test_a_space_without_a_shipped_model_is_refused_naming_the_shipped_ones() -> None:
    with pytest.raises(ConfigError, match=r"no 'bleu_pred' model is shipped for space 'hat-wmt14enfr'.*hat-wmt14ende"):
        build_evaluator("accuracy-model", get_space("hat-wmt14enfr"))


def test_a_suite_on_the_hat_problem_scores_within_its_bounds(tmp_path: Path) -> None:
    problem = load_problem(PROBLEM)
    settings = SuiteSettings(problem=PROBLEM, algorithms=("random", "nsga2"), seeds=(0,), evaluations=40,
                             population=10)  # fmt: skip
    summary = run_suite(problem, settings, tmp_path / "suite")
    for run in summary["runs"]:
        assert run["evaluations"] == 40 and 0 < run["hypervolume"][-1] < 1.21
        points = problem.normalise([{k: v for k, v in f["objectives"].items()} for f in run["front"]])
        assert np.all(points > -0.2) and np.all(points < 1.1)
