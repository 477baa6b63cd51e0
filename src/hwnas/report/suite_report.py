"""`build_suite_report(suite_dir)`: the report of a finished suite of ``hwnas bench run``, written by ``hwnas report
SUITE_DIR`` into ``SUITE_DIR/report/``: ``report.md`` (the problem and settings, the hypervolume table at the
suite's budgets with the best mean per budget in bold and close calls said, one row per run) and the PNGs of
:mod:`hwnas.report.suite_plots` (``hypervolume.png``; ``attainment.png`` for a 2-D problem; ``fronts.png``).

It reads ``summary.json`` only (never a journal), so it takes a second; every file is written atomically.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hwnas.core.files import check_writable, write_text_atomic
from hwnas.report import suite_plots
from hwnas.studies.results import Comparison, ProblemComparison, SuiteResult, cell_text, compare, load_result

REPORT_DIR = "report"
FIGURES = {
    "hypervolume": ("hypervolume.png", "Hypervolume against evaluations: mean over seeds, ± one standard error shaded, "
                    "budgets dashed"),
    "attainment": ("attainment.png", "Empirical attainment surfaces (normalised units): the best, median and worst of "
                   "each algorithm's seeds, and the reference point"),
    "fronts": ("fronts.png", "Final Pareto fronts in real units: the non-dominated union of each algorithm's seeds"),
}  # fmt: skip


@dataclass(frozen=True)
class SuiteReport:
    report: Path  # report.md
    figures: dict[str, Path]
    comparison: Comparison

    @property
    def entry(self) -> ProblemComparison:
        return next(iter(self.comparison.problems.values()))


def build_suite_report(suite_dir: str | Path, out: str | Path | None = None) -> SuiteReport:
    """Read ``suite_dir/summary.json`` and write ``report.md`` and the PNGs into ``out`` (default
    ``suite_dir/report``). Everything is checked before the first file is written."""
    suite_dir = Path(suite_dir)
    result = load_result(suite_dir)
    out = Path(out) if out is not None else suite_dir / REPORT_DIR
    check_writable(out, what="report folder", folder=True)
    comparison = compare([result])
    entry = comparison.problems[result.problem.name]
    figures = _figures(result, entry, out)
    report = write_text_atomic(out / "report.md", markdown(result, entry, {k: p.name for k, p in figures.items()}, out))
    return SuiteReport(report, figures, comparison)


def _figures(result: SuiteResult, entry: ProblemComparison, out: Path) -> dict[str, Path]:
    problem = result.problem
    runs = {algorithm: result.runs(algorithm) for algorithm in result.algorithms}
    figures = {}
    drawn = suite_plots.hypervolume_figure(entry.curves(), entry.budgets, out / FIGURES["hypervolume"][0],
                                           problem=problem.name)  # fmt: skip
    figures["hypervolume"] = drawn["path"]
    surfaces = result.summary.get("attainment")
    if len(problem.objectives) == 2 and isinstance(surfaces, dict) and surfaces:
        seeds = {algorithm: len(algorithm_runs) for algorithm, algorithm_runs in runs.items()}
        drawn = suite_plots.attainment_figure(problem, surfaces, seeds, out / FIGURES["attainment"][0])
        figures["attainment"] = drawn["path"]
    figures["fronts"] = suite_plots.front_figure(problem, runs, out / FIGURES["fronts"][0])["path"]
    return figures


def markdown_table(entry: ProblemComparison) -> list[str]:
    """Algorithm x budget: ``mean ± se``, the best mean per budget in bold; then the budgets whose best and runner-up
    are within one standard error of each other."""
    lines = [
        "| algorithm | seeds | " + " | ".join(f"{b} evaluations" for b in entry.budgets) + " |",
        "|---|---:|" + "---:|" * len(entry.budgets),
    ]
    for algorithm, row in entry.table.items():
        cells = []
        for b in entry.budgets:
            text = cell_text(row[str(b)])
            cells.append(f"**{text}**" if entry.ranking[str(b)]["best"] == algorithm else text)
        lines.append(f"| {algorithm} | {len(entry.runs(algorithm))} | " + " | ".join(cells) + " |")
    lines += ["", "Bold: the best mean at that budget. Standard error: the sample standard deviation over seeds "
              "divided by the square root of the number of seeds."]  # fmt: skip
    for b in entry.budgets:
        rank = entry.ranking[str(b)]
        if rank["within_one_se"]:
            lines.append(
                f"At {b} evaluations, {rank['best']} and {rank['runner_up']} are within one standard error of each "
                f"other (difference {rank['difference']:.4f}, its standard error {rank['se_difference']:.4f}): these "
                "seeds do not separate them."
            )
    return lines


def _runs_table(result: SuiteResult, out: Path) -> list[str]:
    lines = [
        "| algorithm | seed | evaluations | feasible | failed | final hypervolume | front | wall (s) | run |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for run in result.summary["runs"]:
        trace = run["hypervolume"]
        final = f"{trace[-1]:.4f}" if trace else "-"
        folder = run.get("run_dir")
        link = f"[{folder}]({Path(os.path.relpath(result.path.parent / folder, out)).as_posix()})" if folder else "-"
        lines.append(
            f"| {run['algorithm']} | {run['seed']} | {run.get('evaluations', len(trace))} | {_get(run, 'feasible')} | "
            f"{_get(run, 'failed')} | {final} | {len(run.get('front') or [])} | {_get(run, 'wall_s', '.1f')} | {link} |"
        )
    return lines


def _get(run: dict[str, Any], key: str, pattern: str = "") -> str:
    value = run.get(key)
    return "-" if value is None else format(value, pattern)


def markdown(result: SuiteResult, entry: ProblemComparison, figures: dict[str, str], out: Path) -> str:
    problem, settings = result.problem, result.summary["settings"]
    bounds = ", ".join(f"{name} [{best:g}, {worst:g}]" for name, (best, worst) in problem.bounds.items())
    reference = ", ".join(f"{r:g}" for r in problem.reference)
    seeds = ", ".join(str(s) for s in settings.get("seeds", []))
    summary_link = Path(os.path.relpath(result.path, out)).as_posix()
    lines = [f"# hwnas suite report: `{problem.name}`", ""]
    if problem.description:
        lines += [problem.description, ""]
    lines += [
        f"- space `{problem.space}`; objectives {', '.join(f'`{o}`' for o in problem.objectives)}; constraints "
        f"{', '.join(f'`{c}`' for c in problem.constraints) or 'none'}",
        f"- hypervolume on normalised objectives (0 = the best bound, 1 = the worst): bounds {bounds}; reference "
        f"point ({reference})",
        f"- algorithms {', '.join(result.algorithms)}; seeds {seeds or '-'}; {settings.get('evaluations', '-')} "
        f"evaluations per run; {settings.get('population', '-')} archs asked per round",
        f"- data: [{summary_link}]({summary_link})",
        "",
        "## Hypervolume at the budgets (mean ± standard error over seeds)",
        "",
        *markdown_table(entry),
        "",
        "## Runs",
        "",
        *_runs_table(result, out),
    ]
    for key, name in figures.items():
        caption = FIGURES[key][1]
        lines += ["", f"## {caption}", "", f"![{caption}]({name})"]
    return "\n".join(lines) + "\n"
