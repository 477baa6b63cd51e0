"""Which device a measurement ran on, and with what: the provenance every latency row must carry.

A latency figure means nothing without its device, library versions, dtype and thread count (DESIGN: "record the
device, threads, dtype, library versions"), so :func:`describe_device` gathers them in one plain dict and
:func:`device_identity` picks the part that must not change when a collection is resumed.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import platform
import re
import subprocess
from pathlib import Path
from typing import Any

import torch

from hwnas.contracts.predictor import DeviceId
from hwnas.core.errors import ConfigError

DEVICE_KINDS = ("cpu", "cuda")
DTYPES: dict[str, torch.dtype] = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}

# Keys of describe_device() that identify the hardware + software stack (a resumed collection must match them).
IDENTITY_KEYS = ("device", "cpu_model", "gpu_name", "torch")


def resolve_device(device: str) -> torch.device:
    """``cpu``, ``cuda`` or ``cuda:N``; a CUDA device must exist."""
    kind = device.split(":", 1)[0]
    if kind not in DEVICE_KINDS:
        raise ConfigError(f"device {device!r} is not supported; allowed: {', '.join(DEVICE_KINDS)} (or cuda:N)")
    if kind == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"device {device!r} was asked for but torch {torch.__version__} sees no CUDA device")
    return torch.device(device)


def resolve_dtype(name: str, device: torch.device) -> torch.dtype:
    if name not in DTYPES:
        raise ConfigError(f"dtype {name!r} is not supported; allowed: {', '.join(DTYPES)}")
    if name == "fp16" and device.type == "cpu":
        raise ConfigError("dtype 'fp16' is not supported on cpu; allowed there: fp32, bf16")
    return DTYPES[name]


def synchronize(device: torch.device) -> None:
    """Wait for queued kernels, so wall-clock timing covers the work itself (a no-op on CPU)."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def set_threads(threads: int | None) -> int:
    """Fix torch's intra-op threads (None keeps torch's default) and return the count in force."""
    if threads is not None:
        if threads < 1:
            raise ConfigError(f"threads must be >= 1, got {threads}")
        torch.set_num_threads(threads)
    return torch.get_num_threads()


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown-cpu"


def short_name(text: str) -> str:
    """A file-name-safe slug of a device name: 'AMD EPYC 7B13' -> 'amd-epyc-7b13'."""
    cleaned = re.sub(r"\((r|tm|c)\)|\bcpu\b|\bprocessor\b|@.*$|\bnvidia\b", "", text, flags=re.IGNORECASE)
    slug = re.sub(r"[^a-z0-9]+", "-", cleaned.lower()).strip("-")
    return slug or "unknown"


@functools.cache
def gpu_driver() -> str | None:
    try:
        out = subprocess.run(
            ["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            timeout=20,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    lines = out.stdout.strip().splitlines()
    return lines[0].strip() if lines else None


def describe_device(device: torch.device, *, dtype: str, threads: int) -> dict[str, Any]:
    """Device, versions and run settings that a measurement depends on (JSON-ready)."""
    info: dict[str, Any] = {
        "device": device.type,
        "cpu_model": cpu_model(),
        "cpu_count": os.cpu_count(),
        "gpu_name": None,
        "gpu_driver": None,
        "cuda": None,
        "torch": torch.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "dtype": dtype,
        "threads": threads,
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    if device.type == "cuda":
        info.update(gpu_name=torch.cuda.get_device_name(device), gpu_driver=gpu_driver(), cuda=torch.version.cuda)
    return info


def device_identity(info: dict[str, Any]) -> dict[str, Any]:
    """The hardware/software part of :func:`describe_device` (no date): equal identity, comparable latencies."""
    return {key: info.get(key) for key in IDENTITY_KEYS}


def this_device_id(kind: str) -> DeviceId:
    """This machine's device of ``kind``: its CPU model, or the name of its first GPU (none when torch sees none)."""
    if kind == "cuda":
        return DeviceId(kind, torch.cuda.get_device_name(0) if torch.cuda.is_available() else None)
    return DeviceId(kind, cpu_model() if kind == "cpu" else None)


def device_slug(info: dict[str, Any]) -> str:
    """'cpu_amd-epyc' or 'cuda_h100-80gb-hbm3': the device part of a dataset's file name."""
    name = info.get("gpu_name") if info.get("device") == "cuda" else info.get("cpu_model")
    return f"{info.get('device')}_{short_name(str(name or 'unknown'))}"
