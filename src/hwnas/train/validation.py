"""Validation loss: HAT's search fitness, the mean per-token negative log-likelihood (nats, no label smoothing) of
a subnet on the run's validation pairs (the whole split, as HAT, unless ``data.valid_subset`` caps it).

It lives in ``train`` because the training loop logs it; ``hwnas.evaluate`` (above ``train``) re-exports it for
scoring trained models and for the search's supernet fitness."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import nullcontext

import torch
from torch import nn

from hwnas.models.vocab import PAD_ID
from hwnas.train.batches import Batch, collate
from hwnas.train.kinds import TrainBatch
from hwnas.train.loss import token_loss_sums


def autocast_for(device: torch.device, bf16: bool) -> torch.autocast | nullcontext[None]:
    """bf16 autocast on CUDA when asked; plain fp32 elsewhere."""
    if device.type == "cuda" and bf16:
        return torch.autocast(device_type="cuda", dtype=torch.bfloat16)
    return nullcontext()


def make_eval_batches(
    src: Sequence[Sequence[int]], tgt: Sequence[Sequence[int]], *, max_tokens: int, device: torch.device
) -> list[Batch]:
    """Length-sorted batches of a whole split (no shuffling, nothing dropped), already on ``device``."""
    from hwnas.data.batching import token_batches

    src_len = [len(s) for s in src]
    tgt_len = [len(t) for t in tgt]
    budget = max(max_tokens, max(max(src_len), max(tgt_len)))  # never drop a long pair from the validation set
    indices = token_batches(src_len, tgt_len, max_tokens=budget, rng=None)
    return [collate([src[i] for i in b], [tgt[i] for i in b]).to(device) for b in indices]


@torch.no_grad()
def nll_sums(model: nn.Module, batches: Sequence[TrainBatch], *, bf16: bool = True) -> tuple[float, int]:
    """(summed NLL, target tokens) of ``model`` (its active subnet) over ``batches``, in eval mode."""
    was_training = model.training
    model.eval()
    total: torch.Tensor | None = None  # stays on the device: one host sync at the end
    tokens = 0
    try:
        for batch in batches:
            with autocast_for(batch.target.device, bf16):
                logits = batch.logits(model)  # [B,T,V]
            _, nll, _ = token_loss_sums(logits, batch.target, pad_id=PAD_ID, label_smoothing=0.0)
            total = nll.double() if total is None else total + nll.double()
            tokens += batch.num_target_tokens
    finally:
        model.train(was_training)
    return (0.0 if total is None else float(total)), tokens


def valid_loss(model: nn.Module, batches: Sequence[TrainBatch], *, bf16: bool = True) -> float:
    """Mean token NLL (nats) of ``model`` on ``batches`` (a language model's perplexity is its exp)."""
    total, tokens = nll_sums(model, batches, bf16=bf16)
    return total / max(tokens, 1)
