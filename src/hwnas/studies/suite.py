"""Many searches on one problem: every (algorithm, seed) is an ordinary, resumable search run directory
(``<out>/<algorithm>/seed-<k>``) with the same evaluation budget, and ``<out>/summary.json`` scores them all
(hypervolume after every evaluation, mean and standard error over seeds at the chosen budgets, final fronts,
attainment surfaces of 2-D problems).

A killed suite started again with the same arguments resumes: finished runs replay from their journals without a
new evaluation, an unfinished one continues where it stopped, and the rest start. The settings are stored in
``<out>/suite.json``; a suite folder is never resumed with other settings.

Algorithm presets: at the budgets such benchmarks use (100-1,000 evaluations), HAT's generation of 125 would spend
most of the budget on random archs, so the suite asks ``population`` archs per round (default 20) and scales the
evolution's sizes to it (a quarter kept as parents, half mutants, half crossovers: HAT's 25 / 50 / 50 of 125 is a
fifth, two fifths, two fifths). ``options`` override any preset.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from hwnas.contracts.searcher import SEARCHERS
from hwnas.core.errors import ConfigError, DataError
from hwnas.core.files import check_writable, write_json_atomic
from hwnas.search.config import build_config
from hwnas.search.loop import plan_search, run_search
from hwnas.studies.problem import Problem
from hwnas.studies.scoring import aggregate, attainment, normalised_front, run_summary

SUITE_FILE = "suite.json"
SUMMARY_FILE = "summary.json"
ROUNDS_PER_EVALUATION = 10  # iteration cap: a searcher re-asking known archs still stops


def presets(population: int) -> dict[str, dict[str, Any]]:
    """Each built-in searcher's options for a round of ``population`` archs (see the module doc)."""
    half = max(1, population // 2)
    evolution = {"parents": max(2, population // 4), "mutation_size": half, "crossover_size": half}
    return {"evolution": evolution, "evolution-rs": evolution}


@dataclass(frozen=True)
class SuiteSettings:
    problem: str  # name or path, as given
    algorithms: tuple[str, ...]
    seeds: tuple[int, ...]
    evaluations: int
    population: int = 20
    budgets: tuple[int, ...] = ()
    options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # per algorithm, over the presets

    def check(self) -> None:
        """Every name and number, before anything is run or written."""
        known = SEARCHERS.names()
        for algorithm in self.algorithms:
            if algorithm not in known:
                raise ConfigError(f"algorithm {algorithm!r} is not a searcher; allowed: {', '.join(known)}")
        if len(set(self.algorithms)) != len(self.algorithms) or not self.algorithms:
            raise ConfigError("algorithms: give one or more distinct searcher names")
        if not self.seeds or len(set(self.seeds)) != len(self.seeds) or min(self.seeds) < 0:
            raise ConfigError("seeds: give one or more distinct non-negative seeds")
        if self.evaluations < 1 or self.population < 1:
            raise ConfigError("evaluations and population must be >= 1")
        bad = [b for b in self.budgets if not 1 <= b <= self.evaluations]
        if bad:
            raise ConfigError(f"budget {bad[0]} is outside 1..{self.evaluations} (the evaluations of each run)")
        unused = sorted(set(self.options) - set(self.algorithms))
        if unused:
            raise ConfigError(f"options are given for {unused[0]!r}, which is not among the algorithms")

    def searcher_options(self, algorithm: str) -> dict[str, Any]:
        return {**presets(self.population).get(algorithm, {}), **self.options.get(algorithm, {})}

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["options"] = {k: dict(v) for k, v in self.options.items()}
        return data


ProgressFn = Callable[[dict[str, Any]], None]


def run_config(
    problem: Problem,
    settings: SuiteSettings,
    algorithm: str,
    seed: int,
    out: Path,
    executor: Mapping[str, Any] | None = None,
) -> Any:
    """The search config of one (algorithm, seed) run. ``executor`` (a search config's executor block; default
    serial) runs its evaluation batches; it is not part of the suite's identity: the result does not depend on it,
    so a suite may resume on another executor."""
    return build_config(
        {
            "space": problem.space,
            "objectives": problem.run_objectives(),
            "constraints": problem.run_constraints(),
            "evaluators": problem.evaluator_blocks(),
            "searcher": {"name": algorithm, "options": settings.searcher_options(algorithm)},
            "population": settings.population,
            "iterations": settings.evaluations * ROUNDS_PER_EVALUATION,
            "max_evaluations": settings.evaluations,
            "seed": seed,
            "out": str(out),
            "resume": out.is_dir() and any(out.iterdir()),
            "executor": dict(executor or {"name": "serial"}),
        }
    )


def run_suite(
    problem: Problem,
    settings: SuiteSettings,
    out: str | Path,
    *,
    progress: ProgressFn | None = None,
    executor: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Run (or resume) every (algorithm, seed) and write ``summary.json``; returns the summary. ``executor``: see
    :func:`run_config`."""
    settings.check()
    out = Path(out)
    configs = {
        (a, s): run_config(problem, settings, a, s, out / a / f"seed-{s}", executor)
        for a in settings.algorithms
        for s in settings.seeds
    }  # every run's config validated before the first one starts, one per algorithm planned (nothing written)
    prepare_folder(problem, settings, out, [configs[(a, settings.seeds[0])] for a in settings.algorithms])
    runs: dict[str, list[dict[str, Any]]] = {a: [] for a in settings.algorithms}
    total = len(configs)
    for done, ((algorithm, seed), config) in enumerate(configs.items(), start=1):
        summary = score_run(problem, settings, config, out, algorithm=algorithm, seed=seed)
        runs[algorithm].append(summary)
        if progress is not None:
            progress({"done": done, "total": total, **{k: summary[k] for k in ("algorithm", "seed", "evaluations")},
                      "hypervolume": summary["hypervolume"][-1] if summary["hypervolume"] else 0.0,
                      "new_evaluations": summary["new_evaluations"], "wall_s": summary["wall_s"]})  # fmt: skip
    return write_summary(problem, settings, out, runs)


def prepare_folder(problem: Problem, settings: SuiteSettings, out: Path, configs: Sequence[Any]) -> None:
    """What :func:`run_suite` checks and writes before its first run, for a caller that runs the runs itself (a
    sweep): the folder is new or this suite's, each algorithm's first run is planned, ``suite.json`` is written.
    ``configs``: one run config per algorithm."""
    stored = _check_folder(out, problem, settings)
    for config in configs:
        plan_search(config)
    if not stored:
        out.mkdir(parents=True, exist_ok=True)
        write_json_atomic(out / SUITE_FILE, _identity(problem, settings))


def score_run(
    problem: Problem, settings: SuiteSettings, config: Any, out: Path, *, algorithm: str, seed: int
) -> dict[str, Any]:
    """Run (or resume) one (algorithm, seed) of the suite in ``out`` and score it: its entry of the summary's
    ``runs``."""
    started = time.perf_counter()
    outcome = run_search(config)
    summary: dict[str, Any] = {"algorithm": algorithm, "seed": seed, "run_dir": str(Path(config.out).relative_to(out))}
    summary |= run_summary(problem, config.out, settings.budgets or (settings.evaluations,))
    summary |= {"new_evaluations": outcome.new_evaluations, "wall_s": time.perf_counter() - started}
    summary["search_s"] = outcome.timings.get("total_s")  # the loop's own time, replayed iterations included
    return summary


def write_summary(
    problem: Problem, settings: SuiteSettings, out: Path, runs: Mapping[str, Sequence[dict[str, Any]]]
) -> dict[str, Any]:
    """``summary.json`` of the scored runs (per algorithm, in seed order); returns it."""
    budgets = settings.budgets or (settings.evaluations,)
    result = {
        "problem": problem.model_dump(mode="json"),
        "settings": settings.to_dict(),
        "budgets": list(budgets),
        "table": aggregate(runs, budgets),
        "attainment": _attainment(problem, runs) if len(problem.objectives) == 2 else None,
        "runs": [run for algorithm in settings.algorithms for run in runs[algorithm]],
    }
    write_json_atomic(out / SUMMARY_FILE, result)
    return result


def _attainment(problem: Problem, runs: Mapping[str, Sequence[dict[str, Any]]]) -> dict[str, Any]:
    """Per algorithm: the best, median and worst attainment surfaces of its seeds' final fronts (normalised)."""
    surfaces = {}
    for algorithm, summaries in runs.items():
        fronts = [normalised_front(problem, s["front"]) for s in summaries]  # the fronts already scored
        surfaces[algorithm] = {str(k): v for k, v in attainment([np.asarray(f) for f in fronts]).items()}
    return surfaces


def _identity(problem: Problem, settings: SuiteSettings) -> dict[str, Any]:
    """What ``suite.json`` stores, as it reads back (JSON: tuples become lists)."""
    data: dict[str, Any] = json.loads(
        json.dumps({"problem": problem.model_dump(mode="json"), "settings": settings.to_dict()})
    )
    return data


def _check_folder(out: Path, problem: Problem, settings: SuiteSettings) -> bool:
    """Whether ``out`` already holds this suite (to resume); refuses a folder holding anything else. Writes nothing."""
    check_writable(out, what="suite folder", folder=True)
    stored_path = out / SUITE_FILE
    if not stored_path.is_file():
        if out.is_dir() and any(out.iterdir()):
            raise ConfigError(f"suite folder {str(out)!r} is not empty and holds no {SUITE_FILE}; choose another --out")
        return False
    try:
        stored = json.loads(stored_path.read_text(encoding="utf-8"))
    except ValueError:
        raise DataError(f"{str(stored_path)!r} is not valid JSON; the suite folder is damaged") from None
    wanted = _identity(problem, settings)
    for key in ("problem", "settings"):
        # the budgets only choose what the summary reports: a suite may be re-scored at other ones
        if _without_budgets(stored.get(key)) != _without_budgets(wanted[key]):
            raise ConfigError(
                f"suite folder {str(out)!r} holds a suite with other {key}; choose another --out or give the same "
                "arguments to resume it"
            )
    return True


def _without_budgets(value: Any) -> Any:
    return {k: v for k, v in value.items() if k != "budgets"} if isinstance(value, dict) else value
