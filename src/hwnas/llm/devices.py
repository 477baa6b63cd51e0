"""Where the embedded model runs (and is fine-tuned): ``auto`` | ``cpu`` | ``cuda`` | ``cuda:N``.

The spelling is checked without torch, so settings stay cheap to read and validate; which devices exist is asked
of torch only when a model is about to be placed. ``auto`` is CUDA when torch sees a device, else the CPU.

On CUDA the model keeps its fp32 weights and runs under bf16 autocast (the project's rule for CUDA code, and what
``hwnas lm-searcher finetune`` trains under), so its log-likelihoods differ slightly from the CPU's fp32 ones: see
:data:`CUDA_TAG`.
"""

from __future__ import annotations

import re

from hwnas.core.errors import ConfigError

DEVICE_CHOICES = "auto, cpu, cuda, cuda:N"
_SPELLING = re.compile(r"auto|cpu|cuda(:[0-9]+)?")

# What a CUDA device adds to the embedded model's identity (its cache key). bf16 autocast rounds matmul inputs to
# 8 bits of mantissa, so two candidates whose fp32 log-likelihoods are nearly tied can swap order on the GPU: the
# pick (and every cached answer) may differ from the CPU's. The CPU adds nothing, so caches made before devices
# existed stay valid; the GPU's index does not matter (same kernels, same numerics).
CUDA_TAG = "+cuda-bf16"


def spelling_problem(value: str) -> str | None:
    """Why ``value`` is no device name (None when it is one)."""
    return None if _SPELLING.fullmatch(value) else f"allowed: {DEVICE_CHOICES}"


def check_device(value: str, *, name: str) -> str:
    """``value`` when it is spelt as a device, else a one-line error naming ``name`` (a flag or config key)."""
    problem = spelling_problem(value)
    if problem is not None:
        raise ConfigError(f"{name} {value!r}: {problem}")
    return value


def resolve_device(value: str, *, name: str) -> str:
    """``cpu``, ``cuda`` or ``cuda:N``: ``auto`` made concrete; a CUDA device torch does not see is an error."""
    check_device(value, name=name)
    if value == "cpu":
        return value
    import torch

    available = torch.cuda.is_available()
    if value == "auto":
        return "cuda" if available else "cpu"
    if not available:
        raise ConfigError(
            f"{name} is {value!r} but torch {torch.__version__} sees no CUDA device; allowed here: auto, cpu"
        )
    index, count = int(value.partition(":")[2] or 0), torch.cuda.device_count()
    if index >= count:
        raise ConfigError(f"{name} is {value!r} but torch sees {count} CUDA device(s): cuda:0 to cuda:{count - 1}")
    return value


def device_tag(device: str) -> str:
    """The suffix a resolved device adds to a model id: nothing on the CPU, :data:`CUDA_TAG` on CUDA."""
    return "" if device == "cpu" else CUDA_TAG
