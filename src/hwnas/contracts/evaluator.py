"""The evaluator contract (archs -> one outcome per arch, batched), the one evaluator registry, and the one reading of
an evaluator's answer (:func:`evaluate_outcomes`) that the search loop, its executors and the LLM generator share.

Evaluators are the seam between search and everything that measures or predicts. Each is registered by the package
that implements it (``analytic`` by search, ``latency`` / ``latency-model`` by hardware, ``supernet`` by evaluate,
``llm-distill`` by llm, ``bench`` by bench, a plugin's by the plugin) into :data:`EVALUATORS`, with the pydantic
options model of its knobs. The registry names its providers as module paths and imports them on first read, so
nothing heavy (torch, transformers) is imported until an evaluator is built.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeAlias, runtime_checkable

from hwnas.contracts.registry import Registry
from hwnas.core.arch import Arch
from hwnas.core.errors import ConfigError
from hwnas.core.space import SearchSpace


@dataclass(frozen=True)
class Outcome:
    """What evaluating one arch gave: its metrics, or the error that stopped it (then ``metrics`` holds what was
    measured before it failed, often nothing). A failed outcome fails that arch only, never its batch."""

    metrics: Mapping[str, float] = field(default_factory=dict)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


Answer: TypeAlias = Mapping[str, float] | Outcome
"""One arch's answer: its metrics, or an :class:`Outcome` (to report that this arch failed)."""


@runtime_checkable
class Evaluator(Protocol):
    """Turns archs into metrics. ``metrics`` names what ``evaluate`` returns for every arch; ``cheap`` says whether
    it costs about as little as drawing an arch (then constraints on its metrics are checked before any other
    evaluation, and searchers redraw candidates that violate them).

    An evaluator used as the fitness (``--fitness`` or a ``--fitness-schedule`` phase) may also set
    ``fitness_direction = "max"`` when its first metric is better higher (e.g. a predicted BLEU); the loop reads it
    with :func:`fitness_direction` and defaults to ``"min"`` (a loss)."""

    metrics: tuple[str, ...]
    cheap: bool

    def evaluate(self, archs: Sequence[Arch]) -> Sequence[Answer]:
        """One answer per arch, in order: a metrics mapping, or an :class:`Outcome` whose ``error`` fails that arch
        alone. Raising says the evaluator cannot tell which arch failed: each arch is then asked alone."""
        ...


EvaluatorFactory: TypeAlias = Callable[[SearchSpace, Any], Evaluator]
"""Called as ``factory(space, options)`` with the validated instance of the options model it registered."""

EVALUATORS: Registry[EvaluatorFactory] = Registry(
    "evaluator",
    providers=(
        "hwnas.search.components",
        "hwnas.hardware.components",
        "hwnas.evaluate.components",
        "hwnas.llm.components",
        "hwnas.bench.components",
    ),
)


def fitness_direction(evaluator: Evaluator) -> str:
    """``"min"`` or ``"max"``: how the evaluator's first metric ranks archs when it is the fitness."""
    direction = getattr(evaluator, "fitness_direction", "min")
    if direction not in ("min", "max"):
        raise ConfigError(
            f"evaluator {type(evaluator).__name__} has fitness_direction {direction!r}; allowed: 'min', 'max'"
        )
    return str(direction)


def evaluate_outcomes(evaluator: Evaluator, archs: Sequence[Arch]) -> list[Outcome]:
    """One :class:`Outcome` per arch (metrics as floats). An exception, a wrong number of answers or a value that is
    no number fails the batch's reading; the archs are then asked one at a time, so only the culprit fails."""
    archs = list(archs)
    if not archs:
        return []
    try:
        return _read(evaluator, archs)
    except Exception as exc:
        if len(archs) == 1:
            return [Outcome({}, describe_failure(evaluator, exc))]
    return [evaluate_outcomes(evaluator, [arch])[0] for arch in archs]


def _read(evaluator: Evaluator, archs: list[Arch]) -> list[Outcome]:
    answers = evaluator.evaluate(archs)
    if len(answers) != len(archs):
        raise ValueError(f"evaluator returned {len(answers)} results for {len(archs)} archs")
    outcomes = []
    for answer in answers:
        if isinstance(answer, Outcome):
            outcomes.append(Outcome(_as_floats(answer.metrics), answer.error))
        else:
            outcomes.append(Outcome(_as_floats(answer)))
    return outcomes


def describe_failure(evaluator: Evaluator, exc: BaseException) -> str:
    """The error text of a failed arch: which evaluator, which exception, its message."""
    return f"{type(evaluator).__name__}: {type(exc).__name__}: {exc}"


def _as_floats(values: Mapping[str, Any]) -> dict[str, float]:
    return {str(k): float(v) for k, v in values.items()}
