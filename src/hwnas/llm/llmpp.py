"""LLM-PP: an LLM, shown a task, a search space and k trained archs with their metric, predicts the metric of new
archs (Jawahar et al., Findings of ACL 2024, re-done with bounded retries and recorded failures).

Every prompt of a batch goes to the runner in one ``run`` call (the runner owns concurrency, the cache, time-outs).
Each arch is asked ``samples`` times (sample i uses seed ``seed + i``); an answer without a plausible number, or a
request that failed, is re-asked with a new seed (and, when decoding greedily, a temperature above 0, since a
greedy re-ask would repeat the same answer) up to ``max_attempts`` times in all. Whatever still fails is a failed
sample with its reason; an arch whose samples all fail is a failed prediction (``value`` None), never a crash and
never a substitute number. The successful samples of an arch are aggregated by their mean or median.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from hwnas.core.arch import Arch
from hwnas.core.errors import ConfigError
from hwnas.core.space import SearchSpace
from hwnas.llm.base import Completion, LLMError, LLMRunner, Message, Request, Sampling
from hwnas.llm.parsing import ANSWER_SCHEMA, ValueRange, parse_answer
from hwnas.llm.prompts import PromptTemplate, arch_line, efficiency_line, gflops_text, hat_lines, space_variables

if TYPE_CHECKING:
    from hwnas.llm.llmpp_config import PredictorConfig

Aggregate = Literal["mean", "median"]
AGGREGATES: dict[str, Callable[[list[float]], float]] = {"mean": statistics.fmean, "median": statistics.median}
RETRY_SEED_STRIDE = 1_000_003  # re-asks use seeds far from the samples' own seeds
RETRY_TEMPERATURE = 0.7  # used for re-asks when the samples decode greedily
DEFAULT_SAMPLING = Sampling(temperature=0.0, max_tokens=32, seed=0)
STRUCTURED_MIN_TOKENS = 24  # the least answer length a JSON-constrained answer is given


@dataclass(frozen=True)
class Sample:
    """One answer: the seed and temperature it was sampled with, its text (or the request's error), the parsed value."""

    attempt: int
    seed: int | None
    temperature: float
    text: str | None
    value: float | None
    error: str | None = None


@dataclass(frozen=True)
class Prediction:
    """What LLM-PP says about one arch: the aggregated value (None when every sample failed) and every sample."""

    arch_id: str
    value: float | None
    samples: tuple[Sample, ...]
    failures: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.value is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "arch_id": self.arch_id,
            "value": self.value,
            "failures": list(self.failures),
            "samples": [asdict(s) for s in self.samples],
        }


@dataclass(frozen=True)
class Demonstration:
    arch: Arch
    value: float


@dataclass(frozen=True, kw_only=True)
class PromptContext:
    """Everything a prompt holds besides the query arch: template, space, task text, examples, metric name."""

    template: PromptTemplate
    space: SearchSpace
    task: Mapping[str, str]
    examples: Sequence[Mapping[str, str]] = ()
    metric: str = "valid BLEU"
    value_format: str = "{:.2f}"

    def messages(self, demonstrations: Sequence[Demonstration], query: Arch) -> tuple[Message, ...]:
        variables = {
            **space_variables(self.space),
            "metric": self.metric,
            "task": dict(self.task),
            "examples": [dict(e) for e in self.examples],
            "demonstrations": [
                {**self._arch_variables(d.arch), "value": self.value_format.format(d.value)} for d in demonstrations
            ],
            "query": self._arch_variables(query),
        }
        return self.template.render(variables)

    def _arch_variables(self, arch: Arch) -> dict[str, Any]:
        """How templates may show one arch: a one-line gene list, HAT key lines, params + FLOPs, GFLOPs."""
        return {
            "arch": arch_line(arch),
            "hat_lines": hat_lines(arch),
            "efficiency": efficiency_line(arch, self.space),
            "gflops": gflops_text(arch, self.space),
        }


@dataclass(kw_only=True)
class LLMPPPredictor:
    """Predicts a metric of archs with an LLM (see the module docstring). ``k`` demonstrations are used (all when
    None; a seeded subset otherwise, kept in file order)."""

    runner: LLMRunner
    context: PromptContext
    demonstrations: Sequence[Demonstration]
    k: int | None = None
    samples: int = 1
    aggregate: Aggregate = "mean"
    sampling: Sampling = DEFAULT_SAMPLING  # temperature, top_p, answer length; its seed is sample 0's
    max_attempts: int = 3
    value_range: ValueRange = field(default_factory=ValueRange)

    def __post_init__(self) -> None:
        if self.k is not None and not 1 <= self.k <= len(self.demonstrations):
            raise ConfigError(f"k (demonstrations) is {self.k}; allowed: 1..{len(self.demonstrations)}")
        if self.samples < 1 or self.max_attempts < 1:
            raise ConfigError(f"samples ({self.samples}) and max_attempts ({self.max_attempts}) must be >= 1")
        if self.aggregate not in AGGREGATES:
            raise ConfigError(f"aggregate {self.aggregate!r} is unknown; allowed: {', '.join(AGGREGATES)}")
        if self.samples > 1 and self.sampling.temperature <= 0:
            raise ConfigError("samples > 1 needs temperature > 0 (greedy samples would all be the same answer)")
        chosen: list[int] = list(range(len(self.demonstrations)))
        if self.k is not None and self.k < len(self.demonstrations):
            rng = np.random.default_rng(self.base_seed)
            chosen = sorted(rng.choice(len(self.demonstrations), size=self.k, replace=False).tolist())
        self.used_demonstrations: tuple[Demonstration, ...] = tuple(self.demonstrations[i] for i in chosen)

    @classmethod
    def from_config(
        cls,
        config: PredictorConfig,
        *,
        runner: LLMRunner,
        context: PromptContext,
        demonstrations: Sequence[Demonstration],
        sampling: Sampling = DEFAULT_SAMPLING,
    ) -> LLMPPPredictor:
        """The predictor a command's settings describe (``hwnas llm-pp evaluate`` / ``distill``)."""
        return cls(
            runner=runner,
            context=context,
            demonstrations=demonstrations,
            k=config.k,
            samples=config.samples,
            aggregate=config.aggregate,
            sampling=sampling,
            max_attempts=config.max_attempts,
            value_range=ValueRange(config.value_min, config.value_max),
        )

    @property
    def base_seed(self) -> int:
        return self.sampling.seed or 0

    def sampling_for(self, sample: int, attempt: int) -> Sampling:
        """Sample ``sample``'s settings on attempt ``attempt`` (0 = first ask)."""
        greedy = self.sampling.temperature <= 0
        temperature = RETRY_TEMPERATURE if attempt > 0 and greedy else self.sampling.temperature
        seed = self.base_seed + sample + attempt * RETRY_SEED_STRIDE
        tokens = self.sampling.max_tokens
        if self.answer_schema is not None:  # '{ "value": 24.56 }' is ~12 tokens: a shorter budget cuts the answer
            tokens = max(tokens, STRUCTURED_MIN_TOKENS)
        return replace(self.sampling, temperature=temperature, seed=seed, max_tokens=tokens)

    @property
    def answer_schema(self) -> str | None:
        """The JSON schema requests carry when the runner's client can constrain its answers to it, else None."""
        return json.dumps(ANSWER_SCHEMA, sort_keys=True) if getattr(self.runner, "structured_output", False) else None

    def predict(self, archs: Sequence[Arch]) -> list[Prediction]:
        prompts = [self.context.messages(self.used_demonstrations, arch) for arch in archs]
        schema = self.answer_schema
        slots = [(a, s) for a in range(len(archs)) for s in range(self.samples)]
        history: dict[tuple[int, int], list[Sample]] = {slot: [] for slot in slots}
        pending = slots
        for attempt in range(self.max_attempts):
            if not pending:
                break
            requests = [Request(prompts[a], self.sampling_for(s, attempt), schema) for a, s in pending]
            answers = self.runner.run(requests)
            if len(answers) != len(requests):
                raise LLMError(f"runner returned {len(answers)} results for {len(requests)} requests")
            for slot, request, answer in zip(pending, requests, answers, strict=True):
                history[slot].append(self._sample(attempt, request.sampling, answer))
            pending = [slot for slot in pending if history[slot][-1].value is None]
        return [self._prediction(arch, [history[(a, s)] for s in range(self.samples)]) for a, arch in enumerate(archs)]

    def _sample(self, attempt: int, sampling: Sampling, answer: Completion | LLMError) -> Sample:
        if isinstance(answer, LLMError):
            return Sample(attempt, sampling.seed, sampling.temperature, None, None, f"request failed: {answer}")
        parsed = parse_answer(answer.text, self.value_range, metric=self.context.metric)
        return Sample(attempt, sampling.seed, sampling.temperature, answer.text, parsed.value, parsed.reason)

    def _prediction(self, arch: Arch, per_sample: list[list[Sample]]) -> Prediction:
        finals = [attempts[-1] for attempts in per_sample]
        values = [s.value for s in finals if s.value is not None]
        failures = tuple(
            f"sample {i}: {attempts[-1].error} (after {len(attempts)} attempts)"
            for i, attempts in enumerate(per_sample)
            if attempts[-1].value is None
        )
        value = AGGREGATES[self.aggregate](values) if values else None
        flat = tuple(s for attempts in per_sample for s in attempts)
        return Prediction(arch.arch_id, value, flat, failures)

    def describe(self) -> dict[str, Any]:
        """The knobs and the runner's model, as results record them."""
        return {
            "model": self.runner.model,
            "template": self.context.template.describe(),
            "metric": self.context.metric,
            "k": len(self.used_demonstrations),
            "samples": self.samples,
            "aggregate": self.aggregate,
            "sampling": asdict(self.sampling),
            "max_attempts": self.max_attempts,
            "value_range": [self.value_range.low, self.value_range.high],
            "answer_schema": self.answer_schema,
        }
