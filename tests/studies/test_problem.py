"""Problems as data: the bundled files load, metric names map to what the bench evaluator reports, normalisation
puts the best bound at 0 and the worst at 1 (max objectives flipped), and a bad file is one error naming the key."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hwnas.core.errors import ConfigError, UnknownNameError
from hwnas.studies.problem import Problem, bundled_problems, load_problem, run_metric

GOOD = {
    "name": "p",
    "space": "gpt-s",
    "objectives": ["perplexity:min", "latency@h100:min"],
    "constraints": ["energy@a100<=0.5"],
    "bounds": {"perplexity": [20.0, 40.0], "latency@h100": [2.0, 12.0]},
    "reference": [1.1, 1.1],
}


def test_every_bundled_problem_loads_and_names_its_bench_devices() -> None:
    names = [n for n in bundled_problems() if n.startswith("gpt-")]
    assert len(names) == 21  # (2 metrics x 3 devices + one 3-D) x 3 scales
    assert set(bundled_problems()) - set(names) == {
        "hat-wmt14ende-bleu-latency-cpu"
    }  # tests/studies/test_hat_problem.py
    for name in names:
        problem = load_problem(name)
        assert problem.name == name and len(problem.reference) == len(problem.objectives) in (2, 3)
        (block,) = problem.evaluator_blocks()
        assert block["name"] == "bench" and block["options"]["devices"]
        assert "bounds: lowest and highest measured value" in problem.provenance


def test_metric_names_constraints_and_evaluators_as_a_run_sees_them() -> None:
    problem = Problem.model_validate(GOOD)
    assert run_metric("latency@h100") == "latency_h100" and run_metric("perplexity") == "perplexity"
    assert problem.run_objectives() == ["perplexity:min", "latency_h100:min"]
    assert problem.run_constraints() == ["energy_a100<=0.5"]
    assert problem.evaluator_blocks() == [
        {"name": "bench", "options": {"metrics": ["perplexity", "latency", "energy"], "devices": ["h100", "a100"]}}
    ]


def test_normalisation_best_is_zero_worst_is_one_and_max_objectives_flip() -> None:
    problem = Problem.model_validate(
        GOOD
        | {
            "objectives": ["accuracy:max", "latency@h100:min"],
            "bounds": {"accuracy": [0.5, 0.3], "latency@h100": [2.0, 12.0]},
        }
    )
    points = problem.normalise([{"accuracy": 0.5, "latency_h100": 12.0}, {"accuracy": 0.4, "latency_h100": 1.0}])
    assert np.allclose(points, [[0.0, 1.0], [0.5, -0.1]])  # beyond a bound: not clipped


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"bounds": {"perplexity": [20.0, 40.0]}}, "bounds must give [best, worst] for each objective"),
        ({"bounds": {"perplexity": [40.0, 20.0], "latency@h100": [2.0, 12.0]}}, "must have best < worst"),
        ({"reference": [1.1]}, "reference must hold 2 positive numbers"),
        ({"objectives": ["perplexity:min"]}, "objectives"),
        ({"objectives": ["perplexity:min", "perplexity:max"]}, "given more than once"),
        ({"colour": "red"}, "unknown key 'colour'"),
        ({"constraints": ["energy<<3"]}, "is not a number"),
    ],
)
def test_a_bad_problem_file_is_one_error_naming_the_key(tmp_path: Path, change: dict[str, object], says: str) -> None:
    import yaml

    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(GOOD | change))
    with pytest.raises(ConfigError, match=None) as info:
        load_problem(path)
    assert says in str(info.value) and "bad.yaml" in str(info.value)


def test_an_unknown_problem_names_the_bundled_ones() -> None:
    with pytest.raises(UnknownNameError, match="gpt-s-perplexity-latency-h100"):
        load_problem("gpt-s-speed")


def test_a_problem_off_the_benchmark_spaces_lists_its_evaluators() -> None:
    problem = Problem.model_validate(
        GOOD
        | {
            "space": "tiny",
            "objectives": ["params:min", "flops:min"],
            "constraints": [],
            "bounds": {"params": [1e4, 1e6], "flops": [1e6, 1e9]},
        }
    )
    with pytest.raises(ConfigError, match="needs an 'evaluators' list"):
        problem.evaluator_blocks()
    listed = Problem.model_validate(problem.model_dump() | {"evaluators": [{"name": "analytic"}]})
    assert listed.evaluator_blocks() == [{"name": "analytic", "options": {}}]
