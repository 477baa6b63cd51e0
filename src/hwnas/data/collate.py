"""Collate one batch of token-id sequences into right-padded LongTensors (teacher-forcing layout).

Target sequences are expected as the tokenizer encodes them (ending in ``</s>``). The decoder input is the target
shifted right behind a start token, ``</s>`` by default as in fairseq / HAT (:data:`hwnas.models.vocab`): for
``w1 w2 </s>`` the input is ``</s> w1 w2`` and the output ``w1 w2 </s>``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from hwnas.core.errors import DataError
from hwnas.data.tokenizer import EOS_ID, PAD_ID

if TYPE_CHECKING:
    import torch


@dataclass(frozen=True)
class Batch:
    """Padded tensors of one batch; ``indices`` are the pairs' positions in the corpus, in row order."""

    src_tokens: torch.Tensor  # [B, S] long, right-padded with PAD_ID
    src_lengths: torch.Tensor  # [B] long
    tgt_input: torch.Tensor | None  # [B, T] long: decoder start + target[:-1]
    tgt_output: torch.Tensor | None  # [B, T] long: target (ends in </s>)
    indices: torch.Tensor  # [B] long

    @property
    def num_target_tokens(self) -> int:
        return 0 if self.tgt_output is None else int((self.tgt_output != PAD_ID).sum())


def pad_sequences(sequences: Sequence[Sequence[int]], *, pad_id: int = PAD_ID) -> torch.Tensor:
    """[B, max_len] LongTensor, each row a sequence followed by ``pad_id``."""
    import torch

    if any(len(s) == 0 for s in sequences):
        raise DataError("cannot collate an empty token sequence (encode with add_eos=True so every row has </s>)")
    width = max((len(s) for s in sequences), default=0)
    out = torch.full((len(sequences), width), pad_id, dtype=torch.long)
    for row, seq in enumerate(sequences):
        out[row, : len(seq)] = torch.as_tensor(seq, dtype=torch.long)
    return out


def collate(
    src_ids: Sequence[Sequence[int]],
    tgt_ids: Sequence[Sequence[int]] | None,
    indices: Sequence[int],
    *,
    pad_id: int = PAD_ID,
    decoder_start_id: int = EOS_ID,
) -> Batch:
    """Gather ``indices`` from the encoded corpus into a :class:`Batch` (targets optional, for inference)."""
    import torch

    src = [src_ids[i] for i in indices]
    tgt_in = tgt_out = None
    if tgt_ids is not None:
        targets = [tgt_ids[i] for i in indices]
        tgt_out = pad_sequences(targets, pad_id=pad_id)
        tgt_in = pad_sequences([[decoder_start_id, *t[:-1]] for t in targets], pad_id=pad_id)
    return Batch(
        src_tokens=pad_sequences(src, pad_id=pad_id),
        src_lengths=torch.tensor([len(s) for s in src], dtype=torch.long),
        tgt_input=tgt_in,
        tgt_output=tgt_out,
        indices=torch.tensor(list(indices), dtype=torch.long),
    )
