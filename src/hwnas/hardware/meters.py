"""Peak memory and energy around a measurement, each read from what the device itself exposes.

Memory is the growth over a baseline taken before the model is built, so it covers weights + activations +
workspace of one inference: on CUDA ``torch.cuda.max_memory_allocated`` (exact, allocator-level); on CPU the
process's peak resident set (``VmHWM`` in ``/proc/self/status``, its peak first reset through
``/proc/self/clear_refs``) minus the resident set at the baseline, taken after glibc's ``malloc_trim`` has returned
freed heap pages to the OS (without it, a model reuses the pages an earlier model freed and the resident set does
not grow: most rows of a long collection read 0). It is an OS-level estimate, within a few MiB.

Energy is read from NVML's cumulative energy counter (millijoules, Volta and newer) when the optional ``pynvml``
module is importable; anywhere else it is ``None``, never an error (pynvml is not a dependency of hwnas).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import importlib
from pathlib import Path
from typing import Any

import torch

_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")
_RESET_PEAK_RSS = "5"  # Linux: writing 5 to clear_refs resets VmHWM to the current RSS


def _status_kib(field: str) -> int | None:
    try:
        for line in _STATUS.read_text(encoding="utf-8").splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


@functools.cache
def _libc() -> Any | None:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.malloc_trim  # glibc only  # noqa: B018
    except (OSError, AttributeError):
        return None
    return libc


def _release_free_heap() -> None:
    """Give memory the C allocator holds but no longer uses back to the OS (glibc ``malloc_trim``), so the next
    model's memory has to grow the resident set instead of silently reusing an earlier model's freed pages."""
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)


def _reset_peak_rss() -> bool:
    try:
        _CLEAR_REFS.write_text(_RESET_PEAK_RSS, encoding="ascii")
    except OSError:
        return False
    return True


class PeakMemory:
    """``start()`` before the model is built, ``peak_mb()`` after the runs: MiB above the baseline (or None)."""

    def __init__(self, device: torch.device) -> None:
        self.device = device
        self._baseline: int | None = None
        self._peak_reset = False

    def start(self) -> None:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
            self._baseline = torch.cuda.memory_allocated(self.device)
            torch.cuda.reset_peak_memory_stats(self.device)
            return
        _release_free_heap()
        self._peak_reset = _reset_peak_rss()
        rss = _status_kib("VmRSS")
        self._baseline = None if rss is None else rss * 1024

    def reset_peak(self) -> None:
        """Forget peaks reached so far (e.g. while building the model), keeping the baseline: the peak then
        covers what is allocated now (the weights) plus what the runs add."""
        if self.device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(self.device)
        elif self._peak_reset:
            self._peak_reset = _reset_peak_rss()

    def peak_mb(self) -> float | None:
        if self._baseline is None:
            return None
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
            peak = torch.cuda.max_memory_allocated(self.device)
        else:
            kib = _status_kib("VmHWM" if self._peak_reset else "VmRSS")
            if kib is None:
                return None
            peak = kib * 1024
        return max(0.0, (peak - self._baseline) / 2**20)


@functools.cache
def _nvml() -> Any | None:
    try:
        module = importlib.import_module("pynvml")
        module.nvmlInit()
    except Exception:  # not installed, no driver, no permission: energy is simply not available
        return None
    return module


class EnergyMeter:
    """Cumulative GPU energy in mJ (NVML), or None where the device does not expose it."""

    def __init__(self, device: torch.device) -> None:
        self._nvml = _nvml() if device.type == "cuda" else None
        self._handle: Any = None
        if self._nvml is not None:
            try:
                index = device.index if device.index is not None else torch.cuda.current_device()
                self._handle = self._nvml.nvmlDeviceGetHandleByIndex(index)
                self._nvml.nvmlDeviceGetTotalEnergyConsumption(self._handle)
            except Exception:  # GPU without an energy counter
                self._nvml = None

    @property
    def available(self) -> bool:
        return self._nvml is not None

    def read_mj(self) -> float | None:
        if self._nvml is None:
            return None
        return float(self._nvml.nvmlDeviceGetTotalEnergyConsumption(self._handle))
