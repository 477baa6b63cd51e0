"""How long `hwnas quickstart` (full and --smoke) took, per stage, on which machine and how busy it was
(benchmarks/quickstart_time.py). Every time the README and the docs quote for the quickstart comes from here."""

from __future__ import annotations

from typing import Any

from rendering.common import newest_first

STAGES = ("supernet", "latency", "predictor", "search", "baselines", "retrain", "evaluate", "report")
MODES = {
    "full": "python benchmarks/quickstart_time.py --full",
    "smoke": "python benchmarks/quickstart_time.py",
}


def duration(seconds: float | None) -> str:
    """``42.3 s`` below a minute, ``10 min 46 s`` above; ``-`` for a stage that did not run."""
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"


def _newest(mode: str) -> tuple[str, dict[str, Any]] | None:
    for path, data in newest_first("quickstart_time"):
        if data.get("mode") == mode:
            return path.name, data
    return None


def _machine(data: dict[str, Any]) -> str:
    machine = data["machine"]
    threads = data.get("threads")
    where = f"{machine.get('cpu_model') or 'unknown CPU'}, {machine.get('cpu_count')} cores"
    if threads is not None:
        where += f", {threads} torch thread{'s' if threads != 1 else ''}"
    return where


def _load(data: dict[str, Any]) -> str:
    before, after = data["load_average_before"][0], data["load_average_after"][0]
    busy = data["cpu_s"] / data["wall_s"] if data["wall_s"] else 0.0
    return f"{before:.1f} -> {after:.1f} (CPU/wall {busy:.2f})"


def _row(mode: str) -> str:
    """One row: the newest run of ``mode``, or how to make it when there is none yet (the lead runs the full one)."""
    smoke = " (smoke: plumbing only, not results)" if mode == "smoke" else ""
    found = _newest(mode)
    if found is None:
        command = "hwnas quickstart" + (" --smoke" if mode == "smoke" else "")
        blanks = " | ".join("-" for _ in STAGES)
        return f"| `{command}`{smoke} | not measured yet: `{MODES[mode]}` | {blanks} | - | - | - |"
    name, data = found
    command = " ".join(part for part in data["command"] if part not in ("--out", "RUN_DIR", "--quiet"))
    stages = " | ".join(duration(data["stages_s"].get(stage)) for stage in STAGES)
    where = f"{_machine(data)} | {_load(data)} | `{name}`"
    return f"| `{command}`{smoke} | **{duration(data['wall_s'])}** | {stages} | {where} |"


def quickstart_times() -> list[str]:
    header = [
        "**Quickstart wall time** (`benchmarks/quickstart_time.py`: the command in a fresh run folder; per stage from "
        "its `stage.done` marker; load = the 1-minute load average before -> after the run, and the CPU time the run "
        "got over its wall time, near the thread count when it had the CPU to itself, lower when it waited):",
        "",
        f"| run | total | {' | '.join(STAGES)} | machine | load | source |",
        f"|---|---:|{'---:|' * len(STAGES)}---|---|---|",
    ]
    return [*header, _row("full"), _row("smoke"), ""]
