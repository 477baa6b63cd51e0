"""The evaluator this package implements, registered into the one evaluator registry with its options:
``llm-distill`` (BLEU predicted by a regressor distilled from LLM-PP's labels; cheap, maximised). Only pydantic is
imported here: the model loads when the evaluator is built."""

from __future__ import annotations

from pydantic import Field

from hwnas.contracts.evaluator import EVALUATORS, Evaluator
from hwnas.contracts.options import Options
from hwnas.core.errors import ConfigError
from hwnas.core.space import SearchSpace


class DistillOptions(Options):
    accuracy_model: str | None = Field(None, description="model file written by `hwnas llm-pp distill` (model.npz)")


def llm_distill(space: SearchSpace, options: DistillOptions) -> Evaluator:
    """Predicted BLEU of a regressor distilled from LLM-PP's LLM predictions (LLM-Distill-PP); cheap, maximised."""
    try:
        from hwnas.llm.distill import make_distilled_evaluator
    except ImportError as exc:  # an install without the LLM extras
        raise ConfigError(f"evaluator 'llm-distill' is unavailable: {exc}") from None
    evaluator: Evaluator = make_distilled_evaluator(space, accuracy_model=options.accuracy_model)
    return evaluator


EVALUATORS.register("llm-distill", llm_distill, options=DistillOptions, summary=llm_distill.__doc__ or "")
