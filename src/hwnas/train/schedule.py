"""Learning-rate schedules: linear warm-up, then inverse-sqrt or cosine decay (HAT / fairseq conventions).

The schedule is a pure function of the step, so restoring ``last_epoch`` on resume restores the lr exactly.
"""

from __future__ import annotations

import math

import torch

from hwnas.train.config import OptimConfig


def lr_at(step: int, optim: OptimConfig, total_steps: int) -> float:
    """Learning rate used for optimizer step ``step`` (0-based)."""
    warmup = optim.warmup_steps
    if warmup > 0 and step < warmup:
        return optim.min_lr + (optim.lr - optim.min_lr) * (step + 1) / warmup
    if optim.schedule == "constant":
        return optim.lr
    if optim.schedule == "inverse_sqrt":
        # fairseq: lr * sqrt(warmup) / sqrt(step); continuous at the end of warm-up
        return optim.lr * math.sqrt(max(warmup, 1)) / math.sqrt(max(step + 1, 1))
    decay_steps = max(total_steps - warmup, 1)
    progress = min((step - warmup) / decay_steps, 1.0)
    return optim.min_lr + 0.5 * (optim.lr - optim.min_lr) * (1.0 + math.cos(math.pi * progress))


def make_scheduler(
    optimizer: torch.optim.Optimizer, optim: OptimConfig, total_steps: int
) -> torch.optim.lr_scheduler.LambdaLR:
    """A LambdaLR whose factor is ``lr_at(step) / lr`` (the optimizer is built with ``lr=optim.lr``)."""
    return torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: lr_at(step, optim, total_steps) / optim.lr)
