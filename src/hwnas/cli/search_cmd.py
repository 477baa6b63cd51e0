"""`hwnas search`: a constrained (multi-)objective architecture search, written to a resumable run directory.

Every flag is a key of :class:`hwnas.search.config.SearchConfig` (declared once in :mod:`hwnas.cli.search_options`:
``--max-evaluations`` <-> ``max_evaluations``, ``--searcher-opt`` <-> ``searcher.options``...); ``--config FILE``
gives any of them in YAML and flags override it. ``--config``, ``--json`` and ``--describe`` say how to invoke, so
they are not config keys. The ``--llm-*`` flags fill an LLM-driven searcher's ``llm`` options (``--llm-model M`` <->
``searcher.options.llm.model``).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from hwnas.cli.common import friendly_errors, option_group, print_json
from hwnas.cli.search_options import (
    COMPONENT_OPTIONS,
    FLAG_TO_KEY,
    LLM_OPTIONS,
    LLM_PANEL,
    RUN_OPTIONS,
    SHORTHAND_OPTIONS,
    SearchCommand,
    describe,
    describe_text,
    flag_layer,
    llm_layer,
)
from hwnas.core.objectives import Constraint, Objective

if TYPE_CHECKING:
    from hwnas.search.loop import RunOutcome

__all__ = ["FLAG_TO_KEY", "register", "search"]


def register(app: typer.Typer) -> None:
    app.command("search", cls=SearchCommand)(search)


@friendly_errors
@option_group(RUN_OPTIONS, into="run")
@option_group(LLM_OPTIONS, into="llm", panel=LLM_PANEL)  # help panels come in reverse: this one after Components
@option_group(COMPONENT_OPTIONS, into="components", panel="Components")
@option_group(SHORTHAND_OPTIONS, into="shorthands", panel="Shorthands (hwnas 0.1 flags)")
def search(
    run: dict[str, Any],
    components: dict[str, Any],
    llm: dict[str, Any],
    shorthands: dict[str, Any],
    config_file: Path | None = typer.Option(None, "--config", help="YAML file with any of the settings above."),
    as_json: bool = typer.Option(False, "--json", help="Print the run summary and result as JSON."),
    describe_name: str | None = typer.Option(
        None, "--describe", help="Print the options (types, defaults, docs) of a searcher, evaluator or executor."
    ),
) -> None:
    """Search a space for the best arch under constraints; results go to --out (config, journal, result.json)."""
    if describe_name is not None:
        entries = describe(describe_name)
        if as_json:
            print_json(entries)
        else:
            typer.echo(describe_text(entries))
        return
    from hwnas.search import execute, load_config_file, plan_search, resolve_config  # lazy: keeps `hwnas --help` fast

    started = time.perf_counter()
    file_values = load_config_file(config_file) if config_file is not None else {}
    flags = flag_layer(run, components, shorthands)
    config = resolve_config(file_values, flags)
    llm_flags = llm_layer(llm, config.searcher.name, components["searcher_opt"])  # needs the run's searcher
    if llm_flags is not None:
        config = resolve_config(file_values, flags, llm_flags)
    plan = plan_search(config)  # validates everything; nothing is written before this
    progress = None if as_json or not sys.stderr.isatty() else _print_progress
    outcome = execute(plan, on_iteration=progress)
    _report(outcome, time.perf_counter() - started, as_json)


def _print_progress(entry: dict[str, Any]) -> None:
    best = ", ".join(f"{k}={v:.4g}" for k, v in (entry["best"] or {}).items()) or "none feasible yet"
    phase = f" (phase {entry['phase']})" if "phase" in entry else ""
    typer.echo(f"iteration {entry['iteration']}{phase}: {entry['evaluations']} evaluated, best {best}", err=True)


def _report(outcome: RunOutcome, wall_s: float, as_json: bool) -> None:
    result = outcome.result
    if as_json:
        summary = {
            "run_dir": str(outcome.run_dir),
            "wall_time_s": round(wall_s, 3),
            "new_evaluations": outcome.new_evaluations,
            "timings": outcome.timings,
        }
        print_json({**summary, "result": result.to_dict()})
        return
    counts = result.counts
    if result.best is None:
        typer.echo("no feasible arch found")
    else:
        names = [Objective.parse(t).metric for t in result.objectives] + [
            Constraint.parse(t).metric for t in result.constraints
        ]
        shown = dict.fromkeys(names)  # objective and constraint metrics, once each, in order
        metrics = ", ".join(f"{k}={result.best['metrics'][k]:.4g}" for k in shown)
        typer.echo(f"best arch {result.best['arch_id']}: {metrics}")
    if result.pareto_front is not None:
        typer.echo(f"pareto front: {len(result.pareto_front)} archs, hypervolume {result.hypervolume:.4g}")
    for phase in result.fitness_schedule or []:
        typer.echo(_phase_line(phase, outcome.timings))
    typer.echo(
        f"{counts['evaluations']} evaluations ({outcome.new_evaluations} new), {counts['feasible']} feasible, "
        f"{counts['failed']} failed; {counts['iterations']} iterations in {wall_s:.2f} s (stopped: {result.stopped})"
    )
    typer.echo(f"run dir: {outcome.run_dir}")


def _phase_line(phase: dict[str, Any], timings: dict[str, Any]) -> str:
    first, last = phase["iterations"]
    head = f"phase {phase['phase']} {phase['fitness']} (iterations {first}-{last}, {', '.join(phase['objectives'])})"
    if not phase["reached"]:
        return f"{head}: not reached"
    seconds = next((t["seconds"] for t in timings.get("phases", []) if t["phase"] == phase["phase"]), None)
    took = f" in {seconds:.2f} s" if seconds is not None else ""
    return f"{head}: {phase['counts']['evaluations']} evaluations{took}"
