"""The one place where LLM calls happen: disk cache, time-outs, bounded retries with back-off, concurrency limit.

Every client (endpoint, embedded model, replay file) goes through :class:`Runner`, so they all behave the same when
things go wrong: a failed request comes back as its :class:`LLMError` instead of raising, and each answer is written
to the cache the moment it arrives, so a crash, a kill or a dead endpoint never costs the answers already received.

One failure is not per request: an endpoint that refuses the connection before it has answered anything in this
runner (a wrong URL, a server not started) would fail every prompt the same way, after every retry. The runner then
raises :class:`EndpointUnreachableError` at once instead of retrying each prompt; once the endpoint has answered,
a refused connection is a transient failure like any other (a server restarting mid-run).
"""

from __future__ import annotations

import json
import logging
import math
import random
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed

from hwnas.core.errors import ConfigError
from hwnas.llm.base import Completion, LLMClient, LLMError, Request, TransientLLMError, scoring_request
from hwnas.llm.cache import ResponseCache
from hwnas.llm.replay import Recorder

log = logging.getLogger(__name__)


class UnreachableError(TransientLLMError):
    """A client could not connect at all (refused, unknown host): no answer and no HTTP status came back."""


class EndpointUnreachableError(LLMError):
    """Raised by :meth:`Runner.run` when the first contact with the endpoint fails to connect (see module doc)."""


# Failures worth another try: the client says so, or the OS reports a time-out / connection problem.
RETRYABLE: tuple[type[BaseException], ...] = (TransientLLMError, TimeoutError, ConnectionError)
UNREACHABLE: tuple[type[BaseException], ...] = (UnreachableError, ConnectionRefusedError)
MAX_DELAY_S = 60.0

Progress = Callable[[int, int], None]  # (requests answered so far, total)
Outcome = Completion | LLMError


class Runner:
    """Runs many requests against one client; implements :class:`hwnas.llm.base.LLMRunner`.

    ``concurrency`` is capped by the client's ``max_concurrency`` (the embedded model says 1: one model in memory
    answers one request at a time). Delays between attempts grow as ``backoff_s * 2**attempt`` with random jitter
    (seeded), so many failing workers do not hammer a recovering server in lock-step.
    """

    def __init__(
        self,
        client: LLMClient,
        *,
        cache: ResponseCache | None = None,
        recorder: Recorder | None = None,
        timeout_s: float = 120.0,
        max_retries: int = 2,
        backoff_s: float = 1.0,
        concurrency: int = 4,
        seed: int = 0,
        progress: Progress | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        _check("timeout_s", timeout_s, timeout_s > 0, "a positive number of seconds")
        _check("max_retries", max_retries, max_retries >= 0, "an integer >= 0")
        _check("backoff_s", backoff_s, backoff_s >= 0, "a number of seconds >= 0")
        _check("concurrency", concurrency, concurrency >= 1, "an integer >= 1")
        self.client = client
        self.cache = cache
        self.recorder = recorder
        self.timeout_s = timeout_s
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self.concurrency = max(1, min(concurrency, int(getattr(client, "max_concurrency", concurrency))))
        self.progress = progress
        self._sleep = sleep
        self._rng = random.Random(seed)
        self._rng_lock = threading.Lock()
        self._reached = False  # has the client ever answered (even with an error status)? see the module doc

    @property
    def model(self) -> str:
        return self.client.model

    @property
    def structured_output(self) -> bool:
        """Whether the client constrains answers to a request's ``answer_schema`` (see :class:`LLMClient`)."""
        return bool(getattr(self.client, "structured_output", False))

    @property
    def choice_scoring(self) -> bool:
        """Whether the client scores a request's possible answers (``score_choices``, see :class:`LLMClient`)."""
        return bool(getattr(self.client, "choice_scoring", False)) and callable(
            getattr(self.client, "score_choices", None)
        )

    def score_choices(self, request: Request, choices: Sequence[str]) -> list[float] | LLMError:
        """The client's log-likelihood of each choice as the answer to ``request``, through the same cache,
        retries and time-outs as :meth:`run` (a failure comes back as its :class:`LLMError`). The scores are cached
        as the JSON text of the request :func:`hwnas.llm.base.scoring_request` makes."""
        if not self.choice_scoring:
            return LLMError(f"{self.model}: the client cannot score choices")
        keyed = scoring_request(request, choices)
        hit = self._from_cache(keyed)
        outcome: Outcome = (
            hit if hit is not None else self._call(keyed, ask=lambda: self._scores_text(request, choices))
        )
        if isinstance(outcome, LLMError):
            return outcome
        scores = _read_scores(outcome.text, len(choices))
        return scores if scores is not None else LLMError(f"{self.model}: scores {outcome.text[:60]!r} are unusable")

    def _scores_text(self, request: Request, choices: Sequence[str]) -> str:
        scores = self.client.score_choices(request, list(choices), timeout_s=self.timeout_s)  # type: ignore[attr-defined]
        return json.dumps([float(x) for x in scores])

    def __repr__(self) -> str:
        return (
            f"Runner({self.client!r}, cache={self.cache!r}, timeout_s={self.timeout_s}, "
            f"max_retries={self.max_retries}, concurrency={self.concurrency})"
        )

    def run(self, requests: Sequence[Request], *, progress: Progress | None = None) -> list[Outcome]:
        """One outcome per request, in order. Identical requests are asked once; cached ones are not asked.

        ``progress(done, total)`` (default: the runner's) is called as answers arrive. Raises
        :class:`EndpointUnreachableError` when the endpoint was never reached (the answers received stay cached)."""
        progress = progress if progress is not None else self.progress
        groups: dict[str, list[int]] = {}
        for index, request in enumerate(requests):
            groups.setdefault(request.cache_key(self.model), []).append(index)
        results: list[Outcome | None] = [None] * len(requests)
        todo: list[list[int]] = []
        for indices in groups.values():
            hit = self._from_cache(requests[indices[0]])
            if hit is None:
                todo.append(indices)
                continue
            for i in indices:
                results[i] = hit
        done = len(requests) - sum(len(ix) for ix in todo)
        if progress is not None and done:
            progress(done, len(requests))
        self._ask_all(requests, todo, results, progress)
        assert all(r is not None for r in results)
        return [r for r in results if r is not None]

    def complete(self, request: Request) -> Completion:
        """One request; raises its :class:`LLMError` (for callers that want exceptions, e.g. the CLI)."""
        outcome = self.run([request])[0]
        if isinstance(outcome, LLMError):
            raise outcome
        return outcome

    def _ask_all(
        self,
        requests: Sequence[Request],
        todo: list[list[int]],
        results: list[Outcome | None],
        progress: Progress | None,
    ) -> None:
        if not todo:
            return
        done = len(requests) - sum(len(ix) for ix in todo)
        pool = ThreadPoolExecutor(max_workers=min(self.concurrency, len(todo)), thread_name_prefix="hwnas-llm")
        try:
            futures: dict[Future[Outcome], list[int]] = {pool.submit(self._call, requests[ix[0]]): ix for ix in todo}
            for future in as_completed(futures):
                for i in futures[future]:
                    results[i] = future.result()
                done += len(futures[future])
                if progress is not None:
                    progress(done, len(requests))
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)  # Ctrl-C: stop now; finished answers are already cached
            raise
        pool.shutdown(wait=True)

    def _from_cache(self, request: Request) -> Completion | None:
        if self.cache is None:
            return None
        start = time.perf_counter()
        entry = self.cache.get(self.model, request)
        if entry is None:
            return None
        if self.recorder is not None:
            self.recorder.record(self.model, request, entry["text"], elapsed_s=float(entry.get("elapsed_s", 0.0)))
        return Completion(entry["text"], self.model, cached=True, elapsed_s=time.perf_counter() - start)

    def _call(self, request: Request, ask: Callable[[], str] | None = None) -> Outcome:
        """Ask the client (``ask``: another question than ``complete``, stored under ``request``), retrying
        transient failures; store the answer before returning it."""
        start = time.perf_counter()
        for attempt in range(self.max_retries + 1):
            try:
                text = ask() if ask is not None else self.client.complete(request, timeout_s=self.timeout_s)
            except RETRYABLE as exc:
                if isinstance(exc, UNREACHABLE) and not self._reached:
                    reason = f"{_describe(exc)} (never reached in this run, so no prompt is retried)"
                    raise EndpointUnreachableError(reason) from None
                self._reached = True
                if attempt == self.max_retries:
                    return LLMError(f"{self.model}: failed after {attempt + 1} attempt(s): {_describe(exc)}")
                log.info("%s: attempt %d failed (%s); retrying", self.model, attempt + 1, _describe(exc))
                self._sleep(self._delay(attempt))
                continue
            except LLMError as exc:
                self._reached = True
                return exc
            except Exception as exc:  # a client bug or an unexpected response must not sink the other requests
                return LLMError(f"{self.model}: {_describe(exc)}")
            self._reached = True
            if not isinstance(text, str):
                return LLMError(f"{self.model}: the client returned {type(text).__name__}, not text")
            elapsed = time.perf_counter() - start
            self._store(request, text, elapsed)
            return Completion(text, self.model, cached=False, elapsed_s=elapsed)
        raise AssertionError("unreachable: the loop returns on its last attempt")

    def _store(self, request: Request, text: str, elapsed_s: float) -> None:
        if self.cache is not None:
            try:
                self.cache.put(self.model, request, text, elapsed_s=elapsed_s)
            except OSError as exc:  # the answer is still returned; only the cache copy is missing
                log.warning("could not cache an answer of %s in %s: %s", self.model, self.cache.root, exc)
        if self.recorder is not None:
            self.recorder.record(self.model, request, text, elapsed_s=elapsed_s)

    def _delay(self, attempt: int) -> float:
        with self._rng_lock:
            jitter = self._rng.random()
        return min(MAX_DELAY_S, self.backoff_s * (2.0**attempt) * (1.0 + jitter))


def _read_scores(text: str, count: int) -> list[float] | None:
    """``count`` scores from their JSON text (``-Infinity`` allowed: a choice the model cannot produce); None when
    the text is not that."""
    try:
        values = json.loads(text)
    except ValueError:
        return None
    if not isinstance(values, list) or len(values) != count:
        return None
    if not all(isinstance(v, int | float) and not isinstance(v, bool) and not math.isnan(v) for v in values):
        return None
    return [float(v) for v in values]


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return text if isinstance(exc, LLMError) else f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _check(name: str, value: object, ok: bool, allowed: str) -> None:
    if not ok:
        raise ConfigError(f"llm.{name} is {value!r}; allowed: {allowed}")
