"""Pieces of the loop with known answers: lr schedules, samplers, the label-smoothed loss, batches and the stream."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from hwnas.models.vocab import DECODER_START_ID, EOS_ID, PAD_ID
from hwnas.spaces import get_space
from hwnas.train.batches import BatchStream, collate
from hwnas.train.config import OptimConfig
from hwnas.train.loss import token_loss_sums
from hwnas.train.sampling import FixedSampler, RandomSampler, SandwichSampler
from hwnas.train.schedule import lr_at


def test_inverse_sqrt_warms_up_linearly_then_decays() -> None:
    o = OptimConfig(lr=1e-3, min_lr=0.0, warmup_steps=100, schedule="inverse_sqrt")
    assert lr_at(0, o, 1000) == pytest.approx(1e-5)
    assert lr_at(99, o, 1000) == pytest.approx(1e-3)
    assert lr_at(399, o, 1000) == pytest.approx(1e-3 * math.sqrt(100 / 400))


def test_cosine_reaches_min_lr_at_the_end() -> None:
    o = OptimConfig(lr=1e-3, min_lr=1e-5, warmup_steps=10, schedule="cosine")
    assert lr_at(10, o, 110) == pytest.approx(1e-3)
    assert lr_at(60, o, 110) == pytest.approx((1e-3 + 1e-5) / 2)
    assert lr_at(110, o, 110) == pytest.approx(1e-5)


def test_samplers_are_pure_functions_of_the_step() -> None:
    space = get_space("tiny")
    a, b = RandomSampler(space, seed=1), RandomSampler(space, seed=1)
    assert [a.archs_for_step(s) for s in range(5)] == [b.archs_for_step(s) for s in (0, 1, 2, 3, 4)]
    assert len({a.archs_for_step(s)[0] for s in range(20)}) > 5
    sandwich = SandwichSampler(space, seed=1, num_random=2).archs_for_step(3)
    assert sandwich[:2] == [space.largest(), space.smallest()] and len(sandwich) == 4
    assert FixedSampler(space.smallest()).archs_for_step(7) == [space.smallest()]


def test_label_smoothed_loss_matches_torch_and_ignores_padding() -> None:
    torch.manual_seed(0)
    logits = torch.randn(2, 3, 11)
    target = torch.tensor([[5, 6, EOS_ID], [7, EOS_ID, PAD_ID]])
    loss, nll, tokens = token_loss_sums(logits, target, pad_id=PAD_ID, label_smoothing=0.1)
    flat = logits.reshape(-1, 11)
    expected = F.cross_entropy(flat, target.reshape(-1), ignore_index=PAD_ID, label_smoothing=0.1, reduction="sum")
    assert torch.allclose(loss, expected) and int(tokens) == 5
    assert torch.allclose(nll, F.cross_entropy(flat, target.reshape(-1), ignore_index=PAD_ID, reduction="sum"))


def test_collate_shifts_targets_behind_the_decoder_start() -> None:
    batch = collate([[9, 8, EOS_ID], [7, EOS_ID]], [[5, EOS_ID], [4, 6, EOS_ID]])
    assert batch.prev_output_tokens.tolist() == [[DECODER_START_ID, 5, PAD_ID], [DECODER_START_ID, 4, 6]]
    assert batch.target.tolist() == [[5, EOS_ID, PAD_ID], [4, 6, EOS_ID]]
    assert batch.src_padding_mask is not None and batch.src_padding_mask.tolist() == [[0, 0, 0], [0, 0, 1]]
    assert batch.num_target_tokens == 5 and batch.num_tokens == 10


def test_stream_position_restores_the_same_batches() -> None:
    def make(rng: np.random.Generator) -> list[list[int]]:
        return [[int(i)] for i in rng.permutation(5)]

    stream = BatchStream(make_batches=make, seed=0, batches_per_step=3)
    first = [stream.next_step() for _ in range(2)]  # 6 batches: all 5 of epoch 0, then 1 of epoch 1
    state = stream.state_dict()
    later = [stream.next_step() for _ in range(3)]
    again = BatchStream(make_batches=make, seed=0, batches_per_step=3)
    again.load_state_dict(state)
    assert [again.next_step() for _ in range(3)] == later
    assert sorted(b[0] for b in [*first[0], *first[1]][:5]) == [0, 1, 2, 3, 4]
    assert state == {"epoch": 1, "position": 1}
