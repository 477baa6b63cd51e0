"""One cell of ``benchmarks/lm_searcher.py``: a (problem, method, seed) search run through hwnas's run loop
(:func:`hwnas.search.loop.plan_search` / :func:`~hwnas.search.loop.execute`, what ``hwnas search`` runs), read back
from its journal as the objective's value per trial, and kept as ``<out>/<problem>/<method>/seed-<k>.json`` once it
ended, so a killed benchmark resumes cell by cell (an unfinished run resumes from its own journal)."""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hwnas.core.files import write_json_atomic
from hwnas.core.objectives import Constraint, Objective
from hwnas.search.config import build_config
from hwnas.search.loop import execute, plan_search
from hwnas.search.records import Scorer
from hwnas.studies.scoring import read_evaluations
from hwnas.studies.suite import ROUNDS_PER_EVALUATION, presets


@dataclass(frozen=True)
class Method:
    name: str
    searcher: str  # the registered searcher it runs
    title: str
    llm: str | None = None  # embedded | adapter | endpoint: which LLM an lm-searcher variant asks


METHODS = {
    m.name: m
    for m in (
        Method("lm-searcher", "lm-searcher", "LM-Searcher, untuned embedded SmolLM2-135M", "embedded"),
        Method(
            "lm-searcher-tuned", "lm-searcher", "LM-Searcher, embedded SmolLM2-135M + the tuned LoRA adapter", "adapter"
        ),
        Method("lm-searcher-endpoint", "lm-searcher", "LM-Searcher, an OpenAI-compatible endpoint", "endpoint"),
        Method("random", "random", "random search"),
        Method("rea", "morea", "regularised evolution (hwnas morea on one objective: REA, Real et al. 2019)"),
        Method("evolution", "evolution", "HAT's evolution (truncation selection; not regularised)"),
        Method("local", "local", "local search (hill climbing over one-decision moves, restarts)"),
    )
}


def method_options(method: Method, args: argparse.Namespace, out: Path) -> dict[str, Any]:
    """The searcher options of one method (the LLM settings go under ``llm``, as ``--searcher-opt llm.KEY=V``)."""
    if method.llm is None:
        return dict(presets(args.population).get(method.searcher, {}))
    llm: dict[str, Any] = {"threads": 1, "timeout_s": args.llm_timeout_s, "cache_dir": str(out / "llm-cache")}
    if method.llm in ("embedded", "adapter"):
        llm["backend"] = args.llm_backend
        llm |= device_option(args.llm_device)
    if method.llm == "adapter":
        llm["adapter"] = str(args.adapter)
    if method.llm == "endpoint":
        llm |= {
            "client": "openai",
            "base_url": args.endpoint,
            "model": args.endpoint_model,
            "api_key_env": args.endpoint_api_key_env,
        }
    extra = dict(args.lm_opt)
    return {"trials": args.trials, "history_cap": args.history_cap, "pool_size": args.pool_size, **extra, "llm": llm}


def device_option(device: str) -> dict[str, str]:
    """``llm.device`` for the embedded model (``device`` resolved: cpu, cuda or cuda:N). Left out for the CPU on a
    machine without CUDA, where the default (auto) is the CPU anyway: the cells and run folders made before
    ``--device`` existed stay valid there."""
    import torch

    return {} if device == "cpu" and not torch.cuda.is_available() else {"device": device}


def adapter_facts(folder: Path | None) -> dict[str, Any] | None:
    """The adapter's identity and what ``hwnas-adapter.json`` says it was trained on (``train_sources``)."""
    if folder is None:
        return None
    from common import portable_path

    from hwnas.core.errors import ConfigError
    from hwnas.llm.adapter import adapter_id, check_adapter, read_provenance

    try:
        path = check_adapter(folder)
    except ConfigError as exc:
        raise SystemExit(f"--adapter: {exc}") from None
    provenance = read_provenance(path)
    sources = provenance.get("train_sources")
    valid = isinstance(sources, list) and all(isinstance(s, str) for s in sources)
    return {
        "path": portable_path(path),
        "id": adapter_id(path),
        "train_sources": sources if valid else None,
        "provenance": provenance,
    }


def cell_path(out: Path, problem: str, method: str, seed: int) -> Path:
    return out / problem / method / f"seed-{seed}.json"


def _identity(
    definition: dict[str, Any], method: Method, options: dict[str, Any], seed: int, args: argparse.Namespace
) -> dict[str, Any]:
    """What a stored cell must have been made with to be reused (the cache folder aside; the adapter by digest)."""
    llm = {k: v for k, v in options.get("llm", {}).items() if k not in ("cache_dir", "adapter")}
    if llm.get("device") == "cpu":  # the CPU's picks are the same wherever it was asked for (see device_option)
        del llm["device"]
    if method.llm == "adapter":
        from hwnas.llm.adapter import adapter_id

        llm["adapter_id"] = adapter_id(Path(args.adapter))
    searcher = {**options, "llm": llm} if "llm" in options else options
    identity = {
        "problem": definition,
        "method": method.name,
        "searcher": method.searcher,
        "options": searcher,
        "seed": seed,
        "trials": args.trials,
        "population": 1 if method.llm else args.population,
    }
    return json.loads(json.dumps(identity))


def search_config(
    definition: dict[str, Any],
    method: Method,
    options: dict[str, Any],
    seed: int,
    trials: int,
    population: int,
    run_dir: Path,
) -> Any:
    return build_config(
        {
            "space": definition["space"],
            "objectives": [definition["objective"]],
            "constraints": definition["constraints"],
            "evaluators": definition["evaluators"],
            "searcher": {"name": method.searcher, "options": options},
            "population": population,
            "iterations": trials * ROUNDS_PER_EVALUATION,  # a searcher re-asking known archs still stops
            "max_evaluations": trials,
            "seed": seed,
            "out": str(run_dir),
            "resume": run_dir.is_dir() and any(run_dir.iterdir()),
        }
    )


def run_cell(args: argparse.Namespace, definition: dict[str, Any], problem: str, method: Method, seed: int) -> dict:
    """The cell's run summary: stored, or made now (a run that raises is recorded as a crash, never re-raised)."""
    out = Path(args.out)
    path = cell_path(out, problem, method.name, seed)
    options = method_options(method, args, out)
    population = 1 if method.llm else args.population
    identity = _identity(definition, method, options, seed, args)
    if path.is_file():
        stored = json.loads(path.read_text(encoding="utf-8"))
        if stored.get("identity") != identity:
            raise SystemExit(f"{path} was made with other settings; choose another --out or give the same arguments")
        _log(f"  {problem} {method.name} seed {seed}: stored ({_brief(stored['run'])})")
        run: dict[str, Any] = stored["run"]
        return run
    run_dir = path.with_suffix("")
    plan = plan_search(search_config(definition, method, options, seed, args.trials, population, run_dir))
    started = time.perf_counter()
    base = {"problem": problem, "method": method.name, "seed": seed, "run_dir": str(run_dir.relative_to(out))}
    try:
        outcome = execute(plan)
    except Exception as exc:  # the searcher's crash is the measurement; the benchmark goes on
        error = f"{type(exc).__name__}: {exc}"
        run = {
            **base,
            "status": "crash",
            "error": error,
            "traceback": traceback.format_exc(limit=8),
            "wall_s": time.perf_counter() - started,
        }
        _log(f"  {problem} {method.name} seed {seed}: CRASH {error} (delete {path} to run it again)")
    else:
        run = {**base, **_summary(definition, outcome, time.perf_counter() - started)}
        _log(f"  {problem} {method.name} seed {seed}: {_brief(run)}")
    write_json_atomic(path, {"identity": identity, "run": run})
    return run


def _summary(definition: dict[str, Any], outcome: Any, wall_s: float) -> dict[str, Any]:
    """A finished run: the objective's value per trial (None: infeasible or failed), counts, times, LLM paths."""
    scorer = Scorer(
        (Objective.parse(definition["objective"]),), tuple(Constraint.parse(c) for c in definition["constraints"])
    )
    evaluations = read_evaluations(outcome.run_dir)
    records = [scorer.record(_arch(e.arch), e.metrics, e.error) for e in evaluations]
    values = [r.metrics[definition["metric"]] if r.status == "ok" else None for r in records]
    feasible = [v for v in values if v is not None]
    best = (min if definition["direction"] == "min" else max)(feasible) if feasible else None
    seconds = list(outcome.timings.get("iterations_s") or [])
    timed = outcome.new_evaluations == len(evaluations)  # made from scratch by this process
    return {
        "status": "ok",
        "error": None,
        "evaluations": len(evaluations),
        "failed": sum(r.status == "failed" for r in records),
        "infeasible": sum(r.status == "infeasible" for r in records),
        "values": values,
        "best": best,
        "stopped": outcome.result.stopped,
        "wall_s": wall_s if timed else None,
        "new_evaluations": outcome.new_evaluations,
        "iteration_s": {
            "median": statistics.median(seconds) if seconds else None,
            "max": max(seconds) if seconds else None,
            "total": sum(seconds),
        },
        "searcher": outcome.result.searcher,
    }


def _arch(data: dict[str, Any]) -> Any:
    from hwnas.core.arch import Arch

    return Arch.from_dict(data)


def _brief(run: dict[str, Any]) -> str:
    if run["status"] != "ok":
        return f"crash: {run['error']}"
    wall = "not timed" if run.get("wall_s") is None else f"{run['wall_s']:.1f} s"
    paths = (run.get("searcher") or {}).get("paths")
    used = ", ".join(f"{k} {v}" for k, v in paths.items() if v) if isinstance(paths, dict) else ""
    best = "-" if run["best"] is None else f"{run['best']:.4g}"
    return f"{run['evaluations']} trials, best {best}, {wall}, stopped: {run['stopped']}" + (
        f", paths: {used}" if used else ""
    )


def _log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)
