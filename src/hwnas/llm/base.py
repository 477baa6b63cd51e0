"""The LLM client contract, apart from any implementation (OpenAI-compatible endpoint, embedded model, replay).

A client turns one chat request into text. Everything around the call (the disk cache, time-outs, bounded retries
with back-off, the concurrency limit) is shared by all clients and lives in :mod:`hwnas.llm.runner`, so an
implementation only knows how to talk to its model.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Literal, Protocol, runtime_checkable

from hwnas.core.errors import HwnasError

Role = Literal["system", "user", "assistant"]


@dataclass(frozen=True)
class Message:
    role: Role
    content: str


@dataclass(frozen=True)
class Sampling:
    """How to sample one answer. ``seed`` is sent to endpoints that honour it and seeds the embedded model."""

    temperature: float = 0.0
    top_p: float = 1.0
    max_tokens: int = 32
    seed: int | None = 0
    stop: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Request:
    """One chat request. ``answer_schema`` (JSON text of a JSON schema) asks for a structured answer: clients that
    can constrain their output to it do (see :class:`LLMClient`), the others answer in free text."""

    messages: tuple[Message, ...]
    sampling: Sampling = Sampling()
    answer_schema: str | None = None

    def cache_key(self, model: str) -> str:
        """SHA-256 of (model, messages, sampling[, answer schema]): the disk cache key; equal requests to one model
        share it (a request without a schema keeps the key it had before schemas existed)."""
        payload: dict[str, object] = {
            "model": model,
            "messages": [asdict(m) for m in self.messages],
            "sampling": asdict(self.sampling),
        }
        if self.answer_schema is not None:
            payload["answer_schema"] = self.answer_schema
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True)
class Completion:
    text: str
    model: str
    cached: bool = False
    elapsed_s: float = 0.0


class LLMError(HwnasError):
    """A request that failed for good (after the allowed retries): dead endpoint, time-out, bad response."""


class TransientLLMError(LLMError):
    """A failure worth retrying (time-out, refused connection, HTTP 429/5xx, garbled response): clients raise it so
    that the runner retries with back-off; a plain :class:`LLMError` (bad API key, unknown model) fails at once."""


@runtime_checkable
class LLMClient(Protocol):
    """One model behind one interface. ``model`` identifies it in cache keys and in recorded results (e.g.
    ``"openai:gpt-4o-mini@https://api.openai.com/v1"``, ``"embedded:SmolLM2-135M-Instruct-Q4_1"``).

    Optional attributes the runner reads: ``max_concurrency`` (int), ``cacheable`` (bool, default True),
    ``structured_output`` (bool, default False: the client constrains its answer to a request's ``answer_schema``,
    e.g. with a llama.cpp grammar or an endpoint's ``response_format``) and ``choice_scoring`` (bool, default False:
    the client has ``score_choices(request, choices, *, timeout_s) -> list[float]``, the log-likelihood of each
    choice as the whole answer to ``request``; a pick by it is always one of the choices)."""

    model: str

    def complete(self, request: Request, *, timeout_s: float) -> str:
        """The model's answer text. Raise on failure (the runner decides whether to retry)."""
        ...


SCORING_SCHEMA_KEY = "x-hwnas-score-choices"


def scoring_request(request: Request, choices: Sequence[str]) -> Request:
    """The request whose cached "answer" is the JSON list of ``choices``' scores: the same messages and sampling,
    keyed apart from the plain request (and from every other set of choices) by a marker schema."""
    marker = json.dumps({SCORING_SCHEMA_KEY: list(choices)}, separators=(",", ":"))
    return Request(request.messages, request.sampling, marker)


def chat(*contents: tuple[Role, str]) -> tuple[Message, ...]:
    """``chat(("system", "..."), ("user", "..."))`` -> messages."""
    return tuple(Message(role, text) for role, text in contents)


def as_requests(messages: Sequence[tuple[Message, ...]], sampling: Sampling) -> list[Request]:
    return [Request(m, sampling) for m in messages]


@runtime_checkable
class LLMRunner(Protocol):
    """What predictors use: many requests in, one result per request out, in order. A failed request comes back as
    its :class:`LLMError` (never raised), so completed answers are never lost to one bad call. Implemented by
    :class:`hwnas.llm.runner.Runner` (disk cache, time-outs, retries, concurrency) around any :class:`LLMClient`."""

    model: str

    def run(self, requests: Sequence[Request]) -> list[Completion | LLMError]: ...
