"""Transformer models: elastic layers, the weight-sharing SuperTransformer and GPT supernet, extraction, decoding.

The names below are imported on first use, so the model-config types (:mod:`hwnas.models.subnet`,
:mod:`hwnas.models.gpt_config`), which the space families decode archs into, come without torch; the models
themselves import it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hwnas.models.decoding import Hypothesis, beam_search, greedy_decode
    from hwnas.models.encdec import DecoderCache, EncoderDecoder, EncoderOut, padding_mask
    from hwnas.models.extraction import extract
    from hwnas.models.gpt import GPTModel
    from hwnas.models.gpt_config import GPTConfig
    from hwnas.models.gpt_supernet import GPTSuperNet
    from hwnas.models.subnet import DecoderLayerDims, EncoderLayerDims, SubnetDims
    from hwnas.models.supernet_config import SuperTransformerConfig
    from hwnas.models.supertransformer import SuperTransformer
    from hwnas.models.transformer import TransformerConfig, TransformerModel
    from hwnas.models.vocab import BOS_ID, DECODER_START_ID, EOS_ID, PAD_ID, UNK_ID

_EXPORTS = {
    **dict.fromkeys(("Hypothesis", "beam_search", "greedy_decode"), "hwnas.models.decoding"),
    **dict.fromkeys(("DecoderCache", "EncoderDecoder", "EncoderOut", "padding_mask"), "hwnas.models.encdec"),
    "extract": "hwnas.models.extraction",
    "GPTConfig": "hwnas.models.gpt_config",
    "GPTModel": "hwnas.models.gpt",
    "GPTSuperNet": "hwnas.models.gpt_supernet",
    **dict.fromkeys(("DecoderLayerDims", "EncoderLayerDims", "SubnetDims"), "hwnas.models.subnet"),
    "SuperTransformer": "hwnas.models.supertransformer",
    "SuperTransformerConfig": "hwnas.models.supernet_config",
    **dict.fromkeys(("TransformerConfig", "TransformerModel"), "hwnas.models.transformer"),
    **dict.fromkeys(("BOS_ID", "DECODER_START_ID", "EOS_ID", "PAD_ID", "UNK_ID"), "hwnas.models.vocab"),
}

__all__ = [
    "BOS_ID",
    "DECODER_START_ID",
    "EOS_ID",
    "PAD_ID",
    "UNK_ID",
    "DecoderCache",
    "DecoderLayerDims",
    "EncoderDecoder",
    "EncoderLayerDims",
    "EncoderOut",
    "GPTConfig",
    "GPTModel",
    "GPTSuperNet",
    "Hypothesis",
    "SubnetDims",
    "SuperTransformer",
    "SuperTransformerConfig",
    "TransformerConfig",
    "TransformerModel",
    "beam_search",
    "extract",
    "greedy_decode",
    "padding_mask",
]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'hwnas.models' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
