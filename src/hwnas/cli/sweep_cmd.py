"""`hwnas sweep`: a grid of `hwnas bench run` searches and `hwnas fewshot run` seeds, each cell its own resumable
run directory, one after the other here or one Ray task per cell (:mod:`hwnas.studies.sweep`).

A top-level command, not `bench sweep`: a grid may hold both kinds of cells, and `fewshot` cells are no benchmark
search. The grid comes from flags (one bench grid and/or one few-shot grid) or from a YAML file (``--grid``), not
both, so that a rerun's grid is unambiguous.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from hwnas.cli.common import fail, friendly_errors, print_json
from hwnas.cli.executor_options import executor_group
from hwnas.core.errors import ConfigError


def register(app: typer.Typer) -> None:
    app.command("sweep")(sweep)


def _names(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def _grid(grid_file: Path | None, flags: dict[str, Any]) -> Any:
    """The sweep's grid from ``--grid`` or from the flags (one-line errors for a mix or for neither)."""
    from hwnas.contracts.options import validate_options
    from hwnas.studies.sweep import SweepGrid, load_grid

    given = sorted(name for name, value in flags.items() if value is not None)
    if grid_file is not None:
        if given:
            raise ConfigError(f"--grid {str(grid_file)!r}: the grid comes from the file; drop --{given[0]}")
        return load_grid(grid_file)
    seeds = flags["seeds"] if flags["seeds"] is not None else 3
    if seeds < 1:
        raise ConfigError(f"--seeds {seeds}: give 1 or more")
    data: dict[str, Any] = {}
    if flags["problems"] is not None or flags["algorithms"] is not None:
        bench = {"problems": _names(flags["problems"]), "algorithms": _names(flags["algorithms"] or "random,evolution")}
        bench |= {k: flags[k] for k in ("evaluations", "population") if flags[k] is not None}
        data["bench"] = {**bench, "seeds": list(range(seeds))}
    if flags["tasks"] is not None:
        fewshot: dict[str, Any] = {"tasks": _names(flags["tasks"]), "seeds": list(range(seeds))}
        if flags["samples"] is not None:
            fewshot["samples"] = [int(v) for v in _names(flags["samples"]) if v.lstrip("-").isdigit()]
        data["fewshot"] = fewshot | ({"predictor": flags["predictor"]} if flags["predictor"] else {})
    if not data:
        raise ConfigError("give a grid: --problems P1,P2 (bench searches), --tasks T1,T2 (few-shot) or --grid FILE")
    return validate_options(SweepGrid, data, where="hwnas sweep")


@friendly_errors
@executor_group(
    "Where cells run: serial (here, one after the other; default) or ray (one task each).",
    "an option of --executor ray, e.g. num_cpus=2, num_gpus=1, max_retries=3, threads=1.",
)
def sweep(
    executor: dict[str, Any],
    out: Path = typer.Option(..., "--out", help="Sweep folder (new, or the same sweep's to resume)."),
    grid_file: Path | None = typer.Option(None, "--grid", help="Grid YAML: a bench: and/or a fewshot: block."),
    problems: str | None = typer.Option(None, "--problems", help="Bench problems, comma-separated."),
    algorithms: str | None = typer.Option(None, "--algorithms", help="Searchers (default random,evolution)."),
    seeds: int | None = typer.Option(None, "--seeds", help="Seeds 0..N-1 of every cell's grid (default 3)."),
    evaluations: int | None = typer.Option(None, "--evaluations", help="Evaluations per search (default 500)."),
    population: int | None = typer.Option(None, "--population", help="Archs asked per round (default 20)."),
    tasks: str | None = typer.Option(None, "--tasks", help="Few-shot tasks, comma-separated (hwnas fewshot tasks)."),
    samples: str | None = typer.Option(None, "--samples", help="Few-shot target samples (default 5,10,20)."),
    predictor: str | None = typer.Option(None, "--predictor", help="Few-shot method scored (default stack)."),
    as_json: bool = typer.Option(False, "--json", help="Print sweep.json's cells as JSON."),
) -> None:
    """Run every cell of a grid of bench searches and few-shot seeds, each its own resumable run directory under
    --out; a rerun skips finished cells and retries the rest; OUT/sweep.json lists every cell and its status."""
    from hwnas.cli.executor_options import task_options
    from hwnas.core.files import check_writable
    from hwnas.studies.sweep import SWEEP_FILE, bench_cells, fewshot_cells, run_sweep, write_suite_summaries

    flags = {"problems": problems, "algorithms": algorithms, "seeds": seeds, "evaluations": evaluations,
             "population": population, "tasks": tasks, "samples": samples, "predictor": predictor}  # fmt: skip
    grid = _grid(grid_file, flags)
    ray = task_options(executor, what="the sweep's cells")
    check_writable(out, what="--out", folder=True)
    cells = [*(fewshot_cells(grid.fewshot, out) if grid.fewshot else [])]
    cells = [*(bench_cells(grid.bench, out) if grid.bench else []), *cells]  # bench last checked: it writes
    summary = run_sweep(cells, out, ray=ray)
    if grid.bench:
        write_suite_summaries(grid.bench, out, summary["cells"])
    if as_json:
        print_json(summary["cells"])
    else:
        for entry in summary["cells"]:
            state = entry["status"] if entry["ran"] else "done before"
            why = f": {entry['error']}" if entry.get("error") else ""
            typer.echo(f"{entry['cell']}: {state}{why}", err=as_json)
        typer.echo(f"summary: {out / SWEEP_FILE}")
    counts = summary["counts"]
    if counts["failed"]:
        raise fail(f"{counts['failed']} of {counts['cells']} cells failed; run the same command again to retry them")
