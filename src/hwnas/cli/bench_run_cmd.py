"""`hwnas bench run` and `hwnas bench problems`: many multi-objective searches on one problem, each (algorithm,
seed) its own resumable run directory, scored by hypervolume (:mod:`hwnas.studies.suite`).

Added to the ``bench`` sub-app by :func:`register_run`. Every flag is checked (the problem file, the algorithms,
their options, the budgets, the output folder) before the first search starts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from hwnas.cli.common import friendly_errors, key_values, print_json
from hwnas.cli.executor_options import executor_block, executor_group
from hwnas.core.errors import ConfigError


def register_run(bench_app: typer.Typer) -> None:
    bench_app.command("run")(run)
    bench_app.command("problems")(problems)


def _ints(text: str | None, flag: str) -> tuple[int, ...]:
    if text is None:
        return ()
    try:
        return tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise ConfigError(f"{flag} {text!r}: expected comma-separated integers, e.g. 100,250,500") from None


def _algorithm_options(items: list[str] | None) -> dict[str, dict[str, Any]]:
    """``ALGORITHM.KEY=VALUE`` items -> {algorithm: {key: value}}."""
    options: dict[str, dict[str, Any]] = {}
    for name_key, value in key_values(items, "--algorithm-opt").items():
        name, dot, key = name_key.partition(".")
        if not dot or not name or not key:
            raise ConfigError(f"--algorithm-opt {name_key}=...: expected ALGORITHM.KEY=VALUE, e.g. evolution.parents=8")
        options.setdefault(name, {})[key] = value
    return options


@friendly_errors
@executor_group(
    "Who runs each search's evaluation batches: serial (default), process or ray.",
    "an option of the executor, e.g. actors=4 (ray), workers=4 (process).",
)
def run(
    executor: dict[str, Any],
    problem: str = typer.Option(..., "--problem", help="A bundled problem (hwnas bench problems) or a problem YAML."),
    algorithms: str = typer.Option("random,evolution,local", "--algorithms", help="Searchers, comma-separated."),
    seeds: int = typer.Option(3, "--seeds", help="Seeds 0..N-1 per algorithm."),
    evaluations: int = typer.Option(500, "--evaluations", help="Evaluations per run (distinct archs)."),
    out: Path = typer.Option(..., "--out", help="Suite folder (new, or the same suite's to resume)."),
    population: int = typer.Option(20, "--population", help="Archs asked per round (evolution: first generation)."),
    budgets: str | None = typer.Option(
        None, "--budgets", help="Evaluations to report the hypervolume at, e.g. 100,250,500 (default: the last)."
    ),
    algorithm_opt: list[str] | None = typer.Option(
        None, "--algorithm-opt", help="ALGORITHM.KEY=VALUE: a searcher option over the suite's preset (repeatable)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the summary's table as JSON."),
) -> None:
    """Run every algorithm with every seed on a problem (resumable) and score them by hypervolume."""
    from hwnas.studies.problem import load_problem
    from hwnas.studies.suite import SUMMARY_FILE, SuiteSettings, run_suite

    if seeds < 1:
        raise ConfigError(f"--seeds {seeds}: give 1 or more")
    block = executor_block(executor, default="serial")
    names = tuple(a.strip() for a in algorithms.split(",") if a.strip())
    settings = SuiteSettings(
        problem=problem,
        algorithms=names,
        seeds=tuple(range(seeds)),
        evaluations=evaluations,
        population=population,
        budgets=_ints(budgets, "--budgets"),
        options=_algorithm_options(algorithm_opt),
    )
    loaded = load_problem(problem)

    def progress(event: dict[str, Any]) -> None:
        typer.echo(
            f"[{event['done']}/{event['total']}] {event['algorithm']} seed {event['seed']}: "
            f"{event['evaluations']} evaluations ({event['new_evaluations']} new), "
            f"hypervolume {event['hypervolume']:.4f}, {event['wall_s']:.1f} s",
            err=as_json,
        )

    summary = run_suite(loaded, settings, out, progress=progress, executor=block)
    if as_json:
        print_json(summary["table"])
        return
    typer.echo(f"hypervolume (mean ± standard error over {seeds} seeds) on {loaded.name}:")
    for algorithm, row in summary["table"].items():
        cells = [f"{b}: {_cell(stats)}" for b, stats in row.items()]
        typer.echo(f"  {algorithm}: {', '.join(cells)}")
    typer.echo(f"summary: {out / SUMMARY_FILE}")


def _cell(stats: dict[str, Any]) -> str:
    if stats["mean"] is None:
        return "-"
    return f"{stats['mean']:.4f}" + (f" ± {stats['se']:.4f}" if stats["se"] is not None else "")


@friendly_errors
def problems(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """The bundled multi-objective problems: space, objectives, constraints."""
    from hwnas.studies.problem import bundled_problems, load_problem

    rows = []
    for name in bundled_problems():
        item = load_problem(name)
        rows.append({"name": name, "space": item.space, "objectives": item.objectives, "constraints": item.constraints})
    if as_json:
        print_json(rows)
        return
    for row in rows:
        constraints = f"  subject to {', '.join(row['constraints'])}" if row["constraints"] else ""
        typer.echo(f"{row['name']}: {', '.join(row['objectives'])}{constraints}")
