"""The single-objective problems of ``benchmarks/lm_searcher.py``, made from the bundled multi-objective ones
(``hwnas bench problems``): keep the first objective, and turn every other one into a budget at ``fraction`` of the
way from its best to its worst bound (0.5: the middle of the range the bundled file gives, e.g. gpt-s latency on the
H100 <= 8.6 ms of 4.42-12.79). The run's evaluators are the bundled problem's (``bench`` on the named devices for
HW-GPT-Bench, the shipped ``accuracy-model`` / ``latency-model`` for HAT).

On HW-GPT-Bench spaces the table's best is known too: the best objective value among the table's rows whose value
of every metric involved is measured (not a surrogate's) and meets the budgets, asked through the same benchmark
(mode ``mean``, the evaluator's) as the runs' answers.
"""

from __future__ import annotations

from typing import Any

from hwnas.core.objectives import Constraint
from hwnas.studies.problem import BENCH_SPACES, device_of, load_problem, run_metric


def single_objective(name: str, fraction: float) -> dict[str, Any]:
    """The definition of one problem (plain data, as the result JSON stores it)."""
    problem = load_problem(name)
    first, *others = problem.parsed_objectives()
    budgets = []
    for objective in others:
        best, worst = problem.bounds[objective.metric]
        value = float(f"{best + fraction * (worst - best):.4g}")
        op = "<=" if objective.direction == "min" else ">="
        budgets.append(
            {
                "metric": objective.metric,
                "value": value,
                "bounds": [best, worst],
                "constraint": str(Constraint(run_metric(objective.metric), op, value)),
            }
        )
    return {
        "from": problem.name,
        "space": problem.space,
        "objective": f"{run_metric(first.metric)}:{first.direction}",
        "metric": run_metric(first.metric),
        "direction": first.direction,
        "constraints": [*problem.run_constraints(), *(b["constraint"] for b in budgets)],
        "budgets": budgets,
        "budget_fraction": fraction,
        "evaluators": problem.evaluator_blocks(),
        "devices": problem.devices(),
        "bounds_provenance": problem.provenance,
    }


def describe(definition: dict[str, Any]) -> str:
    """One line: ``perplexity:min s.t. latency_h100<=8.605``."""
    return f"{definition['objective']} s.t. {', '.join(definition['constraints'])}"


def _parts(name: str) -> tuple[str, str | None]:
    """A run metric (``latency_h100``) of a problem as the benchmark's (metric, device), from the bundled names."""
    device = device_of(name)
    return (name.split("@", 1)[0], device) if device else (name, None)


def table_best(definition: dict[str, Any]) -> dict[str, Any] | None:
    """The best measured feasible table row of a HW-GPT-Bench problem (None on other spaces)."""
    if definition["space"] not in BENCH_SPACES or len(definition["constraints"]) != len(definition["budgets"]):
        return None  # another space, or the bundled problem's own constraints (none so far) would need their metrics
    import numpy as np

    from hwnas.bench.benchmark import Benchmark
    from hwnas.data.hwgpt_table import load_hwgptbench

    problem = load_problem(definition["from"])
    scale = definition["space"].removeprefix("gpt-")
    table = load_hwgptbench(scale)
    bench = Benchmark(definition["space"])
    archs = [table.arch(i) for i in range(len(table))]
    first = problem.parsed_objectives()[0]
    answer = bench.query(archs, *_parts(first.metric), mode="mean")
    values, exact = np.asarray(answer.values, dtype=float), np.asarray(answer.exact, dtype=bool)
    ok = exact & np.isfinite(values)
    for budget in definition["budgets"]:
        other = bench.query(archs, *_parts(budget["metric"]), mode="mean")
        limit = np.asarray(other.values, dtype=float)
        meets = limit <= budget["value"] if "<=" in budget["constraint"] else limit >= budget["value"]
        ok &= np.asarray(other.exact, dtype=bool) & meets
    if not ok.any():
        return {"value": None, "rows": 0, "of": len(table)}
    pick = np.where(ok, values, np.inf if first.direction == "min" else -np.inf)
    row = int(np.argmin(pick) if first.direction == "min" else np.argmax(pick))
    return {
        "value": float(values[row]),
        "rows": int(ok.sum()),
        "of": len(table),
        "arch": table.arch(row),
        "note": "rows whose every metric involved is measured and meets the budgets",
    }
