"""Everything a training run holds (model, optimizer, schedule, sampler, data stream, run folder), built from a
config, restored from a checkpoint, and saved to one.

A run folder holds ``config.yaml``, ``train_log.jsonl``, ``tokenizer.model`` and ``checkpoints/step-NNNNNNNN.pt``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist

from hwnas.core.arch import Arch
from hwnas.core.errors import ConfigError
from hwnas.spaces.registry import get_space
from hwnas.train import checkpoint as ckpt
from hwnas.train.batches import BatchStream
from hwnas.train.config import TrainConfig, parse_stored_config
from hwnas.train.distributed import DistContext, broadcast_parameters
from hwnas.train.kinds import TextTask, TrainBatch, TrainData, training_for
from hwnas.train.modeling import BuiltModel, build_model, model_from_state
from hwnas.train.sampling import ArchSampler, FixedSampler, RandomSampler, SandwichSampler
from hwnas.train.schedule import make_scheduler
from hwnas.train.text import TOKENIZER_FILE, TextCodec

# Keys that may change between a run and its resume: they say how to run, not what to compute.
RESUMABLE_CHANGES: tuple[str, ...] = (
    "run.max_steps",
    "run.max_epochs",
    "run.checkpoint_every",
    "run.keep_checkpoints",
    "run.log_every",
    "run.valid_every",
    "run.quiet",
    "run.threads",
    "run.device",
)


# Keys whose default changed after runs were made with the old one: a resumed run that leaves one unset continues
# with its checkpoint's value instead of silently switching (HAT's final encoder norm; the whole validation split;
# HAT's dropout scaling).
DEFAULT_CHANGED: tuple[tuple[str, str], ...] = (
    ("model", "encoder_final_norm"),
    ("data", "valid_subset"),
    ("model", "dropout_scaling"),
)


@dataclass
class Session:
    config: TrainConfig
    ctx: DistContext
    run_dir: Path
    codec: TextCodec
    train_data: TrainData
    valid_batches: Sequence[TrainBatch]
    built: BuiltModel
    arch: Arch | None
    sampler: ArchSampler
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LambdaLR
    stream: BatchStream
    total_steps: int
    step: int = 0  # optimizer steps done

    @property
    def checkpoint_dir(self) -> Path:
        return self.run_dir / "checkpoints"

    def valid_archs(self) -> dict[str, Arch]:
        """Subnets whose validation loss the log tracks: the trained arch, or the supernet's two extremes."""
        if self.arch is not None:
            return {"arch": self.arch}
        return {"largest": self.built.space.largest(), "smallest": self.built.space.smallest()}


def _codec(config: TrainConfig, run_dir: Path, ctx: DistContext, task: TextTask, train: Any) -> TextCodec:
    """Load the run's tokenizer, or train it on rank 0 while the other ranks wait."""
    path = run_dir / TOKENIZER_FILE
    if ctx.is_main and not path.is_file():
        task.train_codec(train, path=path, seed=config.run.seed)
    if ctx.enabled:
        dist.barrier()
    return TextCodec.load(path)


def _arch_of(config: TrainConfig) -> Arch | None:
    """The config's arch (from-scratch training), validated against the config's space."""
    if config.arch is None:
        return None
    try:
        arch = Arch.from_dict(config.arch)
    except ValueError as exc:
        raise ConfigError(f"config key 'arch': {exc}") from None
    space = get_space(config.space)
    if arch.space != space.name:
        raise ConfigError(f"config key 'arch': the arch is from space {arch.space!r}; allowed: {space.name!r}")
    return space.make(arch.genes)


def _optimizer(config: TrainConfig, module: torch.nn.Module, device: torch.device) -> torch.optim.Optimizer:
    o = config.optim
    fused = device.type == "cuda"  # one kernel for all parameters on a GPU
    return torch.optim.AdamW(
        module.parameters(), lr=o.lr, betas=o.betas, eps=o.eps, weight_decay=o.weight_decay, fused=fused or None
    )


def _sampler(config: TrainConfig, built: BuiltModel, arch: Arch | None) -> ArchSampler:
    if arch is not None:
        return FixedSampler(arch)
    if config.sampling.strategy == "sandwich":
        return SandwichSampler(built.space, config.run.seed, config.sampling.num_random)
    return RandomSampler(built.space, config.run.seed)


def _total_steps(config: TrainConfig, stream: BatchStream) -> int:
    candidates = [config.run.max_steps] if config.run.max_steps is not None else []
    if config.run.max_epochs is not None:
        candidates.append(math.ceil(config.run.max_epochs * stream.batches_per_epoch / stream.batches_per_step))
    return max(1, min(candidates))


def build_session(config: TrainConfig, ctx: DistContext) -> Session:
    """A fresh run (the caller restores a checkpoint on top for a resume)."""
    run_dir, space = Path(config.run_dir), get_space(config.space)
    family = training_for(space)
    family.check(space, config.model)
    task = family.task(space, config.data)
    train_corpus, valid_corpus = task.load("train"), task.load("valid")
    if ctx.is_main:  # only once the corpus is there: a run that cannot start leaves no folder behind
        run_dir.mkdir(parents=True, exist_ok=True)
    codec = _codec(config, run_dir, ctx, task, train_corpus)
    train_data, valid_data = task.encode(codec, train_corpus), task.encode(codec, valid_corpus)
    arch = _arch_of(config)
    built = build_model(space=space, vocab_size=codec.vocab_size, model=config.model, arch=arch, seed=config.run.seed)
    built.module.to(ctx.device)
    broadcast_parameters(built.module, ctx)
    optimizer = _optimizer(config, built.module, ctx.device)
    stream = _stream(config, train_data, ctx)
    total = _total_steps(config, stream)
    valid = task.eval_batches(valid_data, max_tokens=config.optim.max_tokens, device=ctx.device)
    return Session(
        config=config,
        ctx=ctx,
        run_dir=run_dir,
        codec=codec,
        train_data=train_data,
        valid_batches=valid,
        built=built,
        arch=arch,
        sampler=_sampler(config, built, arch),
        optimizer=optimizer,
        scheduler=make_scheduler(optimizer, config.optim, total),
        stream=stream,
        total_steps=total,
    )


def _stream(config: TrainConfig, data: TrainData, ctx: DistContext) -> BatchStream:
    o = config.optim

    def make_batches(rng: Any) -> list[list[int]]:
        return data.token_batches(max_tokens=o.max_tokens, rng=rng, max_positions=config.data.max_len)

    return BatchStream(make_batches=make_batches, seed=config.run.seed, batches_per_step=o.grad_accum * ctx.world_size)


# checkpoints ----------------------------------------------------------------------------------------------------
def checkpoint_state(s: Session) -> dict[str, Any]:
    return {
        "format": ckpt.FORMAT,
        "version": ckpt.VERSION,
        "step": s.step,
        "kind": s.built.kind,
        "space": s.config.space,
        "arch": None if s.arch is None else s.arch.to_dict(),
        "model_config": s.built.config_json(),
        "config": s.config.model_dump(mode="json"),
        "model": {k: v.detach().cpu() for k, v in s.built.module.state_dict().items()},
        "optimizer": s.optimizer.state_dict(),
        "scheduler": s.scheduler.state_dict(),
        "rng": ckpt.capture_rng_states(),
        "data": s.stream.state_dict(),
        "tokenizer": torch.frombuffer(bytearray(s.codec.model_bytes), dtype=torch.uint8),
    }


def write_run_config(s: Session) -> None:
    """The run folder's config.yaml (written once the config is known to be compatible with any checkpoint)."""
    (s.run_dir / "config.yaml").write_text(s.config.to_yaml(), encoding="utf-8")


def save_checkpoint(s: Session) -> Path:
    path = ckpt.atomic_torch_save(checkpoint_state(s), ckpt.step_path(s.checkpoint_dir, s.step))
    ckpt.prune_checkpoints(s.checkpoint_dir, s.config.run.keep_checkpoints)
    return path


def resume_config(config: TrainConfig, stored: dict[str, Any], *, source: str) -> TrainConfig:
    """The config a run resumed from a checkpoint (whose run config is ``stored``) continues with: ``config``, except
    that a key of ``DEFAULT_CHANGED`` it leaves unset keeps the checkpoint's value (for a checkpoint older than the
    key, the value its model was trained with). A key it sets to another value is refused by the same-run check."""
    trained = parse_stored_config(stored, source=source)
    updates: dict[str, Any] = {}
    for section, key in DEFAULT_CHANGED:
        if key not in getattr(config, section).model_fields_set:
            given = updates.get(section, getattr(config, section))  # a section may hold several such keys
            updates[section] = given.model_copy(update={key: getattr(getattr(trained, section), key)})
    return config.model_copy(update=updates)


def restore_session(s: Session, state: dict[str, Any], *, source: str) -> None:
    """Continue exactly where the checkpoint ``state`` (read from ``source``) left off (weights, optimizer,
    schedule, RNG, data position, step)."""
    _check_same_run(parse_stored_config(state["config"], source=source), s.config)
    s.built.module.load_state_dict(state["model"])
    s.optimizer.load_state_dict(state["optimizer"])
    s.scheduler.load_state_dict(state["scheduler"])
    s.stream.load_state_dict(state["data"])
    ckpt.restore_rng_states(state["rng"])
    s.step = int(state["step"])


def _check_same_run(stored: TrainConfig, given: TrainConfig) -> None:
    old, new = _flat(stored.model_dump(mode="json")), _flat(given.model_dump(mode="json"))
    for key in old:
        if key not in RESUMABLE_CHANGES and old[key] != new.get(key):
            raise ConfigError(
                f"cannot resume: config key {key!r} is {new.get(key)!r} but the checkpoint was trained with "
                f"{old[key]!r}; only {', '.join(RESUMABLE_CHANGES)} may change on resume"
            )


def _flat(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict) and key != "arch":
            out.update(_flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def load_trained(path: str | Path, device: torch.device | str = "cpu") -> tuple[BuiltModel, TextCodec, dict[str, Any]]:
    """A trained model (supernet or standalone), its tokenizer and the checkpoint's metadata, from a checkpoint."""
    state = ckpt.load_checkpoint(path, map_location="cpu")
    built = model_from_state(
        kind=state["kind"], config_json=state["model_config"], space_name=state["space"], state_dict=state["model"]
    )
    built.module.to(device)
    codec = TextCodec.from_bytes(state["tokenizer"].numpy().tobytes())
    meta = {k: state[k] for k in ("step", "kind", "space", "arch", "config")}
    return built, codec, meta
