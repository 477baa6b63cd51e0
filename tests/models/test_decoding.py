from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import Tensor

from hwnas.core.space import SearchSpace
from hwnas.models import DECODER_START_ID, EOS_ID, EncoderDecoder, EncoderOut, extract, padding_mask
from hwnas.models.decoding import Hypothesis, beam_search, greedy_decode

TOL = 1e-5


class EosBoost:
    """Adds a constant to the EOS logit so random models end sentences at varied lengths (exercises finishing)."""

    def __init__(self, model: EncoderDecoder, boost: float) -> None:
        self.model, self.boost, self.pad_id, self.training = model, boost, model.pad_id, False

    def encode(self, *args: Any) -> EncoderOut:
        return self.model.encode(*args)

    def new_cache(self) -> Any:
        return self.model.new_cache()

    def decode_step(self, tokens: Tensor, enc: EncoderOut, cache: Any) -> Tensor:
        logits = self.model.decode_step(tokens, enc, cache).clone()
        logits[:, EOS_ID] += self.boost
        return logits


@pytest.fixture
def model_and_src(tiny: SearchSpace, supernet: Any, batch: Any) -> tuple[EosBoost, Tensor]:
    model = supernet(tiny, vocab_size=40)
    model.set_active_arch(tiny.sample(np.random.default_rng(5)))
    return EosBoost(model, boost=2.5), batch(40, 8, 6, seed=11, pads=(0, 3))


@pytest.mark.parametrize("pre", [False, True])
def test_incremental_logits_equal_the_full_forward(
    tiny: SearchSpace, pre: bool, supernet: Any, batch: Any, some_archs: Any
) -> None:
    model = supernet(tiny, normalize_before=pre, sharp=False)  # default init: logits O(1), so 1e-5 is tight
    src, tgt = batch(1000, 3, 7, seed=1, pads=(1,)), batch(1000, 3, 6, seed=2, start=DECODER_START_ID)
    for arch in some_archs(tiny, 3):
        model.set_active_arch(arch)
        for net in (model, extract(model, arch).eval()):
            enc = net.encode(src, padding_mask(src, 0))
            full = net.decode(tgt, enc)  # [B,T,V]
            cache = net.new_cache()
            steps = torch.stack([net.decode_step(tgt[:, : t + 1], enc, cache) for t in range(tgt.shape[1])], dim=1)
            assert (steps - full).abs().max() <= TOL


def test_cache_reorder_follows_the_chosen_rows(tiny: SearchSpace, supernet: Any, batch: Any) -> None:
    model = supernet(tiny, sharp=False)
    src, tgt = batch(1000, 3, 5, seed=3, pads=(2,)), batch(1000, 3, 5, seed=4, start=DECODER_START_ID)
    enc = model.encode(src, padding_mask(src, 0))
    cache = model.new_cache()
    for t in range(4):
        model.decode_step(tgt[:, : t + 1], enc, cache)
    order = torch.tensor([2, 0, 0])  # permuted and duplicated, as beam search does
    cache.reorder(order)
    enc, prefix = enc.reorder(order), tgt.index_select(0, order)
    assert (model.decode_step(prefix, enc, cache) - model.decode_step(prefix, enc, None)).abs().max() <= TOL


@pytest.mark.parametrize("incremental", [True, False])
def test_greedy_equals_beam_size_one(model_and_src: tuple[EosBoost, Tensor], incremental: bool) -> None:
    model, src = model_and_src
    options = {"max_len_a": 1.0, "max_len_b": 2, "len_penalty": 0.6, "incremental": incremental}
    greedy = greedy_decode(model, src, padding_mask(src, 0), **options)  # type: ignore[arg-type]
    beam = beam_search(model, src, padding_mask(src, 0), beam_size=1, **options)  # type: ignore[arg-type]
    assert [h.tokens for h in greedy] == [h.tokens for h in beam]
    assert len({len(h.tokens) for h in greedy}) > 1  # lengths vary: EOS handling is exercised
    assert all(g.score == pytest.approx(b.score, abs=1e-5) for g, b in zip(greedy, beam, strict=True))


@pytest.mark.parametrize("beam_size", [3, 5])
def test_beam_search_incremental_equals_recomputed(model_and_src: tuple[EosBoost, Tensor], beam_size: int) -> None:
    model, src = model_and_src
    results = [
        beam_search(model, src, padding_mask(src, 0), beam_size=beam_size, max_len_b=8, incremental=inc)  # type: ignore[arg-type]
        for inc in (True, False)
    ]
    assert [h.tokens for h in results[0]] == [h.tokens for h in results[1]]
    assert all(a.score == pytest.approx(b.score, abs=1e-5) for a, b in zip(*results, strict=True))
    assert len({len(h.tokens) for h in results[0]}) > 1


def test_supernet_and_extracted_model_decode_alike(tiny: SearchSpace, supernet: Any, batch: Any) -> None:
    model = supernet(tiny, vocab_size=40)
    arch = tiny.sample(np.random.default_rng(8))
    model.set_active_arch(arch)
    src = batch(40, 4, 6, seed=12, pads=(1,))
    ours = beam_search(EosBoost(model, 2.0), src, padding_mask(src, 0), beam_size=3)  # type: ignore[arg-type]
    theirs = beam_search(EosBoost(extract(model, arch).eval(), 2.0), src, padding_mask(src, 0), beam_size=3)  # type: ignore[arg-type]
    assert [h.tokens for h in ours] == [h.tokens for h in theirs]


def test_results_do_not_depend_on_the_batch(model_and_src: tuple[EosBoost, Tensor]) -> None:
    model, src = model_and_src
    batched = beam_search(model, src, padding_mask(src, 0), beam_size=3, max_len_a=1.0, max_len_b=2)  # type: ignore[arg-type]
    for i, hyp in enumerate(batched):
        row = src[i : i + 1]
        row = row[:, row[0].ne(0)]  # the sentence alone, unpadded
        (alone,) = beam_search(model, row, None, beam_size=3, max_len_a=1.0, max_len_b=2)  # type: ignore[arg-type]
        assert alone.tokens == hyp.tokens and alone.score == pytest.approx(hyp.score, abs=1e-5)
        assert len(hyp.tokens) <= int(row.shape[1] + 2)  # max_len = a * src_len + b


@torch.no_grad()
def _brute_force_best(model: EosBoost, src: Tensor, max_len: int, len_penalty: float) -> Hypothesis:
    """Score every possible output (all tokens but pad and EOS, 1..max_len long) by teacher forcing."""
    enc = model.encode(src, None)
    allowed = [t for t in range(model.model.embed_tokens.weight.shape[0]) if t not in (0, EOS_ID)]
    best = Hypothesis((), float("-inf"))
    for length in range(1, max_len + 1):
        for seq in itertools.product(allowed, repeat=length):
            prefix = [DECODER_START_ID, *seq]
            total = 0.0
            for t in range(length + 1):
                lprobs = F.log_softmax(model.decode_step(torch.tensor([prefix[: t + 1]]), enc, None), dim=-1)[0]
                total += float(lprobs[prefix[t + 1] if t < length else EOS_ID])
            score = total / (length + 1) ** len_penalty
            if score > best.score:
                best = Hypothesis(tuple(seq), score)
    return best


def test_beam_search_with_a_wide_beam_finds_the_exact_best(tiny: SearchSpace, supernet: Any, batch: Any) -> None:
    model = EosBoost(supernet(tiny, vocab_size=6), boost=1.0)  # tokens 1, 2, 4, 5 can be generated
    src = batch(6, 1, 4, seed=13)
    expected = _brute_force_best(model, src, max_len=3, len_penalty=0.6)
    # 4 + 16 + 64 = 84 possible hypotheses: a beam that wide keeps and finishes every one of them
    (found,) = beam_search(model, src, None, beam_size=84, max_len_b=3, len_penalty=0.6)  # type: ignore[arg-type]
    assert found.tokens == expected.tokens
    assert found.score == pytest.approx(expected.score, abs=1e-5)
