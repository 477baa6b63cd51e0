"""Building the network a run trains, and rebuilding it from a checkpoint, through the space family's
:class:`~hwnas.train.kinds.TrainingFamily`; and the ``hat`` family's: the encoder-decoder SuperTransformer.

A supernet run trains a :class:`SuperTransformer` and activates each step's subnet; a from-scratch run trains the
one arch as a standalone :class:`TransformerModel` (only its own weights, so faster). By default
(``model.scratch_init: supernet-slice``) that model is extracted from a fresh supernet, which is HAT's
initialisation: HAT retrains a SubTransformer inside a fresh SuperTransformer, so its weights start as slices of
super-shaped inits. ``own-widths`` initialises it for its own widths instead (docs/hat-fidelity.md). Either way it
keeps the super widths as its base widths (sinusoid frequencies, HAT's dropout scaling), so the two settings differ
in the initial weights only. The checkpoint records which kind of model it holds and the model's JSON config, so it
can be rebuilt without the run's YAML.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import cast

import torch
from torch import nn

from hwnas.core.arch import Arch
from hwnas.core.errors import DataError
from hwnas.core.space import SearchSpace
from hwnas.models.subnet import subnet_dims
from hwnas.models.supertransformer import SuperTransformer, SuperTransformerConfig
from hwnas.models.transformer import TransformerConfig, TransformerModel
from hwnas.spaces.registry import get_space
from hwnas.train.config import DataConfig, ModelConfig
from hwnas.train.kinds import BuiltModel, ModelKind, SupernetModule, training_for
from hwnas.train.text import PairTask

__all__ = ["HAT_TRAINING", "BuiltModel", "ModelKind", "build_model", "model_from_state"]


class HATTraining:
    """The ``hat`` family: an encoder-decoder on the pairs of a parallel corpus."""

    def check(self, space: SearchSpace, model: ModelConfig) -> None:
        """Every model option applies to the encoder-decoder."""

    def task(self, space: SearchSpace, data: DataConfig) -> PairTask:
        return PairTask(data)

    def build(
        self, *, space: SearchSpace, vocab_size: int, model: ModelConfig, arch: Arch | None, seed: int
    ) -> BuiltModel:
        torch.manual_seed(seed)
        config = SuperTransformerConfig.from_space(
            space,
            vocab_size=vocab_size,
            normalize_before=model.norm == "pre",
            encoder_final_norm=model.encoder_final_norm,
            dropout=model.dropout,
            attention_dropout=model.attention_dropout,
            dropout_scaling=model.dropout_scaling,
        )
        if arch is not None and model.scratch_init == "own-widths":
            space.validate(arch)
            return BuiltModel(TransformerModel(config.subnet_config(subnet_dims(arch, space))), "standalone", space)
        supernet = SuperTransformer(config, space=space)
        if arch is None:
            return BuiltModel(supernet, "supernet", space)
        supernet.set_active_arch(arch)
        return BuiltModel(supernet.extract(), "standalone", space)

    def rebuild(self, *, kind: ModelKind, config_json: str, space: SearchSpace) -> nn.Module:
        if kind == "supernet":
            return SuperTransformer(SuperTransformerConfig.from_json(config_json), space=space)
        return TransformerModel(TransformerConfig.from_json(config_json))


HAT_TRAINING = HATTraining()


def build_model(*, space: SearchSpace, vocab_size: int, model: ModelConfig, arch: Arch | None, seed: int) -> BuiltModel:
    """A freshly initialised supernet (``arch`` None) or standalone model of ``arch`` (seeded: same on every rank)."""
    return training_for(space).build(space=space, vocab_size=vocab_size, model=model, arch=arch, seed=seed)


def model_from_state(
    *, kind: str, config_json: str, space_name: str, state_dict: Mapping[str, torch.Tensor]
) -> BuiltModel:
    """Rebuild a checkpointed model (weights assigned straight from the loaded tensors)."""
    space = get_space(space_name)
    if kind not in ("supernet", "standalone"):
        raise DataError(f"checkpoint model kind {kind!r} is unknown; allowed: supernet, standalone")
    model_kind = cast(ModelKind, kind)
    with torch.device("meta"):  # no throw-away init: every weight comes from the checkpoint
        module = training_for(space).rebuild(kind=model_kind, config_json=config_json, space=space)
    module.load_state_dict(dict(state_dict), assign=True)
    if model_kind == "supernet":
        cast(SupernetModule, module).reset()
    return BuiltModel(module, model_kind, space)
