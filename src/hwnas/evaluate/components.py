"""The evaluators this package implements, registered into the one evaluator registry with their options:
``supernet`` (validation loss of each subnet with the supernet's weights, HAT's search fitness) and
``accuracy-model`` (an accuracy metric predicted by a saved predictor, default the one shipped for the space;
cheap). Only pydantic is imported here: torch loads when an evaluator is built."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from hwnas.contracts.evaluator import EVALUATORS, Evaluator
from hwnas.contracts.options import Options
from hwnas.core.errors import ConfigError
from hwnas.core.space import SearchSpace


class SupernetOptions(Options):
    checkpoint: str | None = Field(None, description="trained supernet checkpoint (the run folder or its .pt file)")
    device: str = Field("auto", description="auto (cuda when torch sees one, else cpu), cpu, cuda or cuda:N")
    valid_subset: int | None = Field(
        None, ge=1, description="score on the first N validation pairs (default: the run's data.valid_subset)"
    )
    max_tokens: int | None = Field(None, ge=1, description="tokens per scoring batch (default: the run's)")
    bf16: bool = Field(True, description="bf16 autocast where the device supports it")


def supernet(space: SearchSpace, options: SupernetOptions) -> Evaluator:
    """Validation loss of each subnet on the supernet run's validation pairs (HAT's search fitness)."""
    from hwnas.evaluate.supernet import supernet_factory

    if not options.checkpoint:
        raise ConfigError(
            "evaluator 'supernet' needs a trained supernet: give --checkpoint PATH (config key checkpoint)"
        )
    knobs = options.model_dump(exclude={"checkpoint"})
    evaluator: Evaluator = supernet_factory(options.checkpoint, **knobs)(space)
    return evaluator


EVALUATORS.register("supernet", supernet, options=SupernetOptions, summary=supernet.__doc__ or "")


class AccuracyModelOptions(Options):
    model: str | None = Field(None, description="saved predictor file (default: the one shipped for the space)")
    metric: str = Field("bleu_pred", min_length=1, description="the metric's name in the run")
    direction: Literal["max", "min"] = Field("max", description="whether higher (max) or lower values are better")


def accuracy_model(space: SearchSpace, options: AccuracyModelOptions) -> Evaluator:
    """An accuracy metric (default: BLEU) predicted by a saved predictor (default: the one shipped); cheap."""
    from hwnas.evaluate.predicted import make_accuracy_model_evaluator

    evaluator: Evaluator = make_accuracy_model_evaluator(space, **options.model_dump())
    return evaluator


EVALUATORS.register(
    "accuracy-model", accuracy_model, options=AccuracyModelOptions, summary=accuracy_model.__doc__ or ""
)
