"""Building the network a run trains, and rebuilding it from a checkpoint.

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

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

import torch
from torch import nn

from hwnas.core.arch import Arch
from hwnas.core.errors import DataError
from hwnas.core.space import SearchSpace
from hwnas.models.subnet import subnet_dims
from hwnas.models.supertransformer import SuperTransformer, SuperTransformerConfig
from hwnas.models.transformer import TransformerConfig, TransformerModel
from hwnas.spaces.registry import get_space
from hwnas.train.config import ModelConfig

ModelKind = Literal["supernet", "standalone"]


@dataclass
class BuiltModel:
    """The trained module and how to switch its subnet (a no-op for a standalone model)."""

    module: nn.Module
    kind: ModelKind
    space: SearchSpace

    def activate(self, arch: Arch) -> None:
        if isinstance(self.module, SuperTransformer):
            self.module.set_active_arch(arch)

    def config_json(self) -> str:
        return str(self.module.config.to_json())  # type: ignore[union-attr,operator]


def build_model(*, space: SearchSpace, vocab_size: int, model: ModelConfig, arch: Arch | None, seed: int) -> BuiltModel:
    """A freshly initialised supernet (``arch`` None) or standalone model of ``arch`` (seeded: same on every rank)."""
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


def model_from_state(
    *, kind: str, config_json: str, space_name: str, state_dict: Mapping[str, torch.Tensor]
) -> BuiltModel:
    """Rebuild a checkpointed model (weights assigned straight from the loaded tensors)."""
    space = get_space(space_name)
    factory: Callable[[], nn.Module]
    if kind == "supernet":
        sconfig = SuperTransformerConfig.from_json(config_json)

        def factory() -> nn.Module:
            return SuperTransformer(sconfig, space=space)
    elif kind == "standalone":
        tconfig = TransformerConfig.from_json(config_json)

        def factory() -> nn.Module:
            return TransformerModel(tconfig)
    else:
        raise DataError(f"checkpoint model kind {kind!r} is unknown; allowed: supernet, standalone")
    with torch.device("meta"):
        module = factory()
    module.load_state_dict(dict(state_dict), assign=True)
    if isinstance(module, SuperTransformer):
        module.reset()
    return BuiltModel(module, kind, space)  # type: ignore[arg-type]
