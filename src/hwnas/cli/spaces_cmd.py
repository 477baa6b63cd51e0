"""`hwnas spaces list|show|sample`."""

from __future__ import annotations

import json

import numpy as np
import typer
import yaml

from hwnas.cli.common import fail, friendly_errors, print_json
from hwnas.core import Arch, SearchSpace
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


_FORMATS = ("yaml", "json", "ncode", "hat-yaml")


@spaces_app.command("sample")
@friendly_errors
def sample(
    name: str = typer.Argument(..., help="Space name or path to a space YAML file."),
    n: int = typer.Option(1, "--n", min=1, max=1_000_000, help="Number of archs to draw."),
    seed: int = typer.Option(0, "--seed", help="Random seed (same seed, same archs)."),
    fmt: str = typer.Option("yaml", "--format", help=f"Output format: {', '.join(_FORMATS)}."),
) -> None:
    """Draw archs uniformly at random and print them (one YAML document / JSON line / code per arch)."""
    if fmt not in _FORMATS:
        raise fail(f"--format {fmt!r} is not one of: {', '.join(_FORMATS)}")
    space = get_space(name)
    if fmt == "hat-yaml" and space.family != "hat":
        raise fail(f"--format hat-yaml needs a hat-family space; {space.name!r} is {space.family!r}")
    rng = np.random.default_rng(seed)
    archs = [space.sample(rng) for _ in range(n)]
    for i, arch in enumerate(archs):
        typer.echo(_format(arch, space, fmt, first=i == 0), nl=fmt not in ("yaml", "hat-yaml"))


def _format(arch: Arch, space: SearchSpace, fmt: str, *, first: bool) -> str:
    from hwnas.encodings import to_hat_yaml, to_ncode

    if fmt == "json":
        return json.dumps({**arch.to_dict(), "arch_id": arch.arch_id})
    if fmt == "ncode":
        return to_ncode(arch, space)
    body = (
        to_hat_yaml(arch)
        if fmt == "hat-yaml"
        else yaml.safe_dump(arch.to_dict(), sort_keys=False, default_flow_style=None)
    )
    return ("" if first else "---\n") + f"# arch_id: {arch.arch_id}\n" + body
