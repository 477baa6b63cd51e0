"""Token losses. Sums, not means: the loop divides by the global token count of the step, so gradient
accumulation and DDP give the same update as one big batch."""

from __future__ import annotations

import torch


def token_loss_sums(
    logits: torch.Tensor, target: torch.Tensor, *, pad_id: int, label_smoothing: float
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(label-smoothed loss sum, NLL sum, number of non-pad target tokens) for logits [B,T,V], target [B,T].

    Label smoothing is fairseq's: (1 - eps) * NLL + eps * mean over the vocabulary of -log p; one fp32
    log-softmax serves both sums.
    """
    lprobs = torch.log_softmax(logits.reshape(-1, logits.size(-1)).float(), dim=-1)  # [N, V]
    flat_target = target.reshape(-1)  # [N]
    keep = flat_target != pad_id  # [N]
    nll = -lprobs.gather(1, flat_target.clamp(min=0).unsqueeze(1)).squeeze(1)  # [N]
    nll_sum = nll.masked_fill(~keep, 0.0).sum()
    if label_smoothing > 0.0:
        uniform = -lprobs.mean(dim=-1)  # [N]
        smoothed = (1.0 - label_smoothing) * nll + label_smoothing * uniform
        loss_sum = smoothed.masked_fill(~keep, 0.0).sum()
    else:
        loss_sum = nll_sum
    return loss_sum, nll_sum.detach(), keep.sum()
