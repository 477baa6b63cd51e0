"""Scale-out of the ``ray`` executor (``benchmarks/scaleout.py``): archs/s of a ~100 ms evaluator with 1, 2, 4, ...
actors against the serial executor, the executor's overhead per arch on a near-free evaluator, and the goals; the
newest full (not ``--quick``) result of each machine (CPU model and core count), fewest cores first."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rendering.common import newest_first, relative

NO_RESULT = ["(No scale-out result yet: run `python benchmarks/scaleout.py`, see its --help.)", ""]


def _machines() -> list[tuple[Path, dict[str, Any]]]:
    """The newest full result per machine (CPU model, core count), fewest cores first."""
    found: dict[tuple[Any, Any], tuple[Path, dict[str, Any]]] = {}
    for path, data in newest_first("scaleout"):
        machine = data.get("machine", {})
        key = (machine.get("cpu_model"), machine.get("cpu_count"))
        if not data.get("quick") and key not in found:
            found[key] = (path, data)
    return sorted(found.values(), key=lambda hit: hit[1]["machine"].get("cpu_count") or 0)


def _load(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _verdict(goal: dict[str, Any]) -> str:
    met = {True: "met", False: "**not met**", None: "not measured"}[goal["met"]]
    return met + (" (noisy: measured under load)" if goal["noisy"] else "")


def _passes(n: int) -> str:
    return f"{n} pass" if n == 1 else f"{n} passes"


def _row(record: dict[str, Any]) -> str:
    load = record["load"]
    noisy = "yes" if record["noisy"] else "no"
    return (
        f"| {record['executor']} | {record['workers']} | {record['archs_per_s']:.2f} | "
        f"{record.get('speedup', 1.0):.2f} | {record.get('efficiency', 1.0):.2f} | {record['warmup_s']:.1f} | "
        f"{_load(load.get('others_load_1m_before'))} / {_load(load.get('others_load_1m_after'))} | {noisy} |"
    )


def _section(path: Path, data: dict[str, Any]) -> list[str]:
    machine, evaluator, cost = data["machine"], data["evaluator"], data["overhead"]
    scaling, overhead = data["goals"]["scaling"], data["goals"]["overhead"]
    records = data["throughput"]
    worst = scaling["worst_efficiency"]
    worst_text = "" if worst is None else f", worst efficiency {worst:.2f} at {scaling['worst_at_workers']} actors"
    return [
        f"**Scale-out of the Ray executor** on {machine.get('cpu_model')}, {machine.get('cpu_count')} cores "
        f"(`{relative(path)}`, Ray {data['versions'].get('ray')}, `{data['command']}`). Evaluator: `supernet` on "
        f"`{evaluator['space']}` on CPU, one thread per process, {evaluator['options']['valid_subset']} validation "
        f"pairs per arch: {evaluator['serial_ms_per_arch']:.0f} ms per arch serially; {records[0]['archs']} archs "
        f"in batches of {records[0]['batch_size']}, the same for every row; one actor per CPU. Warm-up (actors "
        f"starting and loading the checkpoint) and the local Ray's start ({data['ray']['start_s']:.1f} s) are not "
        "in archs/s. Load: the 1-minute load average less this benchmark's own share, before / after each row; "
        "a row is noisy above 0.5 per core, or when other processes used over half the CPU just before it.",
        "",
        "| executor | workers | archs/s | speed-up | efficiency | warm-up s | others' load before / after | noisy |",
        "|---|---:|---:|---:|---:|---:|---|---|",
        *(_row(r) for r in records),
        "",
        f"Overhead of the Ray executor: **{cost['per_arch_ms']:.3f} ms per arch** (`{cost['evaluator']}` on "
        f"`{cost['space']}`, batches of {cost['batch_size']}, one actor against the serial executor, median of "
        f"{_passes(len(cost['passes']))} of {cost['archs']} archs; {cost['per_batch_ms']:.1f} ms per batch).",
        "",
        f"Goals: speed-up >= {scaling['goal_efficiency']} x linear up to {scaling['up_to_workers']} actors: "
        f"{_verdict(scaling)}{worst_text}; overhead < {overhead['goal_ms']:g} ms per arch: {_verdict(overhead)}.",
        "",
    ]


def scaleout() -> list[str]:
    found = _machines()
    if not found:
        return NO_RESULT
    return [line for path, data in found for line in _section(path, data)]
