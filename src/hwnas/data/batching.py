"""Token-bucketed batching: group sentence pairs of similar length so padding wastes little compute.

A batch's size is its padded token count: ``n * max(len)`` where the max runs over the source and target lengths of
its ``n`` pairs, i.e. each side's padded tensor holds at most ``max_tokens`` tokens (fairseq's ``--max-tokens``).
Pairs are sorted by length, cut greedily into batches under that budget, and the batch order is shuffled with an
explicit Generator (none -> sorted order, for evaluation). Returns index lists; :mod:`hwnas.data.collate` turns one
into padded tensors.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from hwnas.core.errors import ConfigError, DataError


def length_filter(
    src_lengths: Sequence[int] | np.ndarray, tgt_lengths: Sequence[int] | np.ndarray, *, max_positions: int | None
) -> np.ndarray:
    """Indices of pairs whose both sides fit in ``max_positions`` (all pairs when it is None)."""
    src, tgt = _as_lengths(src_lengths, tgt_lengths)
    if max_positions is None:
        return np.arange(len(src))
    if max_positions < 1:
        raise ConfigError(f"max_positions is {max_positions}; it must be >= 1 (or None for no filter)")
    return np.flatnonzero((src <= max_positions) & (tgt <= max_positions))


def _as_lengths(
    src_lengths: Sequence[int] | np.ndarray, tgt_lengths: Sequence[int] | np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    src = np.asarray(src_lengths, dtype=np.int64)
    tgt = np.asarray(tgt_lengths, dtype=np.int64)
    if src.shape != tgt.shape or src.ndim != 1:
        raise DataError(f"src_lengths has shape {src.shape} and tgt_lengths {tgt.shape}; both must be 1-D and equal")
    return src, tgt


def token_batches(
    src_lengths: Sequence[int] | np.ndarray,
    tgt_lengths: Sequence[int] | np.ndarray,
    *,
    max_tokens: int,
    rng: np.random.Generator | None = None,
    max_positions: int | None = None,
    max_sentences: int | None = None,
) -> list[list[int]]:
    """Batches of pair indices, each with ``len(batch) * max(src, tgt lengths) <= max_tokens``.

    Pairs longer than ``max_positions`` are left out; a pair that alone exceeds ``max_tokens`` is an error (raise
    ``max_tokens`` or filter with ``max_positions``). ``max_sentences`` optionally caps pairs per batch.
    """
    if max_tokens < 1:
        raise ConfigError(f"max_tokens is {max_tokens}; it must be >= 1")
    if max_sentences is not None and max_sentences < 1:
        raise ConfigError(f"max_sentences is {max_sentences}; it must be >= 1 (or None for no cap)")
    src, tgt = _as_lengths(src_lengths, tgt_lengths)
    kept = length_filter(src, tgt, max_positions=max_positions)
    width = np.maximum(src, tgt)
    order = kept[np.lexsort((kept, tgt[kept], src[kept], width[kept]))]  # primary key: width, then src, tgt, index
    too_long = order[width[order] > max_tokens]
    if too_long.size:
        first = int(too_long[0])
        raise DataError(
            f"pair {first} has {int(width[first])} tokens, more than max_tokens={max_tokens} "
            f"({too_long.size} such pairs); raise max_tokens or set max_positions to filter them"
        )
    batches = _greedy_cut(order, width, max_tokens=max_tokens, max_sentences=max_sentences)
    if rng is not None:
        batches = [batches[i] for i in rng.permutation(len(batches))]
    return batches


def _greedy_cut(order: np.ndarray, width: np.ndarray, *, max_tokens: int, max_sentences: int | None) -> list[list[int]]:
    """Cut length-sorted indices into consecutive batches under the padded-token budget."""
    cap = max_sentences if max_sentences is not None else len(order) + 1
    batches: list[list[int]] = []
    current: list[int] = []
    current_width = 0
    for index in order.tolist():
        new_width = max(current_width, int(width[index]))
        if current and (new_width * (len(current) + 1) > max_tokens or len(current) >= cap):
            batches.append(current)
            current, new_width = [], int(width[index])
        current.append(index)
        current_width = new_width
    if current:
        batches.append(current)
    return batches


def padded_tokens(batch: Sequence[int], src_lengths: Sequence[int], tgt_lengths: Sequence[int]) -> int:
    """The budgeted size of a batch: ``len(batch) * max(src, tgt lengths)`` (what ``max_tokens`` bounds)."""
    if not batch:
        return 0
    return len(batch) * max(max(int(src_lengths[i]), int(tgt_lengths[i])) for i in batch)
