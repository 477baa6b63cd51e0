"""Per-layer features of GPT archs (:class:`~hwnas.bench.archs.ArchArrays`), in blocks a surrogate picks from.

Why these blocks (each is exact structure of the network, not an average that loses it):

- ``counts``: for each (embed_dim, bias) group, an intercept and the number of blocks with each (n_head, mlp_ratio)
  pair. A forward pass runs its blocks one after the other, so for a fixed width its latency, energy and memory are
  close to a sum of per-block costs that depend only on the block's own (heads, ratio): a linear model on these
  counts IS that sum (one cost per block kind and width, plus the embedding / lm_head / launch overhead as the
  intercept). On HW-GPT-Bench's GPU latencies it reaches 0.1-0.7% MAPE.
- ``layers``: for each embed_dim, a one-hot of every layer's n_head and mlp_ratio by POSITION, and of n_layer. A
  weight-sharing supernet's perplexity depends on which layer is how wide (early layers matter more, and their
  shared weights differ by width), which counts cannot see; per embed_dim because each width slices other weights.
- ``analytic``: the gpt family's FLOP counts per component of one ``block_size`` sequence (attention projections,
  attention scores, MLP, lm_head, layer norms; :mod:`hwnas.families.gpt`), n_layer, bias and an intercept: a few
  physically meaningful columns that carry a device with few measured archs (a user's) across widths.
- ``hinges``: per embed_dim, ``max(0, G - knot)`` of the blocks' GFLOPs G at ``HINGE_KNOTS`` knots spread evenly
  over the range the space allows for that width: a piecewise-linear function of the model's size. Board power
  is not additive (it saturates as utilisation grows, and small models leave the GPU in lower clocks), and energy
  is power times time; on P100 power / energy of scale s the hinges cut the error from 6.3-6.5% to 5.9-6.0%.

Every block is built with whole-array operations (one-hot by comparison, counts by ``bincount``), so features of
10^5 archs take milliseconds. ``FEATURE_VERSION`` is part of every cached surrogate's key: change it whenever a
block's columns change meaning, and cached surrogates refit.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from hwnas.bench.archs import ArchArrays, Grid
from hwnas.core.errors import UnknownNameError
from hwnas.families.gpt import ACTIVATION_FLOPS_PER_ELEMENT, LAYER_NORM_FLOPS_PER_ELEMENT

FEATURE_VERSION = 2
BLOCKS = ("counts", "layers", "analytic", "hinges")
GIGA = 1e9
HINGE_KNOTS = 8


def counts_block(a: ArchArrays, grid: Grid) -> np.ndarray:
    """[n, groups * (1 + pairs)]: per (embed, bias) group an intercept and the count of each (heads, ratio) pair."""
    n, pairs = len(a), len(grid.heads) * len(grid.ratios)
    pair = a.heads * len(grid.ratios) + a.ratios  # [n, L] pair index
    owner = np.broadcast_to(np.arange(n)[:, None], pair.shape)  # [n, L]
    cells = np.bincount((owner * pairs + pair)[a.mask], minlength=n * pairs).reshape(n, pairs)  # [n, pairs]
    group = a.embed * 2 + a.bias.astype(np.int64)  # [n]
    out = np.zeros((n, len(grid.embed) * 2, 1 + pairs))  # [n, groups, 1 + pairs]
    out[np.arange(n), group, 0] = 1.0
    out[np.arange(n), group, 1:] = cells
    return out.reshape(n, -1)


def layers_block(a: ArchArrays, grid: Grid) -> np.ndarray:
    """[n, embeds * (L * (heads + ratios) + layer choices)]: per embed_dim, per-position one-hots and n_layer's."""
    n = len(a)
    heads = (a.heads[:, :, None] == np.arange(len(grid.heads))) & a.mask[:, :, None]  # [n, L, H]
    ratios = (a.ratios[:, :, None] == np.arange(len(grid.ratios))) & a.mask[:, :, None]  # [n, L, R]
    layers = a.n_layer[:, None] == np.asarray(grid.layers)  # [n, choices]
    inner = np.hstack([heads.reshape(n, -1), ratios.reshape(n, -1), layers]).astype(np.float64)  # [n, k]
    out = np.zeros((n, len(grid.embed), inner.shape[1]))  # [n, embeds, k]
    out[np.arange(n), a.embed] = inner
    return out.reshape(n, -1)


def flop_components(a: ArchArrays, grid: Grid) -> dict[str, np.ndarray]:
    """FLOPs of one ``block_size`` sequence per component, [n] each, in the gpt family's (DeepSpeed's) convention;
    all but ``attention_scores`` (which DeepSpeed does not count) sum to ``hwnas.families.gpt.counts``' flops."""
    embed = np.asarray(grid.embed, dtype=np.float64)[a.embed]  # [n]
    width = (np.asarray(grid.heads, dtype=np.float64)[a.heads] * grid.head_size) * a.mask  # [n, L] attention width
    hidden = np.asarray(grid.ratios, dtype=np.float64)[a.ratios] * embed[:, None] * a.mask  # [n, L] MLP hidden
    tokens = float(grid.block_size)
    return {
        "attention": 2 * tokens * 4 * embed * width.sum(axis=1),  # qkv (d -> 3H) + out projection (H -> d)
        "attention_scores": 2 * 2 * tokens * tokens * width.sum(axis=1),  # QK^T and AV, not counted by DeepSpeed
        "mlp": (2 * 3 * embed + ACTIVATION_FLOPS_PER_ELEMENT) * tokens * hidden.sum(axis=1),  # gated MLP + SiLU
        "lm_head": 2 * tokens * embed * grid.vocab_size,
        "norms": LAYER_NORM_FLOPS_PER_ELEMENT * tokens * embed * (2 * a.n_layer + 1),
    }


def analytic_block(a: ArchArrays, grid: Grid) -> np.ndarray:
    """[n, 8]: intercept, bias, n_layer and the five FLOP components (GFLOPs)."""
    parts = flop_components(a, grid)
    columns = [np.ones(len(a)), a.bias.astype(np.float64), a.n_layer.astype(np.float64)]
    return np.column_stack(columns + [parts[k] / GIGA for k in sorted(parts)])


def _block_gflops_range(grid: Grid, embed: int) -> tuple[float, float]:
    """(smallest, largest) attention + MLP GFLOPs of the blocks of an arch of width ``embed``."""

    def per_block(heads: int, ratio: int) -> float:
        width, hidden = heads * grid.head_size, ratio * embed
        return (
            grid.block_size * (2 * 4 * embed * width + (2 * 3 * embed + ACTIVATION_FLOPS_PER_ELEMENT) * hidden) / GIGA
        )

    low = min(grid.layers) * per_block(min(grid.heads), min(grid.ratios))
    return low, max(grid.layers) * per_block(max(grid.heads), max(grid.ratios))


def hinges_block(a: ArchArrays, grid: Grid) -> np.ndarray:
    """[n, embeds * HINGE_KNOTS]: per embed_dim, max(0, G - knot) of the blocks' GFLOPs G (0 for other widths)."""
    parts = flop_components(a, grid)
    size = (parts["attention"] + parts["mlp"]) / GIGA  # [n]
    out = np.zeros((len(a), len(grid.embed), HINGE_KNOTS))  # [n, embeds, knots]
    steps = np.arange(1, HINGE_KNOTS + 1) / (HINGE_KNOTS + 1)  # [knots]
    for e, embed in enumerate(grid.embed):
        low, high = _block_gflops_range(grid, embed)
        rows = a.embed == e
        out[rows, e] = np.maximum(0.0, size[rows, None] - (low + (high - low) * steps)[None, :])
    return out.reshape(len(a), -1)


_BUILDERS = {"counts": counts_block, "layers": layers_block, "analytic": analytic_block, "hinges": hinges_block}


def check_blocks(blocks: Sequence[str]) -> None:
    for block in blocks:
        if block not in _BUILDERS:
            raise UnknownNameError("feature block", block, list(BLOCKS))


def features(a: ArchArrays, grid: Grid, blocks: Sequence[str]) -> np.ndarray:
    """[n, p] float64: the named blocks side by side, in the order given."""
    check_blocks(blocks)
    return np.hstack([_BUILDERS[b](a, grid) for b in blocks]) if blocks else np.zeros((len(a), 0))


def penalised_columns(grid: Grid, blocks: Sequence[str], shrunk: Sequence[str]) -> np.ndarray:
    """[p] bool: the columns of :func:`features` that belong to a block in ``shrunk`` (all when it is empty)."""
    if not shrunk:
        return np.ones(len(feature_names(grid, blocks)), dtype=bool)
    return np.concatenate([np.full(len(feature_names(grid, [b])), b in shrunk) for b in blocks])


def feature_names(grid: Grid, blocks: Sequence[str]) -> list[str]:
    """One name per column of :func:`features` (for inspection and for fitting other models on the same columns)."""
    check_blocks(blocks)
    names: list[str] = []
    pairs = [f"h{h}_r{r}" for h in grid.heads for r in grid.ratios]
    for block in blocks:
        if block == "counts":
            names += [f"d{d}_b{b}_{c}" for d in grid.embed for b in (0, 1) for c in ["one", *pairs]]
        elif block == "layers":
            inner = [f"layer{i}_h{h}" for i in range(grid.max_layers) for h in grid.heads]
            inner += [f"layer{i}_r{r}" for i in range(grid.max_layers) for r in grid.ratios]
            inner += [f"n_layer{n}" for n in grid.layers]
            names += [f"d{d}_{c}" for d in grid.embed for c in inner]
        elif block == "hinges":
            names += [f"d{d}_gflops_above_knot{k}" for d in grid.embed for k in range(1, HINGE_KNOTS + 1)]
        else:
            parts = sorted(["attention", "attention_scores", "mlp", "lm_head", "norms"])
            names += ["one", "bias", "n_layer"] + [f"gflops_{p}" for p in parts]
    return names
