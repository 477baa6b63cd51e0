"""`hwnas trajectory export RUN_DIR --out historical_results.json`: a run's evaluations as LM-Searcher's
``historical_results.json`` (:mod:`hwnas.search.trajectory`). The way back in is ``hwnas search --init-archs FILE``,
which reads such a file (recognised by its ``TrialN`` keys) and seeds the first population with its cells.

``hwnas search`` is one command, not a group, so the export is a sibling group rather than a subcommand of it.
"""

from __future__ import annotations

from pathlib import Path

import typer

from hwnas.cli.common import friendly_errors

trajectory_app = typer.Typer(
    help="Run trajectories as LM-Searcher's historical_results.json (import with hwnas search --init-archs).",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(trajectory_app, name="trajectory")


@trajectory_app.command("export")
@friendly_errors
def export(
    run_dir: Path = typer.Argument(..., help="Run directory of hwnas search (its config.yaml and journal.jsonl)."),
    out: Path = typer.Option(..., "--out", help="File to write, e.g. historical_results.json."),
    metric: str | None = typer.Option(
        None, "--metric", help="Metric exported as 'prediction' (default: the run's first objective), raw value."
    ),
) -> None:
    """Write the run's evaluations, in order, as {"TrialN": {"cell": NCode, "prediction": score}}."""
    from hwnas.search.trajectory import export_trajectory, write_trajectory  # lazy: keeps `hwnas --help` fast

    trajectory = export_trajectory(run_dir, metric=metric)
    write_trajectory(trajectory, out)
    typer.echo(f"{len(trajectory)} trials written to {out}")
