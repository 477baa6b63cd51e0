from __future__ import annotations

import numpy as np
import pytest

from hwnas.core.errors import ConfigError
from hwnas.llm.base import LLMError, Request, Sampling
from hwnas.llm.llmpp import RETRY_TEMPERATURE, Demonstration, LLMPPPredictor, PromptContext
from hwnas.llm.prompts import load_template
from hwnas.spaces import get_space

from .llmpp_fakes import ScriptedRunner

SPACE = get_space("hat-wmt14ende")
TASK = {
    "name": "wmt14ende",
    "description": "translate English to German",
    "corpus": "newstest2014",
    "source_language": "English",
    "target_language": "German",
}


def _archs(n: int, seed: int) -> list:
    rng = np.random.default_rng(seed)
    return [SPACE.sample(rng) for _ in range(n)]


def _predictor(runner: ScriptedRunner, *, temperature: float = 0.0, seed: int = 0, **knobs: object) -> LLMPPPredictor:
    context = PromptContext(template=load_template("llmpp-v1"), space=SPACE, task=TASK)
    demos = [Demonstration(a, 24.0 + i / 10) for i, a in enumerate(_archs(10, seed=1))]
    sampling = Sampling(temperature=temperature, seed=seed, max_tokens=16)
    return LLMPPPredictor(
        runner=runner,
        context=context,
        demonstrations=demos,
        sampling=sampling,
        **knobs,  # type: ignore[arg-type]
    )


def test_all_requests_go_in_one_runner_call() -> None:
    runner = ScriptedRunner(lambda r: "25.5")
    predictions = _predictor(runner, samples=2, temperature=0.7).predict(_archs(4, seed=2))
    assert len(runner.calls) == 1 and len(runner.calls[0]) == 8
    assert [p.value for p in predictions] == [25.5] * 4
    assert all(p.ok and not p.failures for p in predictions)
    seeds = sorted({s.seed for p in predictions for s in p.samples})
    assert seeds == [0, 1] and {s.temperature for p in predictions for s in p.samples} == {0.7}
    assert {r.sampling.max_tokens for r in runner.requests} == {16}


def test_malformed_answers_are_retried_with_new_seeds_then_recorded_as_failed() -> None:
    runner = ScriptedRunner(lambda r: "I am not sure, it depends on the data.")
    [prediction] = _predictor(runner, max_attempts=3).predict(_archs(1, seed=3))
    assert prediction.value is None and not prediction.ok
    assert len(runner.calls) == 3  # bounded: one call per attempt, then give up
    assert [s.attempt for s in prediction.samples] == [0, 1, 2]
    assert len({s.seed for s in prediction.samples}) == 3
    # greedy first ask; re-asks sample (a greedy re-ask would repeat the same answer)
    assert [s.temperature for s in prediction.samples] == [0.0, RETRY_TEMPERATURE, RETRY_TEMPERATURE]
    assert prediction.samples[-1].text == "I am not sure, it depends on the data."
    assert "no number in [0, 100]" in prediction.failures[0] and "3 attempts" in prediction.failures[0]


def test_retry_recovers_and_request_errors_are_kept() -> None:
    def answer(request: Request) -> str | LLMError:
        if request.sampling.seed == 0:
            return LLMError("endpoint timed out")
        return "BLEU: 26.1"

    runner = ScriptedRunner(answer)
    [prediction] = _predictor(runner).predict(_archs(1, seed=4))
    assert prediction.value == 26.1 and not prediction.failures
    first, second = prediction.samples
    assert first.text is None and "endpoint timed out" in (first.error or "")
    assert second.value == 26.1 and second.attempt == 1


def test_dead_endpoint_never_raises() -> None:
    runner = ScriptedRunner(lambda r: LLMError("connection refused"))
    predictions = _predictor(runner, max_attempts=2).predict(_archs(3, seed=5))
    assert [p.value for p in predictions] == [None] * 3
    assert all("connection refused" in p.failures[0] for p in predictions)


@pytest.mark.parametrize(("aggregate", "expected"), [("mean", (20 + 21 + 31) / 3), ("median", 21.0)])
def test_samples_are_aggregated(aggregate: str, expected: float) -> None:
    by_seed = {0: "20", 1: "21", 2: "31"}
    runner = ScriptedRunner(lambda r: by_seed[r.sampling.seed])  # type: ignore[index]
    [prediction] = _predictor(runner, samples=3, temperature=0.5, aggregate=aggregate).predict(_archs(1, seed=6))
    assert prediction.value == pytest.approx(expected)


def test_a_failed_sample_is_left_out_of_the_aggregate_and_reported() -> None:
    runner = ScriptedRunner(lambda r: "no idea" if r.sampling.seed % 1_000_003 == 1 else "30")
    [prediction] = _predictor(runner, samples=3, temperature=0.5, max_attempts=2).predict(_archs(1, seed=7))
    assert prediction.value == 30.0
    assert len(prediction.failures) == 1 and prediction.failures[0].startswith("sample 1:")


def test_k_demonstrations_are_a_seeded_subset_in_order() -> None:
    runner = ScriptedRunner(lambda r: "25")
    predictor = _predictor(runner, k=3, seed=11)
    used = predictor.used_demonstrations
    assert len(used) == 3
    order = [d.value for d in predictor.demonstrations]
    assert [order.index(d.value) for d in used] == sorted(order.index(d.value) for d in used)
    assert [d.value for d in _predictor(runner, k=3, seed=11).used_demonstrations] == [d.value for d in used]
    predictor.predict(_archs(1, seed=8))
    assert runner.requests[0].messages[-1].content.count("valid BLEU: ") == 3


@pytest.mark.parametrize(
    ("knobs", "message"),
    [
        ({"k": 0}, "allowed: 1..10"),
        ({"k": 11}, "allowed: 1..10"),
        ({"samples": 0}, "must be >= 1"),
        ({"samples": 3}, "temperature > 0"),
        ({"aggregate": "mode"}, "aggregate 'mode'"),
    ],
)
def test_bad_knobs_are_config_errors(knobs: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        _predictor(ScriptedRunner(lambda r: "1"), **knobs)
