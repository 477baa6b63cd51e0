"""How the LM searcher gets the LLM's pick from a pool of candidate codes, and what it counts on the way.

Three ways to ask, each ending in one candidate or in ``None`` (the caller then falls back):

* ``loglik``: the client scores every candidate's code as the whole answer (:meth:`Runner.score_choices`); the
  best-scored one is the pick, so a client that can score always gives a valid pick (ties: the first candidate).
* ``constrained``: the request carries a JSON schema whose only allowed answer is ``{"code": <one of the pool>}``;
  clients that honour schemas (llama.cpp grammars, endpoints with ``response_format``) cannot answer anything else.
* ``generate``: free text, matched to the pool (:func:`match_answer`).

Constrained and free answers that match no candidate are asked again, at most ``retries`` more times, each retry
with another seed and some temperature (an identical greedy request would get the identical answer from the
cache). A request that fails for good (the runner already retried time-outs and dropped connections) ends the
attempt at once: asking again would only wait again. ``auto`` picks ``loglik`` where the client scores choices,
else ``constrained`` where it honours schemas, else ``generate``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

from hwnas.core.errors import ConfigError
from hwnas.llm.base import LLMError, Message, Request, Sampling
from hwnas.llm.runner import Runner

ChoiceMode = Literal["auto", "loglik", "constrained", "generate"]
RETRY_TEMPERATURE = 0.7  # retries sample, so that a greedy model's invalid answer is not simply repeated


@dataclass
class ChoiceCounts:
    """Every path a trial took (reported in ``result.json`` under ``searcher``)."""

    warmup: int = 0  # random trials before the LLM is asked
    only_candidate: int = 0  # a pool of one: nothing to ask
    loglik: int = 0  # picked by log-likelihood scoring
    constrained: int = 0  # picked by a schema-constrained answer
    generated: int = 0  # picked by a free answer matched to the pool
    fallback: int = 0  # the LLM gave no usable pick: the fallback picked (fallback_surrogate + fallback_random)
    fallback_surrogate: int = 0  # ... the surrogate fitted on the trials told so far
    fallback_random: int = 0  # ... a random pool member (fallback random, or too few trials to fit a surrogate)
    retries: int = 0  # extra asks after an answer that matched no candidate
    invalid_answers: int = 0  # answers that matched no candidate
    llm_errors: int = 0  # requests that failed for good (time-out, dead endpoint, no recorded answer)

    def to_dict(self) -> dict[str, int]:
        return asdict(self)

    def restore(self, counts: Mapping[str, Any]) -> None:
        """Take the counts a journal recorded (a resumed run's replayed picks are not counted again); keys this
        version does not know are ignored."""
        for key in self.to_dict():
            if isinstance(counts.get(key), int):
                setattr(self, key, counts[key])


def resolve_mode(mode: ChoiceMode, runner: Runner) -> Literal["loglik", "constrained", "generate"]:
    """The way this runner is asked; a mode the client cannot serve is a configuration error, up front."""
    if mode == "auto":
        return "loglik" if runner.choice_scoring else "constrained" if runner.structured_output else "generate"
    if mode == "loglik" and not runner.choice_scoring:
        raise ConfigError(
            f"lm-searcher option 'choice' is 'loglik' but client {runner.model!r} cannot score choices; "
            "allowed with it: auto, constrained (if it honours schemas), generate"
        )
    if mode == "constrained" and not runner.structured_output:
        raise ConfigError(
            f"lm-searcher option 'choice' is 'constrained' but client {runner.model!r} does not constrain answers "
            "(set llm.structured_output=on for an endpoint that does); allowed with it: auto, loglik, generate"
        )
    return mode


def answer_schema(codes: Sequence[str]) -> str:
    """JSON schema text allowing exactly ``{"code": <one of codes>}``."""
    schema = {
        "type": "object",
        "properties": {"code": {"type": "string", "enum": list(codes)}},
        "required": ["code"],
        "additionalProperties": False,
    }
    return json.dumps(schema, separators=(",", ":"))


_DIGIT_RUN = re.compile(r"\d+")


def match_answer(text: str, codes: Sequence[str]) -> int | None:
    """The index of the one candidate an answer names: a ``{"code": ...}`` object, or the digit runs in the text
    that are candidate codes. None when it names none, or several different ones."""
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict) and str(data.get("code", "")).strip() in codes:
        return list(codes).index(str(data["code"]).strip())
    named = {run for run in _DIGIT_RUN.findall(text) if run in codes}
    return list(codes).index(named.pop()) if len(named) == 1 else None


class Chooser:
    """Asks one runner for picks in one resolved mode, counting every path into ``counts``."""

    def __init__(
        self,
        runner: Runner,
        mode: Literal["loglik", "constrained", "generate"],
        *,
        sampling: Sampling,
        retries: int,
        counts: ChoiceCounts,
    ) -> None:
        if retries < 0:
            raise ConfigError(f"lm-searcher option 'generate_retries' is {retries}; allowed: an integer >= 0")
        self.runner, self.mode, self.sampling, self.retries, self.counts = runner, mode, sampling, retries, counts

    def choose(self, messages: tuple[Message, ...], codes: Sequence[str]) -> int | None:
        """The index of the LLM's pick among ``codes``, or None (then the caller falls back)."""
        if self.mode == "loglik":
            return self._by_scores(messages, codes)
        return self._by_answer(messages, codes)

    def _by_scores(self, messages: tuple[Message, ...], codes: Sequence[str]) -> int | None:
        scores = self.runner.score_choices(Request(messages, self.sampling), codes)
        if isinstance(scores, LLMError):
            self.counts.llm_errors += 1
            return None
        if not any(math.isfinite(s) for s in scores):  # e.g. a replayed answer that is none of the codes
            self.counts.invalid_answers += 1
            return None
        self.counts.loglik += 1
        return max(range(len(codes)), key=lambda i: (scores[i], -i))

    def _by_answer(self, messages: tuple[Message, ...], codes: Sequence[str]) -> int | None:
        schema = answer_schema(codes) if self.mode == "constrained" else None
        for attempt in range(self.retries + 1):
            if attempt:
                self.counts.retries += 1
            outcome = self.runner.run([Request(messages, self._sampling(attempt), schema)])[0]
            if isinstance(outcome, LLMError):
                self.counts.llm_errors += 1
                return None
            pick = match_answer(outcome.text, codes)
            if pick is not None:
                if self.mode == "constrained":
                    self.counts.constrained += 1
                else:
                    self.counts.generated += 1
                return pick
            self.counts.invalid_answers += 1
        return None

    def _sampling(self, attempt: int) -> Sampling:
        if attempt == 0:
            return self.sampling
        seed = (self.sampling.seed or 0) + attempt
        return replace(self.sampling, temperature=max(self.sampling.temperature, RETRY_TEMPERATURE), seed=seed)
