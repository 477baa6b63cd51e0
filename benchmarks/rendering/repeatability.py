"""Repeatability of the latency measurement protocol (the same archs measured in two separate runs), on the quiet
machine and, in results of format 2, under an artificial competing load too."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rendering.common import newest_first, percent

HEADER_1 = [
    "| device | archs | warm-up / runs | median estimator | minimum estimator | goal | source |",
    "|---|---|---|---|---|---|---|",
]
HEADER_2 = [
    "| device | machine | archs | warm-up / runs | minimum (default) | median | HAT's trimmed mean | moved by the load "
    "(min / median) | goal | source |",
    "|---|---|---|---|---|---|---|---|---|---|",
]


def _newest(device: str) -> tuple[Path, dict[str, Any]] | None:
    """The newest full (not smoke) result measured on a ``device`` (cpu / cuda) machine."""
    for path, data in newest_first("measurement_repeatability"):
        if not data.get("smoke") and (device == "cuda") == bool(data.get("machine", {}).get("gpu_name")):
            return path, data
    return None


def _where(data: dict[str, Any], device: str) -> str:
    settings = data["settings"]
    name = data["machine"].get("gpu_name") if device == "cuda" else data["machine"].get("cpu_model")
    return f"{name} ({settings['device']}, {settings['threads'] or 'default'} threads)"


def _rows_format_1(path: Path, data: dict[str, Any], device: str) -> list[str]:
    figures, settings = data["figures"], data["settings"]
    return [
        f"| {_where(data, device)} | {figures['archs']} | {settings['warmup']} / {settings['runs']} | "
        f"{percent(figures['total_median']['median'])} | {percent(figures.get('total_min', {}).get('median'))} | "
        f"{data['headline']['goal']:.0%} | `{path.name}` |"
    ]


def _machine(condition: str, data: dict[str, Any]) -> str:
    """What competed: the busy loops started (none when quiet) and, where recorded, the share of the CPU other
    processes used while the first run's median row was timed."""
    busy = data.get("figures", {}).get("contention_median_per_run") or [None]
    seen = "" if busy[0] is None else f", {busy[0]:.0%} of the CPU busy elsewhere"
    return ("no added load" if condition == "quiet" else f"{data['load_procs']} busy loops") + seen


def _conditions(data: dict[str, Any]) -> dict[str, Any]:
    """condition -> its result; a format-1 file holds the quiet machine only."""
    return data.get("conditions") or {"quiet": {"figures": data["figures"], "load_procs": 0}}


def _rows_format_2(path: Path, data: dict[str, Any], device: str) -> list[str]:
    settings, shift, rows = data["settings"], data.get("load_shift"), []
    for condition, result in _conditions(data).items():
        figures = result["figures"]
        moved = "-"
        if condition == "loaded" and shift:
            moved = f"{shift['total_min']['signed_mean']:+.1%} / {shift['total_median']['signed_mean']:+.1%}"
        cells = [percent(figures.get(f"total_{s}", {}).get("median")) for s in ("min", "median", "trimmed_mean")]
        rows.append(
            f"| {_where(data, device)} | {_machine(condition, result)} | {figures['archs']} | {settings['warmup']} / "
            f"{settings['runs']} | {' | '.join(cells)} | {moved} | {data['headline']['goal']:.0%} | `{path.name}` |"
        )
    return rows


def repeatability() -> list[str]:
    found = [(device, hit) for device in ("cuda", "cpu") if (hit := _newest(device)) is not None]
    if not found:
        return []
    if not any(data.get("format") == 2 for _, (_, data) in found):
        rows = [row for device, (path, data) in found for row in _rows_format_1(path, data, device)]
        return [
            "**Measurement repeatability** (HAT's protocol; the same archs measured in two separate runs; median over "
            "archs of |relative difference| of total latency):",
            "",
            *HEADER_1,
            *rows,
            "",
        ]
    rows = [row for device, (path, data) in found for row in _rows_format_2(path, data, device)]
    return [
        "**Measurement repeatability** (HAT's protocol; the same archs measured in two separate runs, on the quiet "
        "machine and with a busy-loop process per core competing; median over archs of |relative difference| of "
        "total latency per estimator; 'moved by the load': mean signed change of the loaded run against the quiet "
        "one):",
        "",
        *HEADER_2,
        *rows,
        "",
    ]
