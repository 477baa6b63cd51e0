"""`hwnas metrics SPACE ARCH_FILE`: analytic params / FLOPs / MACs of one architecture."""

from __future__ import annotations

from pathlib import Path

import typer

from hwnas.cli.common import friendly_errors, print_json
from hwnas.encodings.archfile import load_arch_file
from hwnas.metrics import analytic_metrics
from hwnas.spaces import get_space


def register(app: typer.Typer) -> None:
    app.command("metrics")(metrics)


def _plain(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


@friendly_errors
def metrics(
    space_name: str = typer.Argument(..., metavar="SPACE", help="Space name or path to a space YAML file."),
    arch_file: Path = typer.Argument(
        ..., help="Arch as YAML or JSON: {space, genes}, a bare genes mapping or HAT SubTransformer YAML."
    ),
    table: bool = typer.Option(False, "--table", help="Print an aligned table instead of JSON."),
) -> None:
    """Analytic params (with and without embeddings), FLOPs and MACs of one architecture; no model is built."""
    space = get_space(space_name)
    arch = load_arch_file(arch_file, space)
    values = {key: _plain(value) for key, value in analytic_metrics(arch, space).items()}
    if not table:
        print_json(values)
        return
    typer.echo(f"{space.name} arch {arch.arch_id}")
    for key, value in values.items():
        typer.echo(f"  {key:<20} {value:>18,}")
