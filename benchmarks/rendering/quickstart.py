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
    return [*header, _row("full"), _row("smoke"), "", *quickstart_loaded()]


def _goal_states(goals: dict[str, Any] | None, prefix: str = "") -> str:
    """``name: met | not met | not assessable`` per goal (goals grouped by baseline are flattened)."""
    if not goals:
        return "no goals recorded"
    states = []
    for name, goal in goals.items():
        if not isinstance(goal, dict):
            continue
        if "met" not in goal:  # a group, e.g. beats_baseline -> {baseline name: goal}
            states.append(_goal_states(goal, f"{prefix}{name} "))
            continue
        state = (
            "not assessable"
            if goal.get("assessable") is False
            else {True: "met", False: "not met"}.get(goal["met"], "-")
        )
        states.append(f"{prefix}{name}: {state}")
    return ", ".join(states)


def quickstart_loaded() -> list[str]:
    """The newest run of benchmarks/quickstart_loaded.py: the quickstart with busy loops on every core."""
    found = next(newest_first("quickstart_loaded"), None)
    if found is None:
        return ["(Not measured yet under a competing load: `python benchmarks/quickstart_loaded.py`.)", ""]
    path, data = found
    default, ignore = data["runs"]["default"], data["runs"]["ignore"]
    left = ", ".join(default["left_behind"]) or "nothing"
    lines = [
        f"**Under a competing load** ({data['load_procs']} busy loops on {data['machine'].get('cpu_count')} cores, "
        f"1-min load average {data['load_average_with_load'][0]:.1f} as they started, before it ramps up; "
        f"`{data['mode']}` quickstart; `{path.name}`):",
        "",
        f"- `{' '.join(default['command'])}`: exit {default['exit_code']} after {duration(default['wall_s'])}, "
        f"saying `{default['last_stderr_line']}`; left behind: {left}.",
    ]
    verdict = ignore.get("verdict") or {}
    reliability = verdict.get("latency_reliability") or {}
    judged = "unreliable" if reliability.get("reliable") is False else str(reliability.get("reliable"))
    reasons = "; ".join(reliability.get("reasons") or []) or "none given"
    lines.append(
        f"- `{' '.join(ignore['command'])}`: exit {ignore['exit_code']} after {duration(ignore['wall_s'])}; latency "
        f"data judged {judged} ({reasons}); goals: {_goal_states(verdict.get('goals'))}."
    )
    return [*lines, ""]
