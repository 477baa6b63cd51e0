"""Structured answers: requests carry a JSON schema when the client can constrain its output to it (llama.cpp,
endpoints with response_format), the cache keys of plain requests are unchanged, and LLM-PP reads list-shaped,
echoing or refusing answers as failures rather than as the first number in them."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from typing import Any

import numpy as np
import pytest

from hwnas.core.errors import ConfigError
from hwnas.llm.base import Request, Sampling, chat
from hwnas.llm.embedded import resolve_structured
from hwnas.llm.llmpp import Demonstration, LLMPPPredictor, PromptContext
from hwnas.llm.openai_client import OpenAIClient
from hwnas.llm.parsing import ANSWER_SCHEMA
from hwnas.llm.prompts import load_template
from hwnas.llm.runner import Runner
from hwnas.spaces import get_space

from .llmpp_fakes import ScriptedRunner

SPACE = get_space("hat-wmt14ende")
TASK = {"name": "t", "description": "d", "corpus": "c", "source_language": "English", "target_language": "German"}


def _predictor(runner: Any, **knobs: Any) -> LLMPPPredictor:
    rng = np.random.default_rng(1)
    demos = [Demonstration(SPACE.sample(rng), 24.0 + i / 10) for i in range(4)]
    context = PromptContext(template=load_template("llmpp-v1"), space=SPACE, task=TASK)
    return LLMPPPredictor(runner=runner, context=context, demonstrations=demos, **knobs)


class StructuredRunner(ScriptedRunner):
    structured_output = True


def test_a_plain_request_keeps_the_cache_key_it_had_before_schemas() -> None:
    request = Request(chat(("user", "hi")), Sampling(temperature=0.3, seed=4))
    payload = {"model": "m", "messages": [asdict(m) for m in request.messages], "sampling": asdict(request.sampling)}
    assert request.cache_key("m") == hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
    with_schema = Request(request.messages, request.sampling, json.dumps(ANSWER_SCHEMA))
    assert with_schema.cache_key("m") != request.cache_key("m")


def test_the_schema_is_sent_only_to_runners_that_can_use_it() -> None:
    archs = [SPACE.sample(np.random.default_rng(5))]
    plain = ScriptedRunner(lambda r: "BLEU: 25.0")
    assert _predictor(plain).predict(archs)[0].value == 25.0
    assert plain.requests[0].answer_schema is None
    structured = StructuredRunner(lambda r: '{"value": 26.5}')
    predictor = _predictor(structured)
    assert predictor.predict(archs)[0].value == 26.5
    assert json.loads(structured.requests[0].answer_schema or "") == ANSWER_SCHEMA
    assert predictor.describe()["answer_schema"] == structured.requests[0].answer_schema
    short = StructuredRunner(lambda r: '{"value": 26.5}')
    _predictor(short, sampling=Sampling(max_tokens=8)).predict(archs)
    assert short.requests[0].sampling.max_tokens == 24  # room for the whole JSON answer
    assert plain.requests[0].sampling.max_tokens == 32  # free text keeps the asked length


def test_list_echo_and_refusal_answers_are_retried_then_failed() -> None:
    answers = iter(["1. 25.26\n2. 24.56\n3. 24.01", "encoder layer num: 6", "I cannot know the BLEU."])
    runner = ScriptedRunner(lambda r: next(answers))
    [prediction] = _predictor(runner, max_attempts=3).predict([SPACE.sample(np.random.default_rng(2))])
    assert prediction.value is None and len(prediction.samples) == 3
    reasons = [s.error or "" for s in prediction.samples]
    assert "several different answers" in reasons[0] and "no number" in reasons[1] and "no number" in reasons[2]
    assert "after 3 attempts" in prediction.failures[0]


def test_structured_output_follows_the_embedded_backend() -> None:
    assert resolve_structured("auto", "llama_cpp") and not resolve_structured("auto", "transformers")
    assert not resolve_structured("off", "llama_cpp") and resolve_structured("on", "llama_cpp")
    with pytest.raises(ConfigError, match="cannot constrain its answers; allowed with it: auto, off"):
        resolve_structured("on", "transformers")


@pytest.mark.parametrize("structured", [True, False])
def test_an_endpoint_gets_response_format_only_when_asked(fake_openai: Any, structured: bool) -> None:
    client = OpenAIClient(model="m", base_url=fake_openai.url, api_key_env="NO_SUCH_KEY", structured_output=structured)
    runner = Runner(client, cache=None, timeout_s=5.0)
    assert runner.structured_output is structured
    runner.run([Request(chat(("user", "hi")), Sampling(), json.dumps(ANSWER_SCHEMA))])
    [sent] = fake_openai.calls
    if structured:
        assert sent["response_format"]["type"] == "json_schema"
        assert sent["response_format"]["json_schema"]["schema"] == ANSWER_SCHEMA
    else:
        assert "response_format" not in sent
