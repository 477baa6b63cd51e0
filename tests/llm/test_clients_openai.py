"""The OpenAI-compatible client through the real ``openai`` package against a local HTTP server (no network)."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import pytest

from hwnas.core.errors import ConfigError
from hwnas.llm.base import Completion, LLMError, Request, Sampling, chat
from hwnas.llm.cache import ResponseCache
from hwnas.llm.openai_client import OpenAIClient
from hwnas.llm.replay import Recorder
from hwnas.llm.runner import EndpointUnreachableError, Runner

SECRET = "sk-test-SECRET-0123456789"
KEY_ENV = "HWNAS_TEST_LLM_KEY"


def _request(prompt: str, **sampling: Any) -> Request:
    return Request(chat(("system", "Be brief."), ("user", prompt)), Sampling(**sampling))


def _runner(url: str, cache: Path | None, **knobs: Any) -> Runner:
    client = OpenAIClient(model="test-model", base_url=url, api_key_env=KEY_ENV)
    settings = {"timeout_s": 5.0, "max_retries": 2, "backoff_s": 0.001, "concurrency": 4, **knobs}
    return Runner(client, cache=ResponseCache(cache) if cache else None, **settings)


@pytest.fixture(autouse=True)
def api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, SECRET)


def test_answer_passes_sampling_and_key_and_is_cached(fake_openai: Any, llm_cache: Path) -> None:
    runner = _runner(fake_openai.url, llm_cache)
    request = _request("hi", temperature=0.7, top_p=0.9, max_tokens=5, seed=11, stop=("\n",))
    [first] = runner.run([request])
    assert first == Completion("answer to: hi", runner.model, cached=False, elapsed_s=first.elapsed_s)
    assert runner.model == f"openai:test-model@{fake_openai.url}"
    [sent] = fake_openai.calls
    assert sent["_auth"] == f"Bearer {SECRET}"
    assert (sent["model"], sent["temperature"], sent["top_p"], sent["max_tokens"], sent["seed"]) == (
        "test-model", 0.7, 0.9, 5, 11)  # fmt: skip
    assert sent["stop"] == ["\n"] and [m["role"] for m in sent["messages"]] == ["system", "user"]
    [second] = _runner(fake_openai.url, llm_cache).run([request])  # a new runner: the cache is on disk
    assert second.text == first.text and second.cached
    assert len(fake_openai.calls) == 1


def test_server_errors_are_retried_then_succeed(fake_openai: Any, llm_cache: Path) -> None:
    fake_openai.behave("flaky", "500", "500")
    [answer] = _runner(fake_openai.url, llm_cache, max_retries=2).run([_request("flaky")])
    assert isinstance(answer, Completion) and answer.text == "answer to: flaky"
    assert fake_openai.calls_for("flaky") == 3


def test_retries_are_bounded_and_other_requests_survive(fake_openai: Any, llm_cache: Path) -> None:
    fake_openai.behave("broken", *["500"] * 10)
    fake_openai.behave("garbled", *["malformed"] * 10)
    fake_openai.behave("empty", *["no_choices"] * 10)
    prompts = ["a", "broken", "b", "garbled", "empty", "c"]
    results = _runner(fake_openai.url, llm_cache, max_retries=1).run([_request(p) for p in prompts])
    assert [isinstance(r, Completion) for r in results] == [True, False, True, False, False, True]
    assert "HTTP 500" in str(results[1]) and "2 attempt(s)" in str(results[1])
    assert "malformed response" in str(results[3]) and "no choices" in str(results[4])
    assert [fake_openai.calls_for(p) for p in ("broken", "garbled", "empty")] == [2, 2, 2]
    assert len(ResponseCache(llm_cache)) == 3  # the three good answers were kept


def test_time_out_gives_an_error_after_bounded_retries(fake_openai: Any, llm_cache: Path) -> None:
    fake_openai.behave("sleepy", "slow", "slow", "slow")
    start = time.perf_counter()
    [answer] = _runner(fake_openai.url, llm_cache, timeout_s=0.3, max_retries=1).run([_request("sleepy")])
    assert isinstance(answer, LLMError) and "no answer within 0.3 s" in str(answer)
    assert fake_openai.calls_for("sleepy") == 2
    assert time.perf_counter() - start < fake_openai.slow_s  # it did not wait for the slow server


def test_endpoint_dying_mid_run_keeps_completed_answers(fake_openai: Any, llm_cache: Path) -> None:
    runner = _runner(fake_openai.url, llm_cache, max_retries=1)
    done = runner.run([_request("kept")])
    assert isinstance(done[0], Completion)
    fake_openai.stop()  # the server dies after answering: a refused connection is now one failed request
    results = runner.run([_request("kept"), _request("new")])
    assert isinstance(results[0], Completion) and results[0].cached and results[0].text == "answer to: kept"
    assert isinstance(results[1], LLMError) and "cannot connect" in str(results[1])


def test_endpoint_never_reached_fails_the_batch_at_once(fake_openai: Any, llm_cache: Path) -> None:
    """A wrong URL or a server not started: one refused connection stops the batch, no prompt is retried."""
    assert isinstance(_runner(fake_openai.url, llm_cache).run([_request("kept")])[0], Completion)
    fake_openai.stop()
    fresh = _runner(fake_openai.url, llm_cache, max_retries=5, backoff_s=10.0)  # retrying would take minutes
    start = time.perf_counter()
    with pytest.raises(EndpointUnreachableError, match=r"cannot connect.*never reached"):
        fresh.run([_request("kept"), *[_request(f"new {i}") for i in range(20)]])
    assert time.perf_counter() - start < 5.0
    [kept] = _runner(fake_openai.url, llm_cache).run([_request("kept")])  # still cached, asked no one
    assert isinstance(kept, Completion) and kept.text == "answer to: kept"


def test_permanent_errors_are_not_retried(fake_openai: Any, llm_cache: Path) -> None:
    fake_openai.behave("nomodel", "404")
    [missing] = _runner(fake_openai.url, llm_cache).run([_request("nomodel")])
    assert isinstance(missing, LLMError) and "HTTP 404" in str(missing) and "model name" in str(missing)
    assert fake_openai.calls_for("nomodel") == 1


def test_api_key_never_leaks(
    fake_openai: Any, tmp_path: Path, llm_cache: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Not in reprs, logs (even at DEBUG), cache files, replay files or errors, even when the server echoes it."""
    fake_openai.behave("reject", "401_echo", "500")
    runner = _runner(fake_openai.url, llm_cache)
    runner.recorder = Recorder(tmp_path / "rec.jsonl")
    with caplog.at_level(logging.DEBUG):
        good, rejected = runner.run([_request("fine"), _request("reject")])
        runner.run([_request("reject")])  # a 500 (retried, logged) then an answer
    assert "retrying" in caplog.text and SECRET not in caplog.text
    assert isinstance(good, Completion) and isinstance(rejected, LLMError)
    assert "HTTP 401" in str(rejected) and KEY_ENV in str(rejected)
    assert SECRET in fake_openai.calls[-1]["_auth"]  # the key was really sent (and echoed) ...
    texts = [repr(runner), repr(runner.client), str(rejected), str(runner.client.describe())]
    texts += [p.read_text() for p in [*llm_cache.rglob("*.json"), tmp_path / "rec.jsonl"]]
    assert all(SECRET not in text for text in texts)  # ... but it is nowhere we write or print


def test_concurrency_limit_is_respected(fake_openai: Any, llm_cache: Path) -> None:
    fake_openai.delay_s = 0.15
    requests = [_request(f"q{i}") for i in range(6)]
    results = _runner(fake_openai.url, llm_cache, concurrency=2).run(requests)
    assert [r.text for r in results if isinstance(r, Completion)] == [f"answer to: q{i}" for i in range(6)]
    assert fake_openai.max_in_flight == 2
    fake_openai.max_in_flight = 0
    _runner(fake_openai.url, None, concurrency=1).run(requests[:3])
    assert fake_openai.max_in_flight == 1


def test_bad_endpoint_settings_are_config_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError, match=r"llm\.base_url is 'localhost:8000'"):
        OpenAIClient(model="m", base_url="localhost:8000")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(ConfigError, match="OPENAI_API_KEY is not set"):
        OpenAIClient(model="gpt-4o-mini")
    local = OpenAIClient(model="m", base_url="http://localhost:11434/v1/")  # Ollama: no key needed
    assert local.describe()["api_key_set"] is False and local.model == "openai:m@http://localhost:11434/v1"
