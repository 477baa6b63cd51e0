"""`hwnas search`: a constrained (multi-)objective architecture search, written to a resumable run directory.

Every flag is a key of :class:`hwnas.search.config.SearchConfig` (``--mutation-size`` <-> ``mutation_size``; the
repeatable ``--objective``, ``--constraint``, ``--evaluator`` and ``--fitness-schedule`` <-> ``objectives``,
``constraints``, ``evaluators``, ``fitness_schedule``); ``--config FILE`` gives any of them in YAML and flags
override it. ``--config`` and ``--json`` say how to invoke, so they are not config keys.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from hwnas.cli.common import friendly_errors, print_json
from hwnas.core.objectives import Constraint, Objective

if TYPE_CHECKING:
    from hwnas.search.loop import RunOutcome

# CLI option name -> config key (tests check that both sides list the same settings).
FLAG_TO_KEY = {
    "--space": "space",
    "--objective": "objectives",
    "--constraint": "constraints",
    "--algorithm": "algorithm",
    "--evaluator": "evaluators",
    "--fitness": "fitness",
    "--fitness-schedule": "fitness_schedule",
    "--init-archs": "init_archs",
    "--checkpoint": "checkpoint",
    "--latency-model": "latency_model",
    "--accuracy-model": "accuracy_model",
    "--device": "device",
    "--iterations": "iterations",
    "--max-evaluations": "max_evaluations",
    "--population": "population",
    "--parents": "parents",
    "--mutation-size": "mutation_size",
    "--mutation-prob": "mutation_prob",
    "--crossover-size": "crossover_size",
    "--seed": "seed",
    "--max-retries": "max_retries",
    "--batch-size": "batch_size",
    "--out": "out",
    "--resume": "resume",
}


def register(app: typer.Typer) -> None:
    app.command("search")(search)


@friendly_errors
def search(
    space: str | None = typer.Option(None, "--space", help="Space name or path to a space YAML file."),
    objective: list[str] | None = typer.Option(
        None, "--objective", help="METRIC:min|max (repeatable, priority order)."
    ),
    constraint: list[str] | None = typer.Option(
        None, "--constraint", help="'METRIC<=VALUE', also <, >=, > (repeatable)."
    ),
    algorithm: str | None = typer.Option(None, "--algorithm", help="evolution (default), random or local."),
    evaluator: list[str] | None = typer.Option(
        None, "--evaluator", help="Evaluator name (repeatable; default analytic)."
    ),
    fitness: str | None = typer.Option(
        None, "--fitness", help="Evaluator giving the fitness (e.g. supernet); default objective: minimise it."
    ),
    fitness_schedule: list[str] | None = typer.Option(
        None,
        "--fitness-schedule",
        help="Hybrid search: 'EVALUATOR:START-END,...' (e.g. 'llm-distill:0-14,supernet:15-'); repeatable.",
    ),
    init_archs: str | None = typer.Option(
        None, "--init-archs", help="JSONL (or YAML/JSON list) of {space, genes} archs seeding the first generation."
    ),
    checkpoint: str | None = typer.Option(None, "--checkpoint", help="Supernet checkpoint (supernet evaluator)."),
    latency_model: str | None = typer.Option(
        None,
        "--latency-model",
        help="Saved latency predictor: adds the predicted 'latency' metric (default for a 'latency' objective or "
        "constraint: the predictor shipped for the space and this device).",
    ),
    accuracy_model: str | None = typer.Option(
        None, "--accuracy-model", help="Saved LLM-Distill-PP accuracy predictor (llm-distill evaluator)."
    ),
    device: str | None = typer.Option(None, "--device", help="auto (default), cpu or cuda, for model evaluators."),
    iterations: int | None = typer.Option(None, "--iterations", help="Ask/tell rounds (default 30)."),
    max_evaluations: int | None = typer.Option(None, "--max-evaluations", help="Stop after this many evaluated archs."),
    population: int | None = typer.Option(None, "--population", help="Batch size / first generation (default 125)."),
    parents: int | None = typer.Option(None, "--parents", help="Evolution: parents kept (default 25)."),
    mutation_size: int | None = typer.Option(None, "--mutation-size", help="Evolution: mutants (default 50)."),
    mutation_prob: float | None = typer.Option(
        None, "--mutation-prob", help="Evolution: mutation prob. (default 0.3)."
    ),
    crossover_size: int | None = typer.Option(None, "--crossover-size", help="Evolution: crossovers (default 50)."),
    seed: int | None = typer.Option(None, "--seed", help="Random seed (default 0): same seed, same result."),
    max_retries: int | None = typer.Option(
        None, "--max-retries", help="Draws to meet cheap constraints (default 1000)."
    ),
    batch_size: int | None = typer.Option(None, "--batch-size", help="Archs per evaluator call (default 64)."),
    out: str | None = typer.Option(None, "--out", help="Run directory (must be new or empty unless --resume)."),
    resume: bool | None = typer.Option(None, "--resume", help="Continue the killed or finished run in --out."),
    config_file: Path | None = typer.Option(None, "--config", help="YAML file with any of the settings above."),
    as_json: bool = typer.Option(False, "--json", help="Print the run summary and result as JSON."),
) -> None:
    """Search a space for the best arch under constraints; results go to --out (config, journal, result.json)."""
    flags: dict[str, Any] = {
        "space": space,
        "objectives": objective or None,
        "constraints": constraint or None,
        "algorithm": algorithm,
        "evaluators": evaluator or None,
        "fitness": fitness,
        "fitness_schedule": fitness_schedule or None,
        "init_archs": init_archs,
        "checkpoint": checkpoint,
        "latency_model": latency_model,
        "accuracy_model": accuracy_model,
        "device": device,
        "iterations": iterations,
        "max_evaluations": max_evaluations,
        "population": population,
        "parents": parents,
        "mutation_size": mutation_size,
        "mutation_prob": mutation_prob,
        "crossover_size": crossover_size,
        "seed": seed,
        "max_retries": max_retries,
        "batch_size": batch_size,
        "out": out,
        "resume": resume,
    }
    from hwnas.search import execute, load_config_file, plan_search, resolve_config  # lazy: keeps `hwnas --help` fast

    started = time.perf_counter()
    file_values = load_config_file(config_file) if config_file is not None else {}
    plan = plan_search(resolve_config(file_values, flags))  # validates everything; nothing is written before this
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
