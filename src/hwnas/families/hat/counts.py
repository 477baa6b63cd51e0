"""Analytic counts of HAT encoder-decoder SubTransformers (family ``hat``), in HAT's own conventions, from the sizes
the family decodes (:mod:`hwnas.families.hat.decode`).

Model (HAT, Wang et al. 2020, post-norm fairseq Transformer): every attention projects its inputs to a fixed
``qkv_dim`` (q, k, v: ``embed -> qkv_dim``, out: ``qkv_dim -> embed``); heads only split ``qkv_dim``, so the number of
heads changes no count. A decoder layer attending to the last ``k`` encoder layers (at most the encoder's depth)
sees them concatenated along the sequence axis, so its encoder-decoder keys/values cover ``k * src_len`` positions
projected from ``encoder_embed_dim``. Positions are sinusoidal (no parameters); one joint vocabulary with tied
embeddings serves encoder input, decoder input and the output projection.

Parameters (``get_sampled_params_numel`` in HAT; matches ``num_parameters_without_embedding_weights`` of all 30
LLM-PP seed archs exactly): all linear weights and biases and all layer norms (2 x width each; 2 per encoder
layer, 3 per decoder layer, no final norm). ``params_embed`` is the tied table counted once at the DECODER width,
``vocab_size * decoder_embed_dim``, which is what HAT reports (``num_embedding_parameters``) even when the
encoder is wider. ``params = params_no_embed + params_embed``.

FLOPs (HAT's ``--profile-flops``): ``2 x`` the MACs that torchprofile traces for ONE sentence (batch 1) of
``src_len`` source and ``tgt_len`` target tokens (30 for WMT, 23 for IWSLT). torchprofile counts
- matmuls: linear layers ``tokens x fan_in x fan_out`` (bias adds not counted), attention scores ``q k^T`` and
  context ``p v`` as ``tgt x src x qkv_dim`` each (the full square: the causal mask saves nothing),
- every elementwise multiply as one MAC per output element: query scaling (``tokens x qkv_dim`` per attention)
  and the embedding scale ``sqrt(d)`` (``tokens x d`` on each side),
- layer norm as one MAC per element;
and nothing for softmax, ReLU, residual or bias adds, masks, dropout. The output projection (``last layer``,
``tgt_len x decoder_embed_dim x vocab_size`` MACs) is included in ``flops`` and also reported apart.
Measured on the 30 LLM-PP seed archs: ``flops_last_layer`` equals ``last_layer_flops`` exactly and ``flops`` is
within 2e-7 of ``total_flops``: torchprofile reports 78 + 6 x decoder_layers more MACs, from small
position / mask bookkeeping ops that are not modelled here.
"""

from __future__ import annotations

from dataclasses import dataclass

from hwnas.core.arch import Arch
from hwnas.core.space import SearchSpace
from hwnas.families._genes import int_constant
from hwnas.families.hat.decode import decode
from hwnas.models.subnet import SubnetDims

# Fallbacks when a hat-family space omits a constant: HAT's WMT'14 En-De set-up.
DEFAULT_QKV_DIM = 512
DEFAULT_VOCAB_SIZE = 32768
DEFAULT_SEQ_LEN = 30


@dataclass(frozen=True)
class Shape:
    """The space constants every count needs."""

    qkv: int
    vocab: int
    src_len: int
    tgt_len: int

    @classmethod
    def of(cls, space: SearchSpace) -> Shape:
        return cls(
            qkv=int_constant(space, "qkv_dim", DEFAULT_QKV_DIM),
            vocab=int_constant(space, "vocab_size", DEFAULT_VOCAB_SIZE),
            src_len=int_constant(space, "src_len", DEFAULT_SEQ_LEN),
            tgt_len=int_constant(space, "tgt_len", DEFAULT_SEQ_LEN),
        )


def encoder_layers_attended(ende_layers: int, encoder_layers: int) -> int:
    """Encoder layers a decoder layer attends to: the decoded ``ende_layers``, at most the encoder's depth."""
    return min(ende_layers, encoder_layers)


def _encoder_layer_params(embed: int, ffn: int, qkv: int) -> int:
    attention = 3 * embed * qkv + 3 * qkv + qkv * embed + embed
    feed_forward = embed * ffn + ffn + ffn * embed + embed
    return attention + feed_forward + 2 * (2 * embed)


def _decoder_layer_params(embed: int, encoder_embed: int, ffn: int, qkv: int) -> int:
    self_attention = 3 * embed * qkv + 3 * qkv + qkv * embed + embed
    cross_attention = embed * qkv + 2 * encoder_embed * qkv + 3 * qkv + qkv * embed + embed
    feed_forward = embed * ffn + ffn + ffn * embed + embed
    return self_attention + cross_attention + feed_forward + 3 * (2 * embed)


def _attention_macs(*, queries: int, keys: int, query_embed: int, key_embed: int, qkv: int) -> int:
    projections = queries * query_embed * qkv + 2 * keys * key_embed * qkv + queries * qkv * query_embed
    scores_and_context = 2 * queries * keys * qkv
    query_scaling = queries * qkv
    return projections + scores_and_context + query_scaling


def _encoder_macs(dims: SubnetDims, shape: Shape) -> int:
    embed, tokens = dims.encoder_embed_dim, shape.src_len
    total = tokens * embed  # embedding scale
    for layer in dims.encoder_layers:
        total += _attention_macs(queries=tokens, keys=tokens, query_embed=embed, key_embed=embed, qkv=shape.qkv)
        total += 2 * tokens * embed * layer.ffn_dim + 2 * tokens * embed  # FFN + 2 layer norms
    return total


def _decoder_macs(dims: SubnetDims, shape: Shape) -> int:
    """Decoder MACs without the output projection."""
    embed, encoder_embed, tokens = dims.decoder_embed_dim, dims.encoder_embed_dim, shape.tgt_len
    total = tokens * embed  # embedding scale
    for layer in dims.decoder_layers:
        keys = shape.src_len * encoder_layers_attended(layer.ende_layers, len(dims.encoder_layers))
        total += _attention_macs(queries=tokens, keys=tokens, query_embed=embed, key_embed=embed, qkv=shape.qkv)
        total += _attention_macs(queries=tokens, keys=keys, query_embed=embed, key_embed=encoder_embed, qkv=shape.qkv)
        total += 2 * tokens * embed * layer.ffn_dim + 3 * tokens * embed  # FFN + 3 layer norms
    return total


def params(dims: SubnetDims, shape: Shape) -> dict[str, int]:
    """``params_no_embed`` and ``params_embed`` in HAT's convention (see the module docstring)."""
    encoder_embed, decoder_embed = dims.encoder_embed_dim, dims.decoder_embed_dim
    no_embed = sum(_encoder_layer_params(encoder_embed, layer.ffn_dim, shape.qkv) for layer in dims.encoder_layers)
    no_embed += sum(
        _decoder_layer_params(decoder_embed, encoder_embed, layer.ffn_dim, shape.qkv) for layer in dims.decoder_layers
    )
    return {"params_no_embed": no_embed, "params_embed": shape.vocab * decoder_embed}


def counts(arch: Arch, space: SearchSpace) -> dict[str, float]:
    """Params and FLOPs/MACs of one ``src_len`` + ``tgt_len`` sentence (batch 1), as HAT reports them."""
    dims, shape = decode(arch, space), Shape.of(space)
    sizes = params(dims, shape)
    encoder, decoder = _encoder_macs(dims, shape), _decoder_macs(dims, shape)
    last_layer = shape.tgt_len * dims.decoder_embed_dim * shape.vocab
    macs = encoder + decoder + last_layer
    return {
        "params": float(sizes["params_no_embed"] + sizes["params_embed"]),
        "params_no_embed": float(sizes["params_no_embed"]),
        "flops": float(2 * macs),
        "macs": float(macs),
        "params_embed": float(sizes["params_embed"]),
        "flops_encoder": float(2 * encoder),
        "flops_decoder": float(2 * (decoder + last_layer)),
        "flops_last_layer": float(2 * last_layer),
        "flops_no_last_layer": float(2 * (encoder + decoder)),
    }
