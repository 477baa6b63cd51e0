"""The one training loop, for supernets (a subnet sampled per step) and single architectures (a fixed "sampler").

Reproducibility: the subnets of step s come from a Generator seeded with (seed, s); dropout masks come from the
torch RNG reseeded with (seed, step, global micro-batch, subnet) before every forward pass (dropout reads the
global torch RNG, so it is reseeded from an explicit derivation). Hence a resumed run repeats an uninterrupted one
exactly, and N data-parallel ranks reproduce one process that accumulates their N micro-batches.
The loss of each micro-batch is divided by the step's global target-token count, so gradients are the same
whatever the split into micro-batches and ranks.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from hwnas.core.arch import Arch
from hwnas.models.vocab import PAD_ID
from hwnas.train.checkpoint import latest_checkpoint, load_checkpoint
from hwnas.train.config import TrainConfig
from hwnas.train.distributed import (
    DistContext,
    all_reduce_gradients,
    all_reduce_sum,
    init_distributed,
    shutdown_distributed,
)
from hwnas.train.kinds import TrainBatch
from hwnas.train.loss import token_loss_sums
from hwnas.train.runlog import LOG_FILE, ProgressBar, TrainLog
from hwnas.train.session import (
    Session,
    build_session,
    restore_session,
    resume_config,
    save_checkpoint,
    write_run_config,
)
from hwnas.train.validation import autocast_for, valid_loss


@dataclass(frozen=True)
class TrainResult:
    run_dir: Path
    steps: int  # optimizer steps done in total
    last_loss: float | None  # label-smoothed loss of the last logged window
    checkpoint: Path | None  # the final checkpoint (rank 0)


def _seed_dropout(seed: int, step: int, micro_batch: int, subnet: int) -> None:
    state = np.random.SeedSequence([seed, step, micro_batch, subnet]).generate_state(2, dtype=np.uint32)
    torch.manual_seed(int(state[0]) << 32 | int(state[1]))


def _my_batches(s: Session, index_batches: list[Any]) -> list[TrainBatch]:
    """This rank's micro-batches of the step (its slice of the global batch), on the device."""
    accum = s.config.optim.grad_accum
    mine = index_batches[s.ctx.rank * accum : (s.ctx.rank + 1) * accum]
    return [s.train_data.batch(b).to(s.ctx.device) for b in mine]


def _global_target_tokens(s: Session, batches: list[TrainBatch]) -> torch.Tensor | int:
    local = sum(b.num_target_tokens for b in batches)
    if not s.ctx.enabled:
        return local
    return all_reduce_sum(torch.tensor(float(local), device=s.ctx.device), s.ctx)


def train_step(s: Session, archs: list[Arch], batches: list[TrainBatch]) -> torch.Tensor:
    """Forward/backward every (micro-batch, subnet), all-reduce, clip, update. Returns local sums
    [label-smoothed loss, NLL, target tokens, all tokens] (on the device; no host sync)."""
    cfg, model = s.config, s.built.module
    model.train()
    denominator = _global_target_tokens(s, batches)
    sums = torch.zeros(4, dtype=torch.float64, device=s.ctx.device)
    first_micro_batch = s.ctx.rank * cfg.optim.grad_accum
    for m, batch in enumerate(batches):
        for k, arch in enumerate(archs):
            s.built.activate(arch)
            _seed_dropout(cfg.run.seed, s.step, first_micro_batch + m, k)
            with autocast_for(s.ctx.device, cfg.run.bf16):
                logits = batch.logits(model)  # [B,T,V]
            loss, nll, _ = token_loss_sums(
                logits, batch.target, pad_id=PAD_ID, label_smoothing=cfg.optim.label_smoothing
            )
            (loss / denominator).backward()  # type: ignore[no-untyped-call]
            sums[:2] += torch.stack([loss.detach(), nll]).double()
        sums[2] += batch.num_target_tokens * len(archs)
        sums[3] += batch.num_tokens * len(archs)
    all_reduce_gradients(model, s.ctx)
    if cfg.optim.clip_norm > 0:
        torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.optim.clip_norm)
    s.optimizer.step()
    s.scheduler.step()
    s.optimizer.zero_grad(set_to_none=True)
    s.step += 1
    return sums


class _Window:
    """Loss and token sums since the last log record (one host sync per record)."""

    def __init__(self, device: torch.device) -> None:
        self.device = device
        self.reset()

    def reset(self) -> None:
        self.sums = torch.zeros(4, dtype=torch.float64, device=self.device)
        self.started = time.perf_counter()

    def record(self, s: Session, lr: float, archs: list[Arch]) -> dict[str, Any]:
        loss_sum, nll_sum, target_tokens, all_tokens = all_reduce_sum(self.sums, s.ctx).tolist()
        elapsed = max(time.perf_counter() - self.started, 1e-9)
        ids = [a.arch_id for a in archs]
        record = {
            "event": "train",
            "step": s.step,
            "epoch": round(s.stream.epochs_done, 4),
            "loss": loss_sum / max(target_tokens, 1),
            "nll_loss": nll_sum / max(target_tokens, 1),
            "lr": lr,
            "tokens_per_s": all_tokens / elapsed,
            "arch_id": ids[0] if len(ids) == 1 else ids,
        }
        self.reset()
        return record


def _validate(s: Session) -> dict[str, Any]:
    losses = {}
    for label, arch in s.valid_archs().items():
        s.built.activate(arch)
        losses[label] = valid_loss(s.built.module, s.valid_batches, bf16=s.config.run.bf16)
    return {"event": "valid", "step": s.step, "valid_loss": losses}


def _run(s: Session, log: TrainLog | None) -> float | None:
    cfg, last_loss = s.config.run, None
    window = _Window(s.ctx.device)
    shown = s.ctx.is_main and not cfg.quiet and s.step < s.total_steps  # no frozen bar for a finished run
    with ProgressBar(total=s.total_steps, start=s.step, enabled=shown) as bar:
        while s.step < s.total_steps:
            archs = s.sampler.archs_for_step(s.step)
            batches = _my_batches(s, s.stream.next_step())
            lr = float(s.optimizer.param_groups[0]["lr"])
            window.sums += train_step(s, archs, batches)
            record = None
            if s.step % cfg.log_every == 0 or s.step == s.total_steps:
                record = window.record(s, lr, archs)
                last_loss = record["loss"]
            if s.ctx.is_main:
                _after_step(s, log, record)
            bar.advance(s.step, record)
    return last_loss


def _after_step(s: Session, log: TrainLog | None, record: dict[str, Any] | None) -> None:
    """Rank 0: log, validate and checkpoint on their schedules."""
    cfg, done = s.config.run, s.step == s.total_steps
    if log is not None and record is not None:
        log.write(record)
    if log is not None and cfg.valid_every is not None and (s.step % cfg.valid_every == 0 or done):
        log.write(_validate(s))
    if s.step % cfg.checkpoint_every == 0 or done:
        save_checkpoint(s)


def _start_session(config: TrainConfig, ctx: DistContext, *, resume: bool) -> Session:
    """A fresh session, or (``resume``) one restored from the run folder's latest checkpoint, whose stored config
    is read first: settings whose default changed since the checkpoint keep their trained values unless set."""
    latest = latest_checkpoint(Path(config.run_dir) / "checkpoints") if resume else None
    if latest is None:
        return build_session(config, ctx)
    state = load_checkpoint(latest, map_location="cpu")
    s = build_session(resume_config(config, state["config"], source=str(latest)), ctx)
    restore_session(s, state, source=str(latest))
    return s


def _say_where_it_starts(s: Session, say: Callable[[str], None]) -> None:
    """One line on resume: the step it continues from, or that the run is already complete (then nothing runs)."""
    if s.step >= s.total_steps:
        say(f"already trained: step {s.step} of {s.total_steps} in {s.checkpoint_dir}; nothing to do")
    elif s.step > 0:
        say(f"resumed from step {s.step} of {s.total_steps} ({s.checkpoint_dir})")
    else:
        say(f"no checkpoint in {s.checkpoint_dir}: training from step 0")


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def train(config: TrainConfig, *, resume: bool = False, say: Callable[[str], None] | None = None) -> TrainResult:
    """Train (or, with ``resume``, continue from the run folder's latest checkpoint) and return where it ended.
    On resume one line says where it starts, to ``say`` (default: stderr unless ``run.quiet``; rank 0 only)."""
    ctx = init_distributed(config.run.device)
    threads_before = torch.get_num_threads()
    if config.run.threads is not None:
        torch.set_num_threads(config.run.threads)
    try:
        s = _start_session(config, ctx, resume=resume)
        if ctx.is_main:
            write_run_config(s)
            if resume and (say is not None or not config.run.quiet):
                _say_where_it_starts(s, say or _stderr)
        log = TrainLog(s.run_dir / LOG_FILE, resume_step=s.step if resume else None) if ctx.is_main else None
        try:
            last_loss = _run(s, log)
        finally:
            if log is not None:
                log.close()
        final = latest_checkpoint(s.checkpoint_dir) if ctx.is_main else None
        return TrainResult(run_dir=s.run_dir, steps=s.step, last_loss=last_loss, checkpoint=final)
    finally:
        torch.set_num_threads(threads_before)
        shutdown_distributed(ctx)
