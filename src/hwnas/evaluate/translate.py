"""Translation and BLEU: batched beam search (``hwnas.models.decoding``) over a trained model, detokenised with the
run's SentencePiece model, scored with sacreBLEU (HAT's defaults: beam 4, length penalty 0.6)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from hwnas.models.decoding import beam_search, greedy_decode
from hwnas.train.batches import collate
from hwnas.train.text import TextCodec

DEFAULT_BEAM = 4
DEFAULT_LENPEN = 0.6


def translate(
    model: nn.Module,
    codec: TextCodec,
    lines: Sequence[str],
    *,
    beam: int = DEFAULT_BEAM,
    lenpen: float = DEFAULT_LENPEN,
    max_len_a: float = 1.2,
    max_len_b: int = 10,
    batch_sentences: int = 64,
) -> list[str]:
    """Detokenised translations of ``lines``, in order. Sentences are decoded in length-sorted batches.

    Output length is capped at ``max_len_a * source tokens + max_len_b`` (fairseq's rule; HAT ran with 0 / 200,
    which only matters for hypotheses that never emit EOS and makes untrained models slow).
    """
    if beam < 1:
        from hwnas.core.errors import ConfigError

        raise ConfigError(f"beam size is {beam}; allowed: an integer >= 1")
    device = next(model.parameters()).device
    encoded = codec.encode_batch(list(lines))
    order = sorted(range(len(encoded)), key=lambda i: len(encoded[i]))
    out: list[str] = [""] * len(encoded)
    was_training = model.training
    model.eval()
    try:
        for start in range(0, len(order), batch_sentences):
            chunk = order[start : start + batch_sentences]
            hyps = _decode(model, [encoded[i] for i in chunk], device, beam, lenpen, max_len_a, max_len_b)
            for i, text in zip(chunk, codec.decode_batch(hyps), strict=True):
                out[i] = text
    finally:
        model.train(was_training)
    return out


def _decode(
    model: nn.Module, src: list[list[int]], device: torch.device, beam: int, lenpen: float, a: float, b: int
) -> list[list[int]]:
    batch = collate(src, [[0]] * len(src))  # targets unused
    tokens = batch.src_tokens.to(device)
    mask = None if batch.src_padding_mask is None else batch.src_padding_mask.to(device)
    kwargs: dict[str, Any] = {"len_penalty": lenpen, "max_len_a": a, "max_len_b": b}
    if beam == 1:
        hyps = greedy_decode(model, tokens, mask, **kwargs)  # type: ignore[arg-type]
    else:
        hyps = beam_search(model, tokens, mask, beam_size=beam, **kwargs)  # type: ignore[arg-type]
    return [list(h.tokens) for h in hyps]


def bleu_score(hypotheses: Sequence[str], references: Sequence[str], *, tokenize: str = "13a") -> float:
    """Corpus sacreBLEU of detokenised hypotheses against one reference each."""
    import sacrebleu

    if len(hypotheses) != len(references):
        from hwnas.core.errors import DataError

        raise DataError(f"{len(hypotheses)} hypotheses but {len(references)} references; they must pair up")
    return float(sacrebleu.corpus_bleu(list(hypotheses), [list(references)], tokenize=tokenize).score)


def bleu(
    model: nn.Module,
    codec: TextCodec,
    sources: Sequence[str],
    references: Sequence[str],
    *,
    beam: int = DEFAULT_BEAM,
    lenpen: float = DEFAULT_LENPEN,
    tokenize: str = "13a",
    **decode: Any,
) -> float:
    """sacreBLEU of ``model``'s translations of ``sources``."""
    hypotheses = translate(model, codec, sources, beam=beam, lenpen=lenpen, **decode)
    return bleu_score(hypotheses, references, tokenize=tokenize)
