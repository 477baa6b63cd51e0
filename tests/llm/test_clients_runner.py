"""The runner's guarantees with in-process clients: order, dedup, back-off, crash safety, the cache format."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from hwnas.core.errors import ConfigError
from hwnas.llm.base import Completion, LLMClient, LLMError, Request, Sampling, TransientLLMError, chat
from hwnas.llm.cache import ResponseCache
from hwnas.llm.runner import Runner


class EchoClient:
    """Answers ``echo <prompt>``; fails as told per prompt; counts calls (a test double, not a product client)."""

    model = "test:echo"

    def __init__(self, failures: dict[str, list[BaseException]] | None = None, delays: dict[str, float] | None = None):
        self.failures = failures or {}
        self.delays = delays or {}
        self.calls: list[str] = []
        self.lock = threading.Lock()

    def complete(self, request: Request, *, timeout_s: float) -> str:
        prompt = request.messages[-1].content
        with self.lock:
            self.calls.append(prompt)
            planned = self.failures.get(prompt, [])
            failure = planned.pop(0) if planned else None
        time.sleep(self.delays.get(prompt, 0.0))
        if failure is not None:
            raise failure
        return f"echo {prompt}"


def _req(prompt: str, seed: int | None = 0) -> Request:
    return Request(chat(("user", prompt)), Sampling(temperature=0.5, seed=seed, max_tokens=7))


def test_outcomes_come_back_in_order_and_duplicates_are_asked_once(llm_cache: Path) -> None:
    client = EchoClient(delays={"a": 0.05, "b": 0.0, "c": 0.02})
    assert isinstance(client, LLMClient)
    prompts = ["a", "b", "a", "c", "b"]
    results = Runner(client, cache=ResponseCache(llm_cache), concurrency=3).run([_req(p) for p in prompts])
    assert [r.text for r in results if isinstance(r, Completion)] == [f"echo {p}" for p in prompts]
    assert sorted(client.calls) == ["a", "b", "c"]


def test_seed_and_sampling_are_part_of_the_key(llm_cache: Path) -> None:
    client = EchoClient()
    runner = Runner(client, cache=ResponseCache(llm_cache))
    runner.run([_req("a", seed=1)])
    runner.run([_req("a", seed=2), _req("a", seed=1)])
    assert client.calls == ["a", "a"]


def test_backoff_grows_exponentially_with_seeded_jitter() -> None:
    def delays(seed: int) -> list[float]:
        slept: list[float] = []
        client = EchoClient({"x": [TransientLLMError("busy")] * 3})
        Runner(client, max_retries=3, backoff_s=0.5, seed=seed, sleep=slept.append).run([_req("x")])
        return slept

    slept = delays(seed=1)
    assert len(slept) == 3
    for attempt, delay in enumerate(slept):
        assert 0.5 * 2**attempt <= delay < 0.5 * 2 ** (attempt + 1)
    assert delays(seed=1) == slept and delays(seed=2) != slept


def test_transient_vs_permanent_vs_unexpected_failures() -> None:
    client = EchoClient(
        {
            "flaky": [TimeoutError("slow"), ConnectionError("reset")],
            "final": [LLMError("bad request"), LLMError("bad request")],
            "bug": [ValueError("cannot parse")],
        }
    )
    runner = Runner(client, max_retries=2, backoff_s=0.0)
    flaky, final, bug, fine = runner.run([_req("flaky"), _req("final"), _req("bug"), _req("fine")])
    assert isinstance(flaky, Completion) and client.calls.count("flaky") == 3
    assert isinstance(final, LLMError) and str(final) == "bad request" and client.calls.count("final") == 1
    assert isinstance(bug, LLMError) and "ValueError: cannot parse" in str(bug) and client.calls.count("bug") == 1
    assert isinstance(fine, Completion)


def test_a_killed_run_keeps_the_answers_it_had(llm_cache: Path) -> None:
    """Answers are cached as they arrive: a Ctrl-C mid-run stops it and loses nothing already answered."""

    def interrupt_after_two(done: int, total: int) -> None:
        if done == 2:
            raise KeyboardInterrupt  # what Ctrl-C does to the main thread while it waits for answers

    client = EchoClient(delays={"c": 0.3})  # "c" is in flight when the interrupt comes
    runner = Runner(client, cache=ResponseCache(llm_cache), concurrency=1, progress=interrupt_after_two)
    with pytest.raises(KeyboardInterrupt):
        runner.run([_req(p) for p in "abcde"])
    time.sleep(0.4)  # the request in flight at the interrupt may finish (and be kept); queued ones never start
    assert client.calls == ["a", "b", "c"]
    again = EchoClient()
    results = Runner(again, cache=ResponseCache(llm_cache)).run([_req(p) for p in "abcde"])
    assert [r.cached for r in results if isinstance(r, Completion)] == [True, True, True, False, False]
    assert sorted(again.calls) == ["d", "e"]


def test_progress_and_client_concurrency_cap(llm_cache: Path) -> None:
    class OneAtATime(EchoClient):
        max_concurrency = 1

    seen: list[tuple[int, int]] = []
    runner = Runner(
        OneAtATime(), cache=ResponseCache(llm_cache), concurrency=8, progress=lambda d, t: seen.append((d, t))
    )
    assert runner.concurrency == 1
    runner.run([_req("a")])
    seen.clear()
    runner.run([_req(p) for p in "abc"])
    assert seen == [(1, 3), (2, 3), (3, 3)]  # the cached one first, then one per answer


def test_cache_entries_record_what_produced_them(llm_cache: Path) -> None:
    cache = ResponseCache(llm_cache)
    request = _req("a", seed=42)
    Runner(EchoClient(), cache=cache).run([request])
    path = cache.path("test:echo", request.cache_key("test:echo"))
    entry = json.loads(path.read_text())
    assert entry["model"] == "test:echo" and entry["text"] == "echo a"
    assert entry["sampling"]["temperature"] == 0.5 and entry["sampling"]["seed"] == 42
    assert entry["messages"] == [{"role": "user", "content": "a"}] and entry["created"]
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temp files left behind
    path.write_text('{"key": "truncated')  # a damaged entry is a miss, then repaired
    client = EchoClient()
    [again] = Runner(client, cache=cache).run([request])
    assert isinstance(again, Completion) and not again.cached and client.calls == ["a"]
    assert json.loads(path.read_text())["text"] == "echo a"


@pytest.mark.parametrize(
    ("knob", "value"), [("timeout_s", 0.0), ("max_retries", -1), ("backoff_s", -0.1), ("concurrency", 0)]
)
def test_bad_runner_settings_name_the_key(knob: str, value: float) -> None:
    with pytest.raises(ConfigError, match=f"llm.{knob} is"):
        Runner(EchoClient(), **{knob: value})  # type: ignore[arg-type]


def test_complete_raises_the_error() -> None:
    runner = Runner(EchoClient({"x": [LLMError("nope")]}))
    assert runner.complete(_req("ok")).text == "echo ok"
    with pytest.raises(LLMError, match="nope"):
        runner.complete(_req("x"))
