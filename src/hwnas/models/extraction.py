"""`extract(supernet, arch)`: a standalone `TransformerModel` holding copies of one sub-network's weights.

Its outputs equal the supernet's with that arch active (tested to 1e-5 in fp32), it trains on its own (retraining
a found architecture, HAT's last step) and it saves / loads without the supernet (``TransformerModel.save/load``).
"""

from __future__ import annotations

import torch

from hwnas.core.arch import Arch
from hwnas.models.supertransformer import SuperTransformer
from hwnas.models.transformer import TransformerConfig, TransformerModel


@torch.no_grad()
def extract(supernet: SuperTransformer, arch: Arch) -> TransformerModel:
    """The sub-network ``arch`` of ``supernet`` as a standalone model (same device, dtype and train/eval mode).

    The supernet's active sub-network is left as it was.
    """
    previous = supernet.active_dims
    try:
        supernet.set_active_arch(arch)
        model = supernet.extract()
    finally:
        supernet.set_active(previous)
    return model.train(supernet.training)


__all__ = ["TransformerConfig", "TransformerModel", "extract"]
