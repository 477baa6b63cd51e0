"""`hwnas bench compare RESULTS...`: the hypervolume tables of several suites (``hwnas bench run``), possibly of
different problems, side by side (:mod:`hwnas.studies.results`): one table per problem, a row per algorithm from
whichever result holds it, a column per budget, the best mean marked and close calls said; ``--out`` adds
``compare.json`` and ``hypervolume.png`` (a panel per problem).

Added to the ``bench`` sub-app by :func:`register_compare`. Every result, the budgets and ``--out`` are checked
before anything is written; a conflict (the same algorithm on the same problem run with other settings) names both
files.
"""

from __future__ import annotations

from pathlib import Path

import typer

from hwnas.cli.bench_run_cmd import _ints
from hwnas.cli.common import friendly_errors, print_json

COMPARE_FILE = "compare.json"
FIGURE_FILE = "hypervolume.png"


def register_compare(bench_app: typer.Typer) -> None:
    bench_app.command("compare")(compare)


@friendly_errors
def compare(
    results: list[Path] = typer.Argument(..., help="Suite folders (hwnas bench run --out) or their summary.json."),
    out: Path | None = typer.Option(
        None, "--out", help=f"Folder for {COMPARE_FILE} (the merged tables) and {FIGURE_FILE} (a panel per problem)."
    ),
    budgets: str | None = typer.Option(
        None, "--budgets", help="Evaluations to compare at, e.g. 100,250 (default: the budgets the results report)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the merged tables as JSON."),
) -> None:
    """Compare suites' hypervolume per problem: mean ± standard error per algorithm and budget, best marked."""
    from hwnas.core.files import check_writable, write_json_atomic
    from hwnas.studies.results import compare as compare_results
    from hwnas.studies.results import load_result, table_lines

    wanted = _ints(budgets, "--budgets")
    loaded = [load_result(path) for path in results]
    comparison = compare_results(loaded, wanted or None)
    if out is not None:
        check_writable(out, what="--out", folder=True)
        from hwnas.report.suite_plots import comparison_figure

        panels = [(name, entry.curves(), entry.budgets) for name, entry in comparison.problems.items()]
        comparison_figure(panels, out / FIGURE_FILE)
        write_json_atomic(out / COMPARE_FILE, comparison.to_dict())
    if as_json:
        print_json(comparison.to_dict())
        return
    for index, entry in enumerate(comparison.problems.values()):
        if index:
            typer.echo("")
        for line in table_lines(entry):
            typer.echo(line)
    for note in comparison.notes:
        typer.echo(f"note: {note}")
    if out is not None:
        typer.echo(f"written: {out / COMPARE_FILE}, {out / FIGURE_FILE}")
