"""Greedy decoding and batched beam search (fairseq / HAT semantics) over any `EncoderDecoder`.

One code path serves the supernet (with an active arch) and the extracted model, incremental (key/value cache,
encoder-decoder keys/values computed once per sentence) or not (the whole prefix recomputed each step — the
reference the cache is tested against). Call ``model.eval()`` first.

Semantics, as fairseq's SequenceGenerator that HAT uses: the decoder starts from ``DECODER_START_ID``; padding is
never generated; EOS is forbidden before ``min_len`` tokens and forced once a sentence reaches
``max_len = int(max_len_a * src_len + max_len_b)`` tokens (src_len = its non-pad source tokens, so results do
not depend on the batch); a finished hypothesis scores ``sum(log p) / (tokens incl. EOS) ** len_penalty``; beam
search finalises EOS candidates among the top ``beam_size`` and stops a sentence once it holds ``beam_size``
finished hypotheses, returning the best.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from hwnas.models.encdec import EncoderDecoder
from hwnas.models.vocab import DECODER_START_ID, EOS_ID

NEG_INF = float("-inf")


@dataclass(frozen=True)
class Hypothesis:
    tokens: tuple[int, ...]  # generated tokens, without the start token and the final EOS
    score: float  # sum of token log-probs (EOS included) / (len(tokens) + 1) ** len_penalty


def _max_lengths(src_tokens: Tensor, pad_id: int, a: float, b: int, min_len: int) -> Tensor:
    src_len = src_tokens.ne(pad_id).sum(dim=1).to(torch.float64)  # [B]
    return torch.clamp((a * src_len + b).floor().long(), min=min_len)  # [B]


def _next_log_probs(
    model: EncoderDecoder, tokens: Tensor, enc: object, cache: object, step: int, max_lens: Tensor, min_len: int
) -> Tensor:
    """Constrained log-probabilities [N,V] of the next token for every row of ``tokens`` [N,t]."""
    logits = model.decode_step(tokens, enc, cache)  # type: ignore[arg-type]  # [N,V]
    lprobs = F.log_softmax(logits.float(), dim=-1)
    vocab = torch.arange(lprobs.shape[1], device=lprobs.device)
    lprobs[:, model.pad_id] = NEG_INF
    force_eos = max_lens.le(step)[:, None] & vocab.ne(EOS_ID)[None, :]  # [N,V]
    lprobs = lprobs.masked_fill(force_eos, NEG_INF)
    if step < min_len:
        lprobs[:, EOS_ID] = NEG_INF
    return lprobs


def _strip(row: list[int]) -> tuple[int, ...]:
    """Drop the start token and everything from the first EOS on."""
    body = row[1:]
    return tuple(body[: body.index(EOS_ID)] if EOS_ID in body else body)


@torch.no_grad()
def greedy_decode(
    model: EncoderDecoder,
    src_tokens: Tensor,
    src_padding_mask: Tensor | None = None,
    *,
    len_penalty: float = 1.0,
    max_len_a: float = 0.0,
    max_len_b: int = 200,
    min_len: int = 1,
    incremental: bool = True,
) -> list[Hypothesis]:
    """The most likely next token at every step (equal to beam search with ``beam_size=1``)."""
    assert not model.training, "call model.eval() before decoding"
    batch = src_tokens.shape[0]
    max_lens = _max_lengths(src_tokens, model.pad_id, max_len_a, max_len_b, min_len)
    enc = model.encode(src_tokens, src_padding_mask)
    cache = model.new_cache() if incremental else None
    tokens = torch.full((batch, 1), DECODER_START_ID, dtype=torch.long, device=src_tokens.device)  # [B,1]
    total = torch.zeros(batch, dtype=torch.float64, device=src_tokens.device)
    done = torch.zeros(batch, dtype=torch.bool, device=src_tokens.device)
    for step in range(int(max_lens.max()) + 1):
        best, token = _next_log_probs(model, tokens, enc, cache, step, max_lens, min_len).max(dim=-1)  # [B]
        total += torch.where(done, 0.0, best.double())
        token = torch.where(done, model.pad_id, token)
        done |= token.eq(EOS_ID)
        tokens = torch.cat([tokens, token[:, None]], dim=1)  # [B,t+1]
        if bool(done.all()):
            break
    hyps = [_strip(row) for row in tokens.tolist()]
    return [Hypothesis(h, float(s) / (len(h) + 1) ** len_penalty) for h, s in zip(hyps, total.tolist(), strict=True)]


class _Finished:
    """Finished hypotheses per sentence (host side): at most ``beam_size`` each, in the order found."""

    def __init__(self, batch: int, beam_size: int, len_penalty: float) -> None:
        self.hyps: list[list[Hypothesis]] = [[] for _ in range(batch)]
        self.beam_size, self.len_penalty = beam_size, len_penalty

    def done(self, sentence: int) -> bool:
        return len(self.hyps[sentence]) >= self.beam_size

    def all_done(self) -> bool:
        return all(self.done(i) for i in range(len(self.hyps)))

    def add(self, tokens: Tensor, eos_mask: Tensor, scores: Tensor, beams: Tensor, step: int) -> None:
        """tokens [B*K,t] before this step; eos_mask/scores/beams [B,K]: the top-K candidates of this step."""
        if not bool(eos_mask.any()):
            return
        found = eos_mask.nonzero().tolist()  # (sentence, rank) pairs, rank order within a sentence
        scores_host, beams_host = scores.tolist(), beams.tolist()
        for sentence, rank in found:
            if self.done(sentence):
                continue
            row = tokens[sentence * self.beam_size + beams_host[sentence][rank]].tolist()
            score = scores_host[sentence][rank] / (step + 1) ** self.len_penalty
            self.hyps[sentence].append(Hypothesis(tuple(row[1:]), score))

    def best(self) -> list[Hypothesis]:
        return [max(h, key=lambda hyp: hyp.score) if h else Hypothesis((), NEG_INF) for h in self.hyps]


def _top_candidates(scores: Tensor, lprobs: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """The 2K best continuations of each sentence over all its beams, as (score, beam, token) [B,2K] each: twice
    the beam size, so K survivors remain even when K of them end in EOS. scores [B,K], lprobs [B*K,V]."""
    batch, k = scores.shape
    vocab = lprobs.shape[1]
    candidates = (scores.view(-1, 1) + lprobs).view(batch, k * vocab)  # [B,K*V]
    top_scores, top_index = candidates.topk(min(2 * k, k * vocab), dim=1)  # [B,2K]
    return top_scores, top_index // vocab, top_index % vocab


def _survivors(is_eos: Tensor, k: int) -> Tensor:
    """Indices [B,K] of the first K candidates that are not EOS, in score order (is_eos [B,2K], best first)."""
    rank = torch.arange(is_eos.shape[1], device=is_eos.device)[None, :]  # [1,2K]
    return (rank + is_eos * 2 * k).argsort(dim=1)[:, :k]


@torch.no_grad()
def beam_search(
    model: EncoderDecoder,
    src_tokens: Tensor,
    src_padding_mask: Tensor | None = None,
    *,
    beam_size: int = 4,
    len_penalty: float = 0.6,
    max_len_a: float = 0.0,
    max_len_b: int = 200,
    min_len: int = 1,
    incremental: bool = True,
) -> list[Hypothesis]:
    """Best hypothesis per sentence of a batched beam search (defaults: HAT's beam 4, length penalty 0.6)."""
    assert not model.training, "call model.eval() before decoding"
    assert beam_size >= 1, beam_size
    batch, k, device = src_tokens.shape[0], beam_size, src_tokens.device
    max_lens = _max_lengths(src_tokens, model.pad_id, max_len_a, max_len_b, min_len).repeat_interleave(k)  # [B*K]
    enc = model.encode(src_tokens, src_padding_mask).reorder(torch.arange(batch, device=device).repeat_interleave(k))
    cache = model.new_cache() if incremental else None
    tokens = torch.full((batch * k, 1), DECODER_START_ID, dtype=torch.long, device=device)  # [B*K,1]
    scores = torch.full((batch, k), NEG_INF, device=device)
    scores[:, 0] = 0.0  # all beams start identical: keep one so the first step does not pick duplicates
    finished = _Finished(batch, k, len_penalty)
    row_base = torch.arange(batch, device=device)[:, None] * k  # [B,1]
    for step in range(int(max_lens.max()) + 1):
        lprobs = _next_log_probs(model, tokens, enc, cache, step, max_lens, min_len)  # [B*K,V]
        top_scores, top_beams, top_tokens = _top_candidates(scores, lprobs)  # each [B,2K]
        is_eos = top_tokens.eq(EOS_ID) & top_scores.ne(NEG_INF)
        finished.add(tokens, is_eos[:, :k], top_scores[:, :k], top_beams[:, :k], step)
        if finished.all_done():
            break
        pick = _survivors(is_eos, k)  # [B,K]
        scores = top_scores.gather(1, pick)
        order = (row_base + top_beams.gather(1, pick)).view(-1)  # [B*K] rows of the previous step
        tokens = torch.cat([tokens.index_select(0, order), top_tokens.gather(1, pick).view(-1, 1)], dim=1)
        if cache is not None:
            cache.reorder(order, encoder_keys=False)  # beams only move within their sentence
    return finished.best()
