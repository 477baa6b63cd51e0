"""`extract(supernet, arch)`: a standalone model holding copies of one sub-network's weights.

A :class:`SuperTransformer` gives a :class:`TransformerModel`, a :class:`GPTSuperNet` a plain :class:`GPTModel`.
Its outputs equal the supernet's with that arch active (tested to 1e-5 in fp32), it trains on its own (retraining
a found architecture, HAT's last step) and it saves / loads without the supernet (``TransformerModel.save/load``).
"""

from __future__ import annotations

from typing import overload

import torch

from hwnas.core.arch import Arch
from hwnas.models.gpt import GPTModel
from hwnas.models.gpt_supernet import GPTSuperNet
from hwnas.models.supertransformer import SuperTransformer
from hwnas.models.transformer import TransformerConfig, TransformerModel


@overload
def extract(supernet: SuperTransformer, arch: Arch) -> TransformerModel: ...


@overload
def extract(supernet: GPTSuperNet, arch: Arch) -> GPTModel: ...


@torch.no_grad()
def extract(supernet: SuperTransformer | GPTSuperNet, arch: Arch) -> TransformerModel | GPTModel:
    """The sub-network ``arch`` of ``supernet`` as a standalone model (same device, dtype and train/eval mode).

    The supernet's active sub-network is left as it was.
    """
    if isinstance(supernet, GPTSuperNet):
        previous_gpt = supernet.active_dims
        try:
            supernet.set_active_arch(arch)
            return supernet.extract().train(supernet.training)
        finally:
            supernet.set_active(previous_gpt)
    previous = supernet.active_dims
    try:
        supernet.set_active_arch(arch)
        model = supernet.extract()
    finally:
        supernet.set_active(previous)
    return model.train(supernet.training)


__all__ = ["TransformerConfig", "TransformerModel", "extract"]
