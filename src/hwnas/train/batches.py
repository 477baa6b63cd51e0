"""Collated batches and the deterministic batch stream of a training run.

The stream's position is two integers (epoch, batches consumed in it); each epoch's batch order is rebuilt from
``(seed, epoch)``, so a checkpoint stores the data-iterator position exactly and a resumed run sees the very batches
an uninterrupted run would. Each step takes ``world_size * grad_accum`` consecutive batches of the global order;
rank r trains on its slice, so one process with ``grad_accum * world_size`` micro-batches sees the same data.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import chain

import numpy as np
import torch
from torch import Tensor, nn

from hwnas.models.vocab import DECODER_START_ID, PAD_ID

BatchMaker = Callable[[np.random.Generator], Sequence[Sequence[int]]]  # shuffled index batches of one epoch


@dataclass(frozen=True)
class Batch:
    """One teacher-forced batch (right-padded with PAD_ID)."""

    src_tokens: Tensor  # [B,S]
    src_padding_mask: Tensor | None  # [B,S] True at pads; None when nothing is padded
    prev_output_tokens: Tensor  # [B,T] = DECODER_START + target[:-1]
    target: Tensor  # [B,T], ends with EOS
    num_target_tokens: int  # non-pad target tokens

    num_source_tokens: int = 0  # non-pad source tokens

    @property
    def num_tokens(self) -> int:
        """Source + target tokens, padding excluded (what tokens/s counts)."""
        return self.num_source_tokens + self.num_target_tokens

    def logits(self, model: nn.Module) -> Tensor:
        """The encoder-decoder's teacher-forced logits [B,T,V] for this batch."""
        out: Tensor = model(self.src_tokens, self.src_padding_mask, self.prev_output_tokens)
        return out

    def to(self, device: torch.device) -> Batch:
        blocking = device.type != "cuda"
        mask = None if self.src_padding_mask is None else self.src_padding_mask.to(device, non_blocking=not blocking)
        return Batch(
            src_tokens=self.src_tokens.to(device, non_blocking=not blocking),
            src_padding_mask=mask,
            prev_output_tokens=self.prev_output_tokens.to(device, non_blocking=not blocking),
            target=self.target.to(device, non_blocking=not blocking),
            num_target_tokens=self.num_target_tokens,
            num_source_tokens=self.num_source_tokens,
        )


class PackedSequences:
    """Token-id sequences stored flat (one int array + offsets) so a batch is padded with a few vectorised numpy
    operations instead of a Python loop over its rows."""

    def __init__(self, sequences: Sequence[Sequence[int]]) -> None:
        self.lengths = np.fromiter((len(s) for s in sequences), dtype=np.int64, count=len(sequences))
        if len(sequences) and int(self.lengths.min()) == 0:
            raise ValueError("cannot pack an empty sequence (every encoded sentence ends with EOS)")
        self.offsets = np.concatenate([[0], np.cumsum(self.lengths)[:-1]]).astype(np.int64)
        self.flat = np.fromiter(chain.from_iterable(sequences), dtype=np.int64, count=int(self.lengths.sum()))

    def __len__(self) -> int:
        return len(self.lengths)

    def padded(self, indices: Sequence[int] | np.ndarray, *, shift_in: int | None = None) -> np.ndarray:
        """[B, max len] right-padded with PAD_ID; ``shift_in`` prepends that id and drops each row's last token
        (the teacher-forcing decoder input)."""
        rows = np.asarray(indices, dtype=np.int64)
        lengths = self.lengths[rows]  # [B]
        columns = np.arange(int(lengths.max()))[None, :]  # [1,W]
        keep = columns < lengths[:, None]  # [B,W]
        start = self.offsets[rows][:, None] + columns - (1 if shift_in is not None else 0)  # [B,W]
        out = np.where(keep, self.flat[np.clip(start, 0, max(len(self.flat) - 1, 0))], PAD_ID)
        if shift_in is not None:
            out[:, 0] = shift_in
        return out


def collate_packed(src: PackedSequences, tgt: PackedSequences, indices: Sequence[int] | np.ndarray) -> Batch:
    """The :class:`Batch` of pairs ``indices`` (each sequence already ends with EOS). Built in numpy: small torch
    ops on the host pay thread-pool overheads that cost more than the work."""
    rows = np.asarray(indices, dtype=np.int64)
    source = src.padded(rows)  # [B,S]
    prev = tgt.padded(indices, shift_in=DECODER_START_ID)  # [B,T], fairseq's move-EOS-to-front
    mask = source == PAD_ID
    return Batch(
        src_tokens=torch.from_numpy(source),
        src_padding_mask=torch.from_numpy(mask) if mask.any() else None,
        prev_output_tokens=torch.from_numpy(prev),
        target=torch.from_numpy(tgt.padded(indices)),
        num_target_tokens=int(tgt.lengths[rows].sum()),
        num_source_tokens=int(src.lengths[rows].sum()),
    )


def collate(sources: Sequence[Sequence[int]], targets: Sequence[Sequence[int]]) -> Batch:
    """Pad source and target id lists (each already ending with EOS) into a :class:`Batch`."""
    return collate_packed(PackedSequences(sources), PackedSequences(targets), np.arange(len(sources)))


class BatchStream:
    """Endless, reproducible sequence of index batches over a training set, cut into per-step groups."""

    def __init__(self, *, make_batches: BatchMaker, seed: int, batches_per_step: int) -> None:
        self.make_batches, self.seed = make_batches, seed
        self.batches_per_step = batches_per_step
        self.epoch, self.position = 0, 0
        self._order: Sequence[Sequence[int]] | None = None
        if not self._epoch_batches():
            raise ValueError("the training set yields no batches")

    def _epoch_batches(self) -> Sequence[Sequence[int]]:
        if self._order is None:
            self._order = self.make_batches(np.random.default_rng([self.seed, self.epoch, 7]))
        return self._order

    @property
    def batches_per_epoch(self) -> int:
        return len(self._epoch_batches())

    @property
    def epochs_done(self) -> float:
        return self.epoch + self.position / self.batches_per_epoch

    def next_step(self) -> list[Sequence[int]]:
        """The ``batches_per_step`` index batches of the next step, in global order (rolls over epochs)."""
        out: list[Sequence[int]] = []
        while len(out) < self.batches_per_step:
            order = self._epoch_batches()
            if self.position >= len(order):
                self.epoch, self.position, self._order = self.epoch + 1, 0, None
                continue
            out.append(order[self.position])
            self.position += 1
        return out

    def state_dict(self) -> dict[str, int]:
        return {"epoch": self.epoch, "position": self.position}

    def load_state_dict(self, state: dict[str, int]) -> None:
        self.epoch, self.position, self._order = int(state["epoch"]), int(state["position"]), None
