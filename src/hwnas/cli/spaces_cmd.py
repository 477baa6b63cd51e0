"""`hwnas spaces list|show|sample`."""

from __future__ import annotations

import typer

from hwnas.cli.common import friendly_errors, print_json
from hwnas.spaces import builtin_names, get_space

spaces_app = typer.Typer(help="Inspect and sample search spaces.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(spaces_app, name="spaces")


@spaces_app.command("list")
@friendly_errors
def list_spaces(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """List the built-in search spaces with their size."""
    rows = [{"name": n, "family": get_space(n).family, "size": get_space(n).size()} for n in builtin_names()]
    if as_json:
        print_json([{**r, "size": str(r["size"])} for r in rows])
        return
    for r in rows:
        typer.echo(f"{r['name']:<20} {r['family']:<6} {r['size']:.3e} archs")


@spaces_app.command("show")
@friendly_errors
def show(
    name: str = typer.Argument(..., help="Space name or path to a space YAML file."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Show a space's genes, choices and size."""
    space = get_space(name)
    data = {
        "name": space.name,
        "family": space.family,
        "description": space.description,
        "size": str(space.size()),
        "constants": dict(space.constants),
        "genes": [
            {"name": g.name, "choices": list(g.choices), "per_layer": g.per_layer, "doc": g.doc} for g in space.genes
        ],
    }
    if as_json:
        print_json(data)
        return
    typer.echo(f"{space.name} ({space.family}): {space.size():,} archs\n{space.description}\n")
    for g in space.genes:
        layer = f" per layer of {g.per_layer}" if g.per_layer else ""
        typer.echo(f"  {g.name:<32} {list(g.choices)}{layer}")
