"""Analytic metrics of HW-GPT-Bench decoder-only subnets (family ``gpt``), in HW-GPT-Bench's conventions.

Model (fitted exactly to ``params_ds`` / ``macs_ds`` / ``flops_ds`` of the HW-GPT-Bench tables, all three scales,
biased and bias-free): a litgpt-style GPT with rotary positions (no position table), a token embedding and a
separate, UNTIED ``lm_head`` (no bias), both of ``vocab_size`` = 50,254 rows (not the padded 50,304), pre-norm
LayerNorms with weight and bias (2 per block + 1 final; their bias does not follow the ``bias`` gene), and per
block ``i``:
- attention width ``H_i = head_size x n_head[i]`` (independent of ``embed_dim``): fused qkv ``d -> 3 H_i`` and
  out projection ``H_i -> d``;
- a LLaMA-style gated MLP of hidden size ``M_i = mlp_ratio[i] x d``: ``fc_1``, ``fc_2`` (``d -> M_i``) and
  ``proj`` (``M_i -> d``);
- with ``bias`` true every linear layer of the block has a bias.

Parameters: ``params`` counts everything above. ``params_embed`` is the token-embedding table only
(``vocab_size x d``); ``params_no_embed`` keeps the untied ``lm_head`` (also reported as ``params_lm_head``).

FLOPs / MACs: DeepSpeed FlopsProfiler's counts for ONE sequence of ``block_size`` (1024) tokens (the tables hold
them for a batch of 8 / 4 / 1 sequences on scale s / m / l; divide by that batch to compare). MACs are the linear
layers only (``tokens x fan_in x fan_out``, lm_head included, bias adds not counted); the attention products
(``scaled_dot_product_attention``) and softmax are NOT counted, as in the reference. FLOPs = 2 x MACs + 5 FLOPs
per layer-norm element + 1 FLOP per activation (SiLU) element of each MLP hidden layer.
"""

from __future__ import annotations

from hwnas.core.arch import Arch
from hwnas.core.space import SearchSpace
from hwnas.metrics._common import int_constant, int_gene, int_layers

# Fallbacks when a gpt-family space omits a constant: HW-GPT-Bench's GPT-2 tokenizer set-up.
DEFAULT_HEAD_SIZE = 64
DEFAULT_VOCAB_SIZE = 50254
DEFAULT_BLOCK_SIZE = 1024

LAYER_NORM_FLOPS_PER_ELEMENT = 5  # DeepSpeed: mean, variance, normalise, scale, shift
ACTIVATION_FLOPS_PER_ELEMENT = 1


def _block_params(*, embed: int, attention_width: int, mlp_hidden: int, bias: bool) -> int:
    attention = 3 * embed * attention_width + attention_width * embed
    mlp = 3 * embed * mlp_hidden
    norms = 2 * (2 * embed)
    biases = (3 * attention_width + embed) + (2 * mlp_hidden + embed) if bias else 0
    return attention + mlp + norms + biases


def gpt_metrics(arch: Arch, space: SearchSpace) -> dict[str, float]:
    """Params of the subnet and FLOPs/MACs of one ``block_size``-token sequence (batch 1), as HW-GPT-Bench counts."""
    head_size = int_constant(space, "head_size", DEFAULT_HEAD_SIZE)
    vocab = int_constant(space, "vocab_size", DEFAULT_VOCAB_SIZE)
    tokens = int_constant(space, "block_size", DEFAULT_BLOCK_SIZE)
    embed, bias = int_gene(arch, "embed_dim"), bool(arch["bias"])
    widths = [head_size * heads for heads in int_layers(arch, "n_head")]
    hiddens = [ratio * embed for ratio in int_layers(arch, "mlp_ratio")]

    blocks = sum(
        _block_params(embed=embed, attention_width=w, mlp_hidden=m, bias=bias)
        for w, m in zip(widths, hiddens, strict=True)
    )
    embedding = lm_head = vocab * embed
    no_embed = blocks + 2 * embed + lm_head  # + final layer norm

    block_macs = sum(4 * embed * w + 3 * embed * m for w, m in zip(widths, hiddens, strict=True))
    macs = tokens * (block_macs + embed * vocab)
    norm_elements = tokens * embed * (2 * len(widths) + 1)
    activation_elements = tokens * sum(hiddens)
    flops = 2 * macs + LAYER_NORM_FLOPS_PER_ELEMENT * norm_elements + ACTIVATION_FLOPS_PER_ELEMENT * activation_elements
    return {
        "params": float(no_embed + embedding),
        "params_no_embed": float(no_embed),
        "flops": float(flops),
        "macs": float(macs),
        "params_embed": float(embedding),
        "params_lm_head": float(lm_head),
        "flops_lm_head": float(2 * tokens * embed * vocab),
    }
