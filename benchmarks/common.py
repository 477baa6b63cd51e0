"""Shared benchmark plumbing: machine description, wall-clock timing with warm-up and device synchronisation,
GPU peak FLOP/s lookup, and JSON results under benchmarks/results/ (figures in docs come from these files)."""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import json
import os
import platform
import statistics
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch

from hwnas.hardware.device import cpu_model, gpu_driver, synchronize

RESULTS_DIR = Path(__file__).resolve().parent / "results"

# Dense bf16 tensor-core peaks from the vendors' data sheets (FLOP/s, no sparsity). The H200 has the H100 SXM's
# compute; only its memory differs. Matched against torch.cuda.get_device_name() in this order.
PEAK_BF16_FLOPS: tuple[tuple[str, float], ...] = (
    ("H100 PCIe", 756e12),
    ("H100 NVL", 835e12),
    ("H100", 989e12),  # SXM5 (reported as "NVIDIA H100 80GB HBM3")
    ("H200", 989e12),
    ("GH200", 989e12),
    ("A100", 312e12),
    ("L40S", 362e12),
    ("A10G", 70e12),
    ("L4", 121e12),
)


def peak_bf16_flops(device_name: str) -> float | None:
    """Data-sheet dense bf16 peak of a GPU by name, or None when unknown (then no MFU is reported)."""
    for key, peak in PEAK_BF16_FLOPS:
        if key in device_name:
            return peak
    return None


def _git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def machine_info() -> dict[str, Any]:
    """Where and with what a benchmark ran (recorded in every result file)."""
    info: dict[str, Any] = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "hostname": platform.node(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "cpu_model": cpu_model(),
        "cpu_count": os.cpu_count(),
        "load_average_at_start": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,  # 1, 5, 15 min
        "torch_threads": torch.get_num_threads(),
        "git_commit": _git_commit(),
    }
    if torch.cuda.is_available():
        name = torch.cuda.get_device_name(0)
        info.update(
            gpu_name=name,
            gpu_driver=gpu_driver(),
            cuda=torch.version.cuda,
            cudnn=torch.backends.cudnn.version(),
            gpu_peak_bf16_flops=peak_bf16_flops(name),
        )
    return info


def time_calls(fn: Callable[[], object], *, device: torch.device, warmup: int, repeats: int) -> list[float]:
    """Wall-clock seconds of ``repeats`` calls after ``warmup`` untimed ones, synchronising the device around each."""
    for _ in range(warmup):
        fn()
    synchronize(device)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        synchronize(device)
        times.append(time.perf_counter() - start)
    return times


def summarize(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    return {
        "median_s": statistics.median(ordered),
        "min_s": ordered[0],
        "max_s": ordered[-1],
        "repeats": len(ordered),
    }


def package_versions(names: Sequence[str]) -> dict[str, str | None]:
    """Installed version of each distribution (None when absent), recorded with every result."""
    out: dict[str, str | None] = {}
    for name in names:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = None
    return out


def write_result(name: str, data: dict[str, Any], out_dir: Path | None = None) -> Path:
    """Write ``data`` as ``<name>-<UTC timestamp>.json`` and return the path."""
    folder = out_dir or RESULTS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    path = folder / f"{name}-{stamp}.json"
    path.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    return path


def portable_path(path: str | Path) -> str:
    """A path as a result file records it: relative to the repository when inside it, else relative to the
    current folder, so no machine's absolute paths end up in committed results."""
    resolved = Path(path).resolve()
    root = Path(__file__).resolve().parent.parent
    try:
        return str(resolved.relative_to(root))
    except ValueError:
        return os.path.relpath(resolved)


def check_same_settings(
    paths: Sequence[Path], parts: Sequence[dict[str, Any]], keys: Sequence[str], settings_keys: Sequence[str]
) -> None:
    """Stop unless every result part has the first part's ``keys`` and ``settings[settings_keys]`` (a merge joins
    only runs made with the same settings)."""
    first = parts[0]
    for path, part in zip(paths, parts, strict=True):
        for key in keys:
            if part.get(key) != first.get(key):
                raise SystemExit(f"{path}: {key} differs from {paths[0]}'s; only runs with the same settings merge")
        for key in settings_keys:
            if part["settings"].get(key) != first["settings"].get(key):
                raise SystemExit(f"{path}: settings.{key} differs from {paths[0]}'s")
