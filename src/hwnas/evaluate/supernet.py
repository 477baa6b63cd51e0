"""`SupernetEvaluator`: HAT's search fitness for many subnets, i.e. the validation loss of each with the
supernet's inherited weights, on the run's validation pairs (``data.valid_subset``: all of them as HAT, or the first
N), tokenised and batched once (kept on the device) so every subnet is scored on the same pairs.

It implements the search's Evaluator protocol (``metrics``, ``cheap``, ``evaluate(archs)``); the search registry
builds it as ``--fitness supernet --checkpoint PATH``. A GPT supernet's evaluator also reports each subnet's
``perplexity`` (exp of its validation loss): the accuracy axis of a GPT benchmark (docs/gpt-supernet.md).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hwnas.core.arch import Arch
from hwnas.core.errors import ConfigError, DataError
from hwnas.core.space import SearchSpace
from hwnas.models.gpt_supernet import GPTSuperNet
from hwnas.train.config import TrainConfig
from hwnas.train.distributed import resolve_device
from hwnas.train.kinds import training_for
from hwnas.train.session import load_trained
from hwnas.train.validation import valid_loss


class SupernetEvaluator:
    """Validation loss (mean token NLL, nats) of subnets of a trained supernet (and a GPT's perplexity)."""

    metrics: tuple[str, ...] = ("valid_loss",)
    cheap: bool = False

    def __init__(
        self,
        checkpoint: str | Path,
        *,
        device: str = "auto",
        valid_subset: int | None = None,
        max_tokens: int | None = None,
        bf16: bool = True,
    ) -> None:
        self.device = resolve_device(device)
        built, self.codec, meta = load_trained(checkpoint, self.device)
        if built.kind != "supernet":
            raise DataError(f"checkpoint {str(checkpoint)!r} holds a standalone model, not a supernet")
        self.built, self.bf16 = built, bf16
        self.space: SearchSpace = built.space
        if isinstance(built.module, GPTSuperNet):
            self.metrics = ("valid_loss", "perplexity")
        self.config = TrainConfig.model_validate(meta["config"])
        data = self.config.data
        if valid_subset is not None:
            data = data.model_copy(update={"valid_subset": valid_subset})
        task = training_for(self.space).task(self.space, data)
        encoded = task.encode(self.codec, task.load("valid"))
        budget = max_tokens or self.config.optim.max_tokens
        self.batches = task.eval_batches(encoded, max_tokens=budget, device=self.device)
        self.num_sentences = len(encoded)

    def evaluate(self, archs: Sequence[Arch]) -> list[dict[str, float]]:
        results = []
        for arch in archs:
            self.built.activate(arch)
            loss = valid_loss(self.built.module, self.batches, bf16=self.bf16)
            scores = {"valid_loss": loss, "perplexity": math.exp(loss)}
            results.append({name: scores[name] for name in self.metrics})
        return results

    def loss(self, arch: Arch) -> float:
        return self.evaluate([arch])[0]["valid_loss"]


def supernet_factory(checkpoint: str | Path, **options: Any) -> Any:
    """An evaluator factory (space -> evaluator) bound to ``checkpoint``; the space must be the supernet's."""

    def factory(space: SearchSpace) -> SupernetEvaluator:
        evaluator = SupernetEvaluator(checkpoint, **options)
        if evaluator.space.name != space.name:
            raise ConfigError(
                f"the supernet checkpoint was trained on space {evaluator.space.name!r}; "
                f"the search uses {space.name!r}; allowed: {evaluator.space.name!r}"
            )
        return evaluator

    return factory
