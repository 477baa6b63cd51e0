"""`hwnas data list|verify|fetch`: what datasets exist, whether the local copies are intact, and downloads."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import typer

from hwnas.cli.common import friendly_errors, print_json

data_app = typer.Typer(help="Registered datasets: list, verify (sha256), fetch into the cache.", no_args_is_help=True)

EXIT_VERIFY_FAILED = 1


def register(app: typer.Typer) -> None:
    app.add_typer(data_app, name="data")


def _rows() -> list[dict[str, Any]]:
    from hwnas.data.registry import availability, datasets

    rows = []
    for ds in datasets().values():
        present, status, fix = availability(ds)
        rows.append(
            {
                "name": ds.name,
                "files": len(ds.files),
                "present": present,
                "status": status,
                "fix": fix,
                "folder": ds.folder,
                "downloadable": ds.downloadable,
                "licence": ds.licence,
                "description": ds.description,
                "splits": sorted(ds.splits),
            }
        )
    return rows


@data_app.command("list")
@friendly_errors
def list_datasets(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """List registered datasets: files present on this machine / total, present / partial / missing (with the
    command that fetches what is missing), and licence."""
    from hwnas.data.registry import DATA_DIR_ENV, cache_dir, data_dir

    rows = _rows()
    if as_json:
        print_json(rows)
        return
    root = data_dir()
    typer.echo(f"{DATA_DIR_ENV}: {root or '(unset)'}   cache: {cache_dir()}")
    width = max(len(str(r["name"])) for r in rows)
    for r in rows:
        fix = f"  -> {r['fix']}" if r["fix"] else ""
        typer.echo(f"{r['name']:<{width}} {r['present']:>3}/{r['files']:<3} {r['status']:<8} {r['licence']}{fix}")


@data_app.command("verify")
@friendly_errors
def verify(
    name: str | None = typer.Argument(None, help="Dataset to verify (default: every dataset that is present)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Check local files against the registry's sha256; exit 1 on a mismatch or a missing file."""
    from hwnas.data.verify import verify_dataset, verify_present

    checks = verify_dataset(name) if name else verify_present()
    failed = [c for c in checks if not c.ok]
    if as_json:
        print_json([{**asdict(c), "location": str(c.location) if c.location else None} for c in checks])
    else:
        for c in checks:
            typer.echo(c.describe(), err=not c.ok)
        typer.echo(f"{len(checks) - len(failed)} ok, {len(failed)} failed")
    if not checks:
        typer.echo("no dataset files found: set HWNAS_DATA_DIR or run `hwnas data fetch NAME`", err=True)
    if failed or not checks:
        raise typer.Exit(EXIT_VERIFY_FAILED)


@data_app.command("fetch")
@friendly_errors
def fetch(
    name: str = typer.Argument(..., help="Dataset to download (see `hwnas data list`)."),
    mirror: str | None = typer.Option(None, "--mirror", help="Base URL laid out like HWNAS_DATA_DIR (http or file)."),
    force: bool = typer.Option(False, "--force", help="Download again even if a valid copy is cached."),
) -> None:
    """Download a dataset into the cache (HWNAS_CACHE_DIR or the platform cache), checked against sha256."""
    from hwnas.data.fetch import fetch_dataset
    from hwnas.data.registry import get_dataset

    dataset = get_dataset(name)
    typer.echo(f"{dataset.name}: {dataset.licence}", err=True)
    paths = fetch_dataset(name, mirror=mirror, force=force)
    for path in paths:
        typer.echo(str(path))
