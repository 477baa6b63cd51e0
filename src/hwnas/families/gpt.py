"""The ``gpt`` family: HW-GPT-Bench's decoder-only GPT subnets (scales s / m / l), in HW-GPT-Bench's conventions:
decoding, analytic counts, the ``lm-forward`` measurement protocol and the collected-dataset columns.

Decoding reads the genes (``embed_dim``, per-block ``n_head`` and ``mlp_ratio``, ``bias``) and the space's constants
(``head_size``, ``vocab_size``, ``block_size``) into a :class:`~hwnas.models.gpt_config.GPTConfig`, the network
:class:`hwnas.models.gpt.GPTModel` builds and the counts below count.

Counts (fitted exactly to ``params_ds`` / ``macs_ds`` / ``flops_ds`` of the HW-GPT-Bench tables, all three scales,
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

Protocol ``lm-forward`` (HW-GPT-Bench's setting): one forward pass of a ``batch x seq_len`` batch through
:class:`hwnas.models.gpt.GPTModel` (random weights), wall-clock; ``seq_len`` is the space's ``block_size`` and the
batch HW-GPT-Bench's for the scale. A collected dataset has params, FLOPs and the forward pass's statistics.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hwnas.contracts.family import Counter, GraphEncoding, SpaceFamily
from hwnas.core.arch import Arch
from hwnas.core.space import SearchSpace
from hwnas.families._genes import GeneReader, int_constant
from hwnas.hardware.settings import MeasureSettings, with_defaults
from hwnas.models.gpt_config import DEFAULT_BLOCK_SIZE, DEFAULT_HEAD_SIZE, DEFAULT_VOCAB_SIZE, GPTConfig

if TYPE_CHECKING:
    from torch import nn

    from hwnas.hardware.timing import TimedPhase

LAYER_NORM_FLOPS_PER_ELEMENT = 5  # DeepSpeed: mean, variance, normalise, scale, shift
ACTIVATION_FLOPS_PER_ELEMENT = 1


def decode(arch: Arch, space: SearchSpace) -> GPTConfig:
    """The config of an arch valid in ``space`` (validate it first); constants from the space."""
    g = GeneReader(arch)
    return GPTConfig(
        vocab_size=int_constant(space, "vocab_size", DEFAULT_VOCAB_SIZE),
        embed_dim=g.scalar("embed_dim"),
        n_head=g.layers("n_head"),
        mlp_ratio=g.layers("mlp_ratio"),
        bias=g.flag("bias"),
        head_size=int_constant(space, "head_size", DEFAULT_HEAD_SIZE),
        block_size=int_constant(space, "block_size", DEFAULT_BLOCK_SIZE),
    )


def _block_params(*, embed: int, attention_width: int, mlp_hidden: int, bias: bool) -> int:
    attention = 3 * embed * attention_width + attention_width * embed
    mlp = 3 * embed * mlp_hidden
    norms = 2 * (2 * embed)
    biases = (3 * attention_width + embed) + (2 * mlp_hidden + embed) if bias else 0
    return attention + mlp + norms + biases


def counts(arch: Arch, space: SearchSpace) -> dict[str, float]:
    """Params of the subnet and FLOPs/MACs of one ``block_size``-token sequence (batch 1), as HW-GPT-Bench counts."""
    config = decode(arch, space)
    embed, vocab, tokens = config.embed_dim, config.vocab_size, config.block_size
    widths = [config.head_size * heads for heads in config.n_head]
    hiddens = [ratio * embed for ratio in config.mlp_ratio]

    blocks = sum(
        _block_params(embed=embed, attention_width=w, mlp_hidden=m, bias=config.bias)
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


# HW-GPT-Bench measured one forward pass of batch 8 / 4 / 1 sequences of block_size tokens on scale s / m / l.
HWGPT_BATCH = {"gpt-s": 8, "gpt-m": 4, "gpt-l": 1}


class LMForwardProtocol:
    name = "lm-forward"
    phases = ("forward",)
    required_settings = ("seq_len",)

    def default_settings(self, space: SearchSpace, **overrides: Any) -> MeasureSettings:
        values: dict[str, Any] = {
            "protocol": self.name,
            "seq_len": int(space.constants.get("block_size", 1024)),
            "batch": HWGPT_BATCH.get(space.name, 1),
        }
        return with_defaults(values, overrides)

    def build(self, arch: Arch, space: SearchSpace) -> nn.Module:
        from hwnas.models.gpt import GPTModel

        space.validate(arch)
        return GPTModel(decode(arch, space))

    def run_phases(self, model: nn.Module, space: SearchSpace, settings: MeasureSettings) -> dict[str, TimedPhase]:
        import torch

        from hwnas.hardware.protocols import random_tokens, timed

        assert settings.seq_len
        device = next(model.parameters()).device
        generator = torch.Generator().manual_seed(settings.seed)
        vocab = int(space.constants.get("vocab_size", 50254))
        tokens = random_tokens((settings.batch, settings.seq_len), vocab, generator, device)  # [B,T]
        return {"forward": timed(lambda: model(tokens), settings, device)}


class ForwardColumns:
    """Params and FLOPs, then the forward pass's statistics."""

    columns = ("params", "flops", "latency_mean", "latency_median", "latency_std", "latency_min")

    def arch_values(self, arch: Arch, space: SearchSpace) -> dict[str, float]:
        size = counts(arch, space)
        return {"params": size["params"], "flops": size["flops"]}


class GPTFamily:
    name = "gpt"
    protocol = LMForwardProtocol()
    dataset = ForwardColumns()
    graph: GraphEncoding | None = None

    def decode(self, arch: Arch, space: SearchSpace) -> GPTConfig:
        return decode(arch, space)

    @property
    def counts(self) -> Counter:
        return counts


FAMILY: SpaceFamily = GPTFamily()
