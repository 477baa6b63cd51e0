"""LM-Searcher against the baselines (``benchmarks/lm_searcher.py``): the goal lines and, per problem, every method's
simple regret (mean ± standard error over seeds) at each budget, crashes, wall-clock per run and the LLM's paths.
docs/lm-searcher.md gets every problem's table, the README the goals and one regret table at the largest budget.
Both read the newest full (not ``--quick``) result; the regret-against-trials figure beside it
(``<result>-regret.png``) is drawn from the same JSON by :func:`plot`."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rendering.common import newest_first, relative

NO_RESULT = ["(No LM-Searcher benchmark result yet: run `python benchmarks/lm_searcher.py`, see its --help.)", ""]
PLOT_PANELS = 5


def _newest() -> tuple[Path, dict[str, Any]] | None:
    for path, data in newest_first("lm_searcher"):
        if not data.get("quick"):
            return path, data
    return None


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 'es' if noun.endswith('sh') else 's'}"


def _regret(cell: Mapping[str, Any]) -> str:
    if cell["mean"] is None:
        return "-"
    text = f"{cell['mean']:.3g}" if cell["se"] is None else f"{cell['mean']:.3g} ± {cell['se']:.2g}"
    return text + (f" ({cell['left_out']} left out)" if cell.get("left_out") else "")


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}" if value < 100 else f"{value:,.0f}"


def _where(data: Mapping[str, Any]) -> str:
    machine = data["machine"]
    gpu = f", GPU {machine['gpu_name']}" if machine.get("gpu_name") else ", CPU"
    return f"{machine.get('cpu_model')}, {machine.get('cpu_count')} cores, one thread{gpu}"


def _seed_counts(data: Mapping[str, Any]) -> str:
    """``10 seeds`` when every method ran every seed, else each count with its methods (a merged result may hold
    the expensive LLM methods over fewer seeds than the baselines)."""
    counts: dict[int, list[str]] = {}
    for problem in data["problems"].values():
        for method, found in problem["methods"].items():
            if method not in {m for ms in counts.values() for m in ms}:
                counts.setdefault(len(found.get("seeds") or []), []).append(method)
    if len(counts) <= 1:
        return _count(len(data["settings"]["seeds"]), "seed")
    return "; ".join(f"{_count(n, 'seed')} ({', '.join(ms)})" for n, ms in sorted(counts.items(), reverse=True))


def _on_gpu(settings: Mapping[str, Any]) -> str:
    """Where the embedded model ran, when not on the CPU (results made before --device existed ran there)."""
    device = settings.get("llm_device", "cpu")
    return "" if device == "cpu" else f" on {device} (bf16 autocast)"


def _header(path: Path, data: Mapping[str, Any]) -> str:
    s = data["settings"]
    return (
        f"**LM-Searcher vs baselines** (`benchmarks/lm_searcher.py`: {_count(len(s['problems']), 'problem')}, "
        f"{_seed_counts(data)}, {s['trials']} trials, simple regret after "
        f"{', '.join(map(str, s['budgets']))} trials, mean ± standard error; history cap {s['history_cap']}, pool "
        f"{s['pool_size']}, embedded backend {s['llm_backend']}{_on_gpu(s)}; baselines {s['population']} archs per "
        f"round; {_where(data)}; `{relative(path)}`):"
    )


def _verdict(goal: Mapping[str, Any]) -> str:
    return "not assessed" if goal["met"] is None else f"**{'met' if goal['met'] else 'not met'}**"


def goal_lines(data: Mapping[str, Any]) -> list[str]:
    goals = data["goals"]
    below, rea, crashes = goals["below_random"], goals["versus_rea"], goals["crashes"]
    missed = f"; not below at: {', '.join(below['not_below'])}" if below["not_below"] else ""
    worse = f"; worse on: {', '.join(rea['worse'])}" if rea["worse"] else ""
    slowest = crashes.get("slowest_trial_s")
    compared = _count(rea["cells"], "problem") + " compared"
    lines = [
        f"- Goal: {below['goal']}: {_verdict(below)} ({below['cells']} (problem, budget) pairs compared{missed}).",
        f"- Goal: {rea['goal']}: {_verdict(rea)} ({rea['note'] + '; ' if rea.get('note') else ''}{compared}{worse}).",
        f"- Goal: {crashes['goal']}: {_verdict(crashes)} ({_count(crashes['crashes'], 'crash')} in "
        f"{_count(crashes['runs'], 'run')}"
        + (f"; slowest single round {_seconds(slowest)} s" if slowest is not None else "")
        + ").",
    ]
    for method, other in goals.get("for_comparison", {}).items():
        b, r = other["below_random"], other["versus_rea"]
        lines.append(
            f"- For comparison, {method}: below random search at every budget: {_verdict(b)} "
            f"({b['cells'] - len(b['not_below'])} of {b['cells']} pairs); no worse than regularised evolution at "
            f"{r['budget']} trials: {_verdict(r)} ({r['cells'] - len(r['worse'])} of {r['cells']} problems)."
        )
    for name, status in data["methods"].items():
        if status["status"] != "ok":
            lines.append(f"- {name} ({status['title']}): skipped: {status['reason']}.")
    adapter = data["settings"].get("adapter")
    if adapter:
        sources = adapter.get("train_sources")
        trained = ", ".join(sources) if sources else "not recorded (no train_sources in hwnas-adapter.json)"
        lines.append(f"- Tuned adapter `{adapter['id']}`; trained on: {trained}.")
    return lines


def _unseen(problem: Mapping[str, Any]) -> str:
    unseen = (problem.get("training") or {}).get("unseen")
    return " (unseen in training)" if unseen else ""


def _reference(problem: Mapping[str, Any]) -> str:
    ref = problem["reference"]
    if ref["value"] is None:
        return "no reference (nothing feasible found)"
    source = (
        "the table's best measured feasible row" if ref["from"] == "table" else f"found by {ref['runs_best_method']}"
    )
    table = problem.get("table_best") or {}
    beside = ""
    if ref["from"] != "table" and table.get("value") is not None:
        beside = f"; the table's best measured feasible row: {table['value']:.4g}, of {table['rows']:,} such rows"
    return f"reference {ref['value']:.4g} ({source}{beside})"


def _paths(entry: Mapping[str, Any]) -> str:
    paths = entry.get("paths")
    if not paths:
        return ""
    return ", ".join(f"{k} {v}" for k, v in paths.items() if v and k != "warmup")


def problem_table(name: str, problem: Mapping[str, Any], budgets: list[str]) -> list[str]:
    """Methods x budgets, the lowest mean regret per budget in bold."""
    definition = problem["problem"]
    means = {
        b: [e["table"][b]["mean"] for e in problem["methods"].values() if e["table"][b]["mean"] is not None]
        for b in budgets
    }
    lines = [
        f"*{name}*{_unseen(problem)}: {definition['objective']} s.t. {', '.join(definition['constraints'])}; "
        f"{_reference(problem)}:",
        "",
        f"| method | {' | '.join(f'regret @ {b}' for b in budgets)} | seeds | crashes | wall-clock per run, s "
        "(median / max) | LLM picks (summed over seeds) |",
        f"|---|{'---:|' * len(budgets)}---:|---:|---:|---|",
    ]
    for method, entry in problem["methods"].items():
        cells = []
        for b in budgets:
            text = _regret(entry["table"][b])
            best = min(means[b]) if means[b] else None
            cells.append(
                f"**{text}**" if entry["table"][b]["mean"] is not None and entry["table"][b]["mean"] == best else text
            )
        wall = entry["wall_s"]
        lines.append(
            f"| {method} | {' | '.join(cells)} | {len(entry['seeds'])} | {entry['crashes']} | "
            f"{_seconds(wall['median'])} / {_seconds(wall['max'])} | {_paths(entry)} |"
        )
    return [*lines, ""]


def _figure(path: Path, prefix: str) -> list[str]:
    png = path.with_name(path.stem + "-regret.png")
    return [f"![Simple regret against trials]({prefix}{relative(png)})", ""] if png.is_file() else []


def lm_searcher() -> list[str]:
    """docs/lm-searcher.md: the goals, every problem's table, the figure, the notes."""
    found = _newest()
    if found is None:
        return NO_RESULT
    path, data = found
    budgets = [str(b) for b in data["settings"]["budgets"]]
    lines = [_header(path, data), "", *goal_lines(data), ""]
    for name, problem in data["problems"].items():
        lines += problem_table(name, problem, budgets)
    notes = [f"- {note}" for note in data.get("notes", [])]
    return [*lines, *_figure(path, "../"), *notes, *([""] if notes else [])]


def lm_searcher_summary() -> list[str]:
    """README: the goals and each method's regret at the largest budget per problem."""
    found = _newest()
    if found is None:
        return NO_RESULT
    path, data = found
    last = str(max(data["settings"]["budgets"]))
    methods = list(dict.fromkeys(m for p in data["problems"].values() for m in p["methods"]))
    lines = [
        _header(path, data) + " every budget in [docs/lm-searcher.md](docs/lm-searcher.md).",
        "",
        *goal_lines(data),
        "",
        f"| problem (regret @ {last} trials) | {' | '.join(methods)} |",
        f"|---|{'---:|' * len(methods)}",
    ]
    for name, problem in data["problems"].items():
        cells = [problem["methods"][m]["table"][last] if m in problem["methods"] else None for m in methods]
        known = [c["mean"] for c in cells if c is not None and c["mean"] is not None]
        texts = [
            "-" if c is None else f"**{_regret(c)}**" if known and c["mean"] == min(known) else _regret(c)
            for c in cells
        ]
        lines.append(f"| {name}{_unseen(problem)} | {' | '.join(texts)} |")
    return [*lines, "", *_figure(path, "")]


# the figure -------------------------------------------------------------------------------------------------------
def plot(data: Mapping[str, Any], path: Path, panels: int = PLOT_PANELS) -> Path:
    """Mean simple regret against trials, ± one standard error, per method (LLM variants solid, baselines dashed),
    one panel per problem (the first ``panels``), the budgets as grey lines, the y axis spanning the curves from a
    fifth of the first budget on (the first random trials' large regret would flatten the rest); written as PNG."""
    from matplotlib.figure import Figure

    from hwnas.core.files import atomic_path

    names = list(data["problems"])[:panels] or ["(no problem)"]
    fig = Figure(figsize=(5.2 * len(names), 4.2))
    axes = fig.subplots(1, len(names), squeeze=False)[0]
    methods = list(dict.fromkeys(m for n in names for m in data["problems"].get(n, {}).get("methods", {})))
    palette = {m: f"C{i % 10}" for i, m in enumerate(methods)}
    start = max(1, data["settings"]["budgets"][0] // 5)
    for ax, name in zip(axes, names, strict=True):
        shown: list[float] = []
        for method, entry in data["problems"].get(name, {}).get("methods", {}).items():
            curve = entry["curve"]
            points = [
                (x, m, s or 0.0)
                for x, m, s in zip(curve["trials"], curve["mean"], curve["se"], strict=True)
                if m is not None
            ]
            if not points:
                continue
            x, mean, se = (list(v) for v in zip(*points, strict=True))
            shown += [m + s for xi, m, s in zip(x, mean, se, strict=True) if xi >= start]
            style = "-" if method.startswith("lm-searcher") else "--"
            ax.plot(x, mean, style, color=palette[method], linewidth=1.3, label=method)
            ax.fill_between(
                x,
                [m - s for m, s in zip(mean, se, strict=True)],
                [m + s for m, s in zip(mean, se, strict=True)],
                color=palette[method],
                alpha=0.15,
                linewidth=0,
            )
        for budget in data["settings"]["budgets"]:
            ax.axvline(budget, color="grey", linestyle=":", linewidth=0.8)
        if shown:
            ax.set_ylim(-0.03 * (max(shown) or 1.0), 1.05 * max(shown) or 1.0)
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("trials (distinct archs)")
        ax.set_ylabel("simple regret (objective units)")
        ax.grid(alpha=0.3)
    if axes[0].get_legend_handles_labels()[0]:
        axes[0].legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110)
    return path
