"""Building evaluators from the one evaluator registry (:data:`hwnas.contracts.evaluator.EVALUATORS`).

The contract (:class:`Evaluator`, :class:`Outcome`) lives in :mod:`hwnas.contracts.evaluator`; it and the
``analytic`` evaluator are re-exported here, with :func:`make_evaluator` and :func:`register_evaluator`, for code and
plugins written against hwnas 0.1.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pydantic import create_model

from hwnas.contracts.evaluator import EVALUATORS, Evaluator, EvaluatorFactory, Outcome, fitness_direction
from hwnas.contracts.executor import EvaluatorSpec
from hwnas.contracts.options import Options
from hwnas.core.space import SearchSpace
from hwnas.search.analytic import AnalyticEvaluator

__all__ = [
    "EVALUATORS",
    "AnalyticEvaluator",
    "Evaluator",
    "EvaluatorFactory",
    "Outcome",
    "build_evaluator",
    "evaluator_names",
    "fitness_direction",
    "make_evaluator",
    "register_evaluator",
    "spec_evaluator",
]

# The run settings 0.1 evaluators could ask for by name (each also a SearchConfig shorthand key).
LEGACY_OPTIONS = ("checkpoint", "latency_model", "accuracy_model", "device")


def evaluator_names() -> list[str]:
    return EVALUATORS.names()


def build_evaluator(name: str, space: SearchSpace, options: Mapping[str, Any] | None = None) -> Evaluator:
    """The evaluator ``name`` for ``space``, its ``options`` validated by its options model (unknown keys fail)."""
    factory = EVALUATORS.get(name)
    return factory(space, EVALUATORS.options(name, options))


def spec_evaluator(spec: EvaluatorSpec, replica: int = 0) -> Evaluator:
    """Instance ``replica`` of a run's evaluator, in any process (the space is rebuilt from its name or path)."""
    from hwnas.spaces import get_space

    return build_evaluator(spec.name, get_space(spec.space), spec.options_for(replica))


def make_evaluator(name: str, space: SearchSpace, options: Mapping[str, Any] | None = None) -> Evaluator:
    """As :func:`build_evaluator`, but lenient as in 0.1: options the evaluator does not declare, and None values,
    are ignored (so one mapping of run settings can be handed to any evaluator)."""
    declared = EVALUATORS.options_model(name).model_fields
    given = {k: v for k, v in (options or {}).items() if k in declared and v is not None}
    return build_evaluator(name, space, given)


def register_evaluator(name: str, factory: Callable[..., Evaluator], *, options: Sequence[str] = ()) -> None:
    """The 0.1 way to register: ``factory(space, **{option: value})`` with ``options`` among
    :data:`LEGACY_OPTIONS`. New code registers into ``EVALUATORS`` with its own options model."""
    unknown = sorted(set(options) - set(LEGACY_OPTIONS))
    if unknown:
        raise ValueError(f"evaluator {name!r}: unknown option {unknown[0]!r}; allowed: {', '.join(LEGACY_OPTIONS)}")
    fields: dict[str, Any] = {key: (str | None, None) for key in options}
    model = create_model(f"LegacyOptions_{name.replace('-', '_')}", __base__=Options, **fields)

    def build(space: SearchSpace, values: Options) -> Evaluator:
        return factory(space, **values.model_dump())

    EVALUATORS.register(name, build, options=model, summary=(factory.__doc__ or "").strip().split("\n")[0])
