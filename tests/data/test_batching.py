"""Token-bucketed batching (known values + invariants) and collation into padded tensors."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from hwnas.core.errors import ConfigError, DataError
from hwnas.data.batching import length_filter, padded_tokens, token_batches
from hwnas.data.collate import collate, pad_sequences
from hwnas.data.tokenizer import BOS_ID, EOS_ID, PAD_ID

SRC = [3, 1, 4, 1, 5, 9, 2, 6]
TGT = [2, 7, 1, 8, 2, 8, 1, 8]  # widths max(src, tgt) = 3 7 4 8 5 9 2 8


def test_known_batches() -> None:
    assert token_batches(SRC, TGT, max_tokens=16) == [[6, 0, 2], [4, 1], [3, 7], [5]]


def test_max_positions_drops_long_pairs() -> None:
    assert token_batches(SRC, TGT, max_tokens=16, max_positions=8) == [[6, 0, 2], [4, 1], [3, 7]]
    assert length_filter(SRC, TGT, max_positions=4).tolist() == [0, 2, 6]


def test_max_sentences_caps_batch_size() -> None:
    assert token_batches(SRC, TGT, max_tokens=16, max_sentences=2) == [[6, 0], [2, 4], [1, 3], [7], [5]]


def test_pair_longer_than_budget_is_an_error() -> None:
    with pytest.raises(DataError, match="pair 5 has 9 tokens, more than max_tokens=8"):
        token_batches(SRC, TGT, max_tokens=8)
    with pytest.raises(ConfigError):
        token_batches(SRC, TGT, max_tokens=0)
    with pytest.raises(DataError, match="both must be 1-D and equal"):
        token_batches(SRC, TGT[:-1], max_tokens=16)


def test_invariants_on_random_lengths() -> None:
    lengths = np.random.default_rng(0).integers(1, 60, size=(2, 2000))
    src, tgt = lengths
    sorted_batches = token_batches(src, tgt, max_tokens=512)
    assert sorted(i for b in sorted_batches for i in b) == list(range(2000))
    assert all(padded_tokens(b, src, tgt) <= 512 for b in sorted_batches)
    widths = [int(max(src[i], tgt[i])) for b in sorted_batches for i in b]
    assert widths == sorted(widths)  # without a Generator, batches come in length order
    # greedy cut: adding the next pair to any batch would have broken the budget
    for batch, following in itertools.pairwise(sorted_batches):
        assert padded_tokens([*batch, following[0]], src, tgt) > 512
    first = token_batches(src, tgt, max_tokens=512, rng=np.random.default_rng(1))
    again = token_batches(src, tgt, max_tokens=512, rng=np.random.default_rng(1))
    other = token_batches(src, tgt, max_tokens=512, rng=np.random.default_rng(2))
    assert first == again != other
    assert sorted(map(tuple, first)) == sorted(map(tuple, sorted_batches))  # shuffling moves batches, not pairs


def test_collate_pads_and_shifts_targets() -> None:
    e = EOS_ID
    src_ids = [[5, 6, e], [7, e]]
    tgt_ids = [[8, 9, e], [e]]
    batch = collate(src_ids, tgt_ids, [1, 0])
    assert batch.src_tokens.tolist() == [[7, e, PAD_ID], [5, 6, e]]
    assert batch.src_lengths.tolist() == [2, 3]
    assert batch.tgt_output is not None and batch.tgt_input is not None
    assert batch.tgt_output.tolist() == [[e, PAD_ID, PAD_ID], [8, 9, e]]
    assert batch.tgt_input.tolist() == [[e, PAD_ID, PAD_ID], [e, 8, 9]]  # fairseq: </s> starts the decoder
    assert batch.indices.tolist() == [1, 0]
    assert batch.num_target_tokens == 4
    assert str(batch.src_tokens.dtype) == "torch.int64"


def test_collate_without_targets_and_empty_rows() -> None:
    batch = collate([[4, EOS_ID]], None, [0])
    assert batch.tgt_input is None and batch.num_target_tokens == 0
    with_bos = collate([[4]], [[5, EOS_ID]], [0], decoder_start_id=BOS_ID)
    assert with_bos.tgt_input is not None and with_bos.tgt_input.tolist() == [[BOS_ID, 5]]
    with pytest.raises(DataError, match="empty token sequence"):
        pad_sequences([[1], []])
