"""Transformer models: elastic layers, the weight-sharing SuperTransformer, extraction, decoding.

Importing this package imports torch; the rest of hwnas does not need it.
"""

from __future__ import annotations

from hwnas.models.decoding import Hypothesis, beam_search, greedy_decode
from hwnas.models.encdec import DecoderCache, EncoderDecoder, EncoderOut, padding_mask
from hwnas.models.extract import extract
from hwnas.models.subnet import DecoderLayerDims, EncoderLayerDims, SubnetDims
from hwnas.models.supertransformer import SuperTransformer, SuperTransformerConfig
from hwnas.models.transformer import TransformerConfig, TransformerModel
from hwnas.models.vocab import BOS_ID, DECODER_START_ID, EOS_ID, PAD_ID, UNK_ID

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
