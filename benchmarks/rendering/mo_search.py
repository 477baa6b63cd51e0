"""hwnas's multi-objective searchers against syne-tune's (``benchmarks/mo_search.py``): the goal lines and, per
problem, every method's mean hypervolume ± standard error at each budget (the best per budget in bold, each side's
best compared and whether the difference lies within one combined standard error), and the wall-clock per run.
docs/search.md gets every problem's table, the README the goals and one row per problem. Both read the newest full
(not ``--quick``) result; the HV-against-evaluations figure beside it (``<result>-hv.png``) is drawn from the same
JSON by :func:`plot` when the benchmark writes it (``mo_search.py --plot RESULT.json`` draws it again)."""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rendering.common import newest_first, relative

NO_RESULT = [
    '(No side-by-side result yet: run `pip install -e ".[benchmarks]"` and then `python benchmarks/mo_search.py`.)',
    "",
]
PLOT_PANELS = 4


def _newest(prefix: str = "mo_search") -> tuple[Path, dict[str, Any]] | None:
    for path, data in newest_first(prefix):
        if not data.get("quick"):
            return path, data
    return None


def _hv(mean: float | None, se: float | None) -> str:
    if mean is None:
        return "-"
    return f"{mean:.4f}" if se is None else f"{mean:.4f} ± {se:.4f}"


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}" if value < 100 else f"{value:,.0f}"


def _short(cell: Mapping[str, Any]) -> str:
    return f" ({cell['short_runs']} short)" if cell.get("short_runs") else ""


def _best_means(methods: Mapping[str, Any], budgets: list[str]) -> dict[str, float | None]:
    means = {b: [m["table"][b]["mean"] for m in methods.values() if m["table"][b]["mean"] is not None] for b in budgets}
    return {b: max(values) if values else None for b, values in means.items()}


def _stops(entry: Mapping[str, Any]) -> str:
    """A peer method's short runs: why they stopped and after how many evaluations."""
    short = [r for r in entry["runs"] if r.get("stop") not in (None, "budget")]
    if not short:
        return ""
    reasons = sorted({r["stop"] for r in short})
    counts = [r["evaluations"] for r in short]
    span = str(min(counts)) if min(counts) == max(counts) else f"{min(counts)}-{max(counts)}"
    return f"; {len(short)} stopped ({', '.join(reasons)}) after {span} evaluations"


def _per_suggestion(entry: Mapping[str, Any]) -> str:
    """A peer method's own time per suggestion (median over its runs of each run's median), where measured: its
    wall-clock also holds the evaluations, which the sequential ask/tell loop makes one arch at a time."""
    medians = [r["suggest_s"]["median"] for r in entry["runs"] if (r.get("suggest_s") or {}).get("median")]
    if not medians:
        return ""
    middle = statistics.median(medians)
    return (
        f"; searcher {middle * 1e3:.2g} ms per suggestion"
        if middle < 0.1
        else f"; searcher {middle:.2f} s per suggestion"
    )


def problem_table(name: str, problem: Mapping[str, Any]) -> list[str]:
    """Methods x budgets, then each side's best compared per budget."""
    budgets = list(next(iter(problem["methods"].values()))["table"])
    best = _best_means(problem["methods"], budgets)
    lines = [
        f"*{name}* ({', '.join(problem['problem']['objectives'])}; reference point "
        f"{', '.join(f'{r:g}' for r in problem['problem']['reference'])}):",
        "",
        f"| method | {' | '.join(f'HV @ {b}' for b in budgets)} | seeds | wall-clock per run, s (median / max) |",
        f"|---|{'---:|' * len(budgets)}---:|---:|",
    ]
    for method, entry in problem["methods"].items():
        cells = []
        for b in budgets:
            cell = entry["table"][b]
            text = _hv(cell["mean"], cell["se"])
            if cell["mean"] is not None and cell["mean"] == best[b]:
                text = f"**{text}**"
            cells.append(text + _short(cell))
        wall = entry["wall_s"]
        lines.append(
            f"| {method}{_stops(entry)}{_per_suggestion(entry)} | {' | '.join(cells)} | {len(entry['seeds'])} "
            f"| {_seconds(wall['median'])} / {_seconds(wall['max'])} |"
        )
    lines.append(
        f"| hwnas best - syne-tune best | {' | '.join(_difference(problem['comparison'][b]) for b in budgets)} | | |"
    )
    return [*lines, ""]


def _difference(cell: Mapping[str, Any]) -> str:
    if "difference" not in cell:
        return "-"
    within = " (within SE)" if cell["within_se"] else ""
    return f"{cell['difference']:+.4f}{within}"


def goal_lines(data: Mapping[str, Any]) -> list[str]:
    hv, timing = data["goals"]["hypervolume"], data["goals"]["time"]
    lines = []
    if hv["met"] is None:
        lines.append(f"- Goal: {hv['goal']}: not assessed (no syne-tune method ran).")
    else:
        within = ", ".join(hv["within_se"]) or "none"
        lower = f"; not higher at: {', '.join(hv['not_higher'])}" if hv["not_higher"] else ""
        lines.append(
            f"- Goal: {hv['goal']}: **{'met' if hv['met'] else 'not met'}**, hwnas higher at "
            f"{hv['hwnas_higher']} of {hv['cells']} (problem, budget) pairs{lower}. Difference within one combined "
            f"standard error at: {within}."
        )
    if not timing["assessed"]:
        lines.append(f"- Goal: {timing['goal']}: not assessed ({timing.get('reason', 'no timed run')}).")
    else:
        slowest = "; ".join(
            f"{name} {_seconds(m['max_s'])} s (median {_seconds(m['median_s'])}, {_count(m['runs'], 'run')})"
            for name, m in timing["methods"].items()
        )
        lines.append(
            f"- Goal: {timing['goal']}: **{'met' if timing['met'] else 'not met'}**; slowest run per method: {slowest}."
        )
    return [*lines, *replaced_lines(data)]


def replaced_lines(data: Mapping[str, Any]) -> list[str]:
    """A merged result's problems taken from a later part (a re-run), with what the part they replace recorded:
    the runs that disagree are shown, not dropped."""
    from rendering.common import RESULTS, load

    out = []
    parts = {p["file"]: p for p in data.get("merged_from", [])}
    for entry in data.get("replaced", []):
        name, by = entry["problem"], entry["by"]
        earlier = [f for f, p in parts.items() if name in p["problems"] and f != by]
        if not earlier or not (RESULTS / earlier[0]).is_file():
            continue
        old = load(RESULTS / earlier[0])["problems"][name]["methods"]
        new = data["problems"][name]["methods"]
        changed = []
        for method, entry_new in new.items():
            before = max((r["wall_s"] or 0.0) for r in old[method]["runs"])
            after = max((r["wall_s"] or 0.0) for r in entry_new["runs"])
            loads = [r["load_1min"] for r in old[method]["runs"] if r.get("load_1min") is not None]
            if old[method]["table"] == entry_new["table"] and abs(before - after) > 0.5:
                load = (
                    f", 1-min load {min(loads):.1f}-{max(loads):.1f} on {data['machine'].get('cpu_count')} cores"
                    if loads
                    else ""
                )
                changed.append(f"{method.split(':', 1)[1]} slowest {_seconds(before)} s{load} -> {_seconds(after)} s")
        if changed:
            out.append(
                f"- {name} was re-run in `{by}` (same hypervolumes, new wall-clock); its first run in "
                f"`{earlier[0]}`: {'; '.join(changed)}."
            )
    return out


def peer_lines(data: Mapping[str, Any]) -> list[str]:
    """Which syne-tune methods ran, and why the others did not (the import errors, verbatim)."""
    peer = data["syne_tune"]
    if not peer.get("installed"):
        return [f"- syne-tune is not installed ({peer.get('error')}); only hwnas's methods ran."]
    ran = [f"{name} ({m['title']})" for name, m in peer["methods"].items() if m["status"] == "ok"]
    lines = [f"- syne-tune {peer.get('version')}: ran {', '.join(ran) or 'nothing'}."]
    for name, m in peer["methods"].items():
        if m["status"] != "ok":
            why = "; ".join(m.get("errors", [])) or m.get("reason", "")
            lines.append(f"- syne-tune {name} ({m['title']}) cannot run: {why}.")
    for name, why in peer.get("not_applicable", {}).items():
        lines.append(f"- syne-tune {name}: not run: {why}.")
    return lines


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _header(path: Path, data: Mapping[str, Any]) -> str:
    s, machine = data["settings"], data["machine"]
    seeds = len(s["seeds"])
    bo = f" ({len(s['bo_seeds'])} for BO methods)" if len(s["bo_seeds"]) != seeds else ""
    return (
        f"**hwnas vs syne-tune** (`benchmarks/mo_search.py`: {_count(len(s['problems']), 'problem')}, HV after "
        f"{', '.join(map(str, s['budgets']))} distinct archs, mean ± standard error over {_count(seeds, 'seed')}{bo}, "
        f"population {s['population']}; the same bench answers and HV code on both sides; "
        f"{machine.get('cpu_model')}, {machine.get('cpu_count')} cores, one thread; `{relative(path)}`):"
    )


def _figure(path: Path, prefix: str) -> list[str]:
    png = path.with_name(path.stem + "-hv.png")
    if not png.is_file():
        return []
    return [f"![HV against evaluations]({prefix}{relative(png)})", ""]


def mo_search() -> list[str]:
    """docs/search.md: the goals, which peer methods ran, every problem's table, the figure."""
    return _every_table(_newest(), NO_RESULT)


def mo_search_bo() -> list[str]:
    """docs/search.md: the run with the Bayesian-optimisation methods (a smaller budget, fewer seeds)."""
    missing = ["(No run with the BO methods yet: `python benchmarks/mo_search.py --kind bo ...`, see above.)"]
    return _every_table(_newest("mo_search_bo"), missing)


def _every_table(found: tuple[Path, dict[str, Any]] | None, missing: list[str]) -> list[str]:
    """A result's goals, its peer notes, every problem's table and its figure (``missing`` without a result)."""
    if found is None:
        return missing
    path, data = found
    lines = [_header(path, data), "", *goal_lines(data), *peer_lines(data), ""]
    for name, problem in data["problems"].items():
        lines += problem_table(name, problem)
    return [*lines, *_figure(path, "../")]


def mo_search_summary() -> list[str]:
    """README: the goals and per problem and budget each side's best, with the figure."""
    found = _newest()
    if found is None:
        return NO_RESULT
    path, data = found
    budgets = [str(b) for b in data["settings"]["budgets"]]
    lines = [
        _header(path, data) + " every method's figures in [docs/search.md](docs/search.md).",
        "",
        *goal_lines(data),
        "",
        f"| problem | {' | '.join(f'@ {b}: hwnas best / syne-tune best (difference)' for b in budgets)} |",
        f"|---|{'---|' * len(budgets)}",
    ]
    for name, problem in data["problems"].items():
        cells = []
        for b in budgets:
            cell = problem["comparison"][b]
            ours, theirs = cell["hwnas"], cell["syne-tune"]
            if ours is None or theirs is None:
                cells.append("-")
                continue
            cells.append(
                f"{ours['method'].split(':', 1)[1]} {ours['mean']:.4f} / {theirs['method'].split(':', 1)[1]} "
                f"{theirs['mean']:.4f} ({_difference(cell)})"
            )
        lines.append(f"| {name} | {' | '.join(cells)} |")
    return [*lines, "", *_figure(path, "")]


# the figure -------------------------------------------------------------------------------------------------------
def plot_problems(data: Mapping[str, Any], panels: int = PLOT_PANELS) -> list[str]:
    """The problems drawn: perplexity against H100 latency at each scale and a 3-D problem where run, else the
    first ones."""
    names = list(data["problems"])
    chosen = [n for n in names if n.endswith("perplexity-latency-h100")]
    chosen += [n for n in names if len(data["problems"][n]["problem"]["objectives"]) > 2][:1]
    chosen += [n for n in names if n not in chosen]
    return chosen[:panels]


def plot(data: Mapping[str, Any], path: Path) -> Path:
    """Mean HV against distinct evaluations, ± one standard error, per method (hwnas solid, syne-tune dashed), one
    panel per chosen problem, the budgets as grey lines, the y axis spanning the curves after a fifth of the first
    budget (the first few archs' low HV would flatten the rest); written atomically as PNG."""
    from matplotlib.figure import Figure

    from hwnas.core.files import atomic_path

    names = plot_problems(data)
    fig = Figure(figsize=(6.0 * len(names), 4.6))
    axes = fig.subplots(1, len(names), squeeze=False)[0]
    methods = list(dict.fromkeys(m for n in names for m in data["problems"][n]["methods"]))
    palette = {m: f"C{i % 10}" for i, m in enumerate(methods)}
    start = max(1, data["settings"]["budgets"][0] // 5)  # the y axis spans the curves from here on
    for ax, name in zip(axes, names, strict=True):
        shown: list[float] = []
        for method, entry in data["problems"][name]["methods"].items():
            curve = entry["curve"]
            points = [(x, m, s) for x, m, s in zip(curve["evaluations"], curve["mean"], curve["se"], strict=True)
                      if m is not None]  # fmt: skip
            if not points:
                continue
            x = [p[0] for p in points]
            mean = [p[1] for p in points]
            se = [p[2] or 0.0 for p in points]
            shown += [m - s for xi, m, s in zip(x, mean, se, strict=True) if xi >= start]
            shown += [m + s for xi, m, s in zip(x, mean, se, strict=True) if xi >= start]
            style = "-" if method.startswith("hwnas:") else "--"
            ax.plot(x, mean, style, color=palette[method], linewidth=1.3, label=method)
            ax.fill_between(x, [m - s for m, s in zip(mean, se, strict=True)],
                            [m + s for m, s in zip(mean, se, strict=True)], color=palette[method], alpha=0.15,
                            linewidth=0)  # fmt: skip
        for budget in data["settings"]["budgets"]:
            ax.axvline(budget, color="grey", linestyle=":", linewidth=0.8)
        if shown:
            low, high = min(shown), max(shown)
            margin = 0.05 * (high - low) or 0.01
            ax.set_ylim(low - margin, high + margin)
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("distinct archs evaluated")
        ax.set_ylabel("hypervolume (normalised)")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110)
    return path
