"""Data-parallel training through ``torchrun`` (or any launcher that sets RANK / WORLD_SIZE / MASTER_ADDR).

Gradients are all-reduced by hand after the step's micro-batches rather than through DDP's wrapper: the active
subnet changes every step, so DDP would need ``find_unused_parameters`` (a graph walk per step) and its hooks fire
per micro-batch. Every rank samples the same subnet (stateless samplers), so the set of parameters with a
gradient is the same on every rank and one coalesced all-reduce per step is enough.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import torch
import torch.distributed as dist
from torch._utils import _flatten_dense_tensors, _unflatten_dense_tensors

_BUCKET_BYTES = 64 * 2**20


@dataclass(frozen=True)
class DistContext:
    """Where this process sits: rank, world size and the device it trains on."""

    rank: int = 0
    world_size: int = 1
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1


def resolve_device(requested: str, local_rank: int = 0) -> torch.device:
    """``auto`` -> CUDA when available, else CPU; ``cuda`` without a GPU is a clear error."""
    from hwnas.core.errors import ConfigError

    if requested == "cuda" and not torch.cuda.is_available():
        raise ConfigError("run.device is 'cuda' but no CUDA device is available; allowed here: auto, cpu")
    if requested == "cpu" or (requested == "auto" and not torch.cuda.is_available()):
        return torch.device("cpu")
    return torch.device("cuda", local_rank)


def init_distributed(requested_device: str) -> DistContext:
    """Join the process group when launched with WORLD_SIZE > 1 (nccl on CUDA, gloo on CPU)."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    device = resolve_device(requested_device, local_rank)
    if world_size <= 1:
        return DistContext(device=device)
    if device.type == "cuda":
        torch.cuda.set_device(device)
    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
    return DistContext(rank=dist.get_rank(), world_size=dist.get_world_size(), device=device)


def shutdown_distributed(ctx: DistContext) -> None:
    if ctx.enabled and dist.is_initialized():
        dist.destroy_process_group()


def broadcast_parameters(module: torch.nn.Module, ctx: DistContext) -> None:
    """Start every rank from rank 0's weights."""
    if not ctx.enabled:
        return
    for tensor in [*module.parameters(), *module.buffers()]:
        dist.broadcast(tensor.data, src=0)


def all_reduce_gradients(module: torch.nn.Module, ctx: DistContext) -> None:
    """Sum the gradients of every parameter that has one across ranks (in buckets of one dtype)."""
    if not ctx.enabled:
        return
    grads = [p.grad for p in module.parameters() if p.grad is not None]
    bucket: list[torch.Tensor] = []
    size = 0
    for grad in grads:
        if bucket and (grad.dtype != bucket[0].dtype or size >= _BUCKET_BYTES):
            _reduce_bucket(bucket)
            bucket, size = [], 0
        bucket.append(grad)
        size += grad.numel() * grad.element_size()
    if bucket:
        _reduce_bucket(bucket)


def _reduce_bucket(bucket: list[torch.Tensor]) -> None:
    flat = _flatten_dense_tensors(bucket)  # type: ignore[no-untyped-call]
    dist.all_reduce(flat, op=dist.ReduceOp.SUM)
    for grad, reduced in zip(bucket, _unflatten_dense_tensors(flat, bucket), strict=True):  # type: ignore[no-untyped-call]
        grad.copy_(reduced)


def all_reduce_sum(values: torch.Tensor, ctx: DistContext) -> torch.Tensor:
    """Sum a small tensor of statistics (token counts, loss sums) across ranks."""
    if ctx.enabled:
        dist.all_reduce(values, op=dist.ReduceOp.SUM)
    return values
