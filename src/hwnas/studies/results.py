"""Reading finished suites (``summary.json`` of ``hwnas bench run``) and comparing them: the hypervolume curve of
each algorithm (mean and standard error over seeds after every evaluation), the table at chosen budgets (any budget
up to the runs' evaluations: every run's hypervolume trace is in the summary), which algorithm leads each budget and
whether the runner-up is within one standard error of it, and the merge of several suites, possibly of different
problems (``hwnas bench compare``).

Two results may both hold an algorithm on a problem only when they ran it with the same settings (evaluations,
population, seeds, its options) on the same problem definition (objectives, constraints, bounds, reference point):
their runs are then the same seeded runs, and the first result's are used. Anything else is refused, naming both
files, since hypervolumes on other bounds, or of other runs, are not comparable.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError

from hwnas.core.errors import ConfigError, DataError
from hwnas.studies.problem import Problem
from hwnas.studies.scoring import aggregate, at_budgets
from hwnas.studies.suite import SUITE_FILE, SUMMARY_FILE

SUMMARY_KEYS = ("problem", "settings", "budgets", "table", "runs")
RUN_KEYS = ("algorithm", "seed", "hypervolume")
COMPARED_SETTINGS = ("evaluations", "population", "seeds")  # plus the algorithm's own options


def is_suite_folder(path: str | Path) -> bool:
    """Whether ``path`` is a suite folder of ``hwnas bench run`` (finished or not)."""
    return (Path(path) / SUITE_FILE).is_file()


@dataclass(frozen=True)
class SuiteResult:
    """One finished suite: where it was read from, its summary and its problem."""

    path: Path  # the summary file
    summary: dict[str, Any]
    problem: Problem

    @property
    def algorithms(self) -> list[str]:
        return list(dict.fromkeys(str(run["algorithm"]) for run in self.summary["runs"]))

    def runs(self, algorithm: str) -> list[dict[str, Any]]:
        return [run for run in self.summary["runs"] if run["algorithm"] == algorithm]

    def settings_of(self, algorithm: str) -> dict[str, Any]:
        """What decides an algorithm's runs besides the problem: evaluations, population, seeds, its options."""
        settings = self.summary["settings"]
        found = {key: settings.get(key) for key in COMPARED_SETTINGS}
        found["seeds"] = sorted(int(run["seed"]) for run in self.runs(algorithm))
        found["options"] = (settings.get("options") or {}).get(algorithm, {})
        return found

    @property
    def evaluations(self) -> int:
        """Evaluations per run (the suite's setting, else the longest run)."""
        value = self.summary["settings"].get("evaluations")
        if isinstance(value, int):
            return value
        return max((len(run["hypervolume"]) for run in self.summary["runs"]), default=0)


def rerun_hint(folder: Path) -> str:
    """The ``hwnas bench run`` command that finishes and scores a suite folder (from its suite.json)."""
    try:
        settings = json.loads((folder / SUITE_FILE).read_text(encoding="utf-8"))["settings"]
        seeds = [int(s) for s in settings["seeds"]]
        parts = [
            "hwnas bench run",
            f"--problem {settings['problem']}",
            f"--algorithms {','.join(settings['algorithms'])}",
        ]
        if seeds != list(range(len(seeds))):  # the CLI runs seeds 0..N-1
            raise ValueError("seeds")
        parts += [f"--seeds {len(seeds)}", f"--evaluations {settings['evaluations']}"]
        parts += [f"--population {settings['population']}"]
        if settings.get("budgets"):
            parts.append(f"--budgets {','.join(str(b) for b in settings['budgets'])}")
        for algorithm, options in (settings.get("options") or {}).items():
            parts += [f"--algorithm-opt {algorithm}.{key}={json.dumps(value)}" for key, value in options.items()]
        parts.append(f"--out {folder}")
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return "rerun `hwnas bench run` with the same arguments to finish and score it"
    return f"rerun `hwnas bench run` with the same arguments to finish and score it: {' '.join(parts)}"


def load_result(path: str | Path) -> SuiteResult:
    """A suite folder or its ``summary.json``; every refusal names the path and what to give instead."""
    given = Path(path)
    if not given.exists():
        raise DataError(
            f"result {str(given)!r} does not exist; give a suite folder (hwnas bench run --out) or its {SUMMARY_FILE}"
        )
    file = given
    if given.is_dir():
        file = given / SUMMARY_FILE
        if not file.is_file():
            if is_suite_folder(given):
                raise DataError(
                    f"suite folder {str(given)!r} has no {SUMMARY_FILE}: the suite did not finish; {rerun_hint(given)}"
                )
            raise DataError(
                f"{str(given)!r} is not a suite folder (no {SUITE_FILE}, no {SUMMARY_FILE}); give the --out folder "
                f"of `hwnas bench run` or its {SUMMARY_FILE}"
            )
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise DataError(f"{str(file)!r} is not valid JSON (not UTF-8); expected a suite's {SUMMARY_FILE}") from None
    except ValueError as exc:
        raise DataError(f"{str(file)!r} is not valid JSON ({exc}); expected a suite's {SUMMARY_FILE}") from None
    return SuiteResult(file, data, _check_summary(data, file))


def _check_summary(data: Any, file: Path) -> Problem:
    def refuse(what: str) -> DataError:
        return DataError(f"{str(file)!r} is not a suite summary of `hwnas bench run`: {what}")

    if not isinstance(data, dict):
        raise refuse("expected a JSON object")
    missing = [key for key in SUMMARY_KEYS if key not in data]
    if missing:
        raise refuse(f"no {', '.join(repr(k) for k in missing)}")
    if not isinstance(data["settings"], dict) or not isinstance(data["table"], dict):
        raise refuse("'settings' and 'table' must be objects")
    if not isinstance(data["budgets"], list) or not all(isinstance(b, int) for b in data["budgets"]):
        raise refuse("'budgets' must be a list of integers")
    runs = data["runs"]
    if not isinstance(runs, list) or not runs:
        raise refuse("'runs' must be a non-empty list")
    for index, run in enumerate(runs):
        if not isinstance(run, dict) or any(key not in run for key in RUN_KEYS):
            raise refuse(f"run {index} lacks one of {', '.join(RUN_KEYS)}")
        trace = run["hypervolume"]
        if not isinstance(trace, list) or not all(isinstance(v, int | float) for v in trace):
            raise refuse(f"run {index}: 'hypervolume' must be a list of numbers")
    try:
        return Problem.model_validate(data["problem"])
    except ValidationError as exc:
        error = exc.errors()[0]
        key = ".".join(str(p) for p in error["loc"]) or "(problem)"
        raise refuse(f"problem: {key}: {str(error['msg']).removeprefix('Value error, ')}") from None


# curves and tables ----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Curve:
    """An algorithm's hypervolume after evaluation 1, 2, ...: mean and standard error over the seeds that made that
    many evaluations (``n``); the standard error is NaN where fewer than two did."""

    mean: np.ndarray
    se: np.ndarray
    n: np.ndarray

    @property
    def evaluations(self) -> np.ndarray:
        return np.arange(1, len(self.mean) + 1)


def curve(runs: Sequence[Mapping[str, Any]]) -> Curve:
    """The mean ± standard error curve of runs' hypervolume traces (the formula of :func:`scoring.summarise`)."""
    length = max((len(run["hypervolume"]) for run in runs), default=0)
    values = np.full((len(runs), length), np.nan)
    for row, run in enumerate(runs):
        values[row, : len(run["hypervolume"])] = run["hypervolume"]
    n = np.sum(~np.isnan(values), axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.nansum(values, axis=0) / n
        deviation = np.sqrt(np.nansum((values - mean) ** 2, axis=0) / (n - 1))
        se = np.where(n > 1, deviation / np.sqrt(n), np.nan)
    return Curve(mean, se, n)


def budget_table(runs: Mapping[str, Sequence[Mapping[str, Any]]], budgets: Sequence[int]) -> dict[str, Any]:
    """Per algorithm and budget: mean, standard error, seeds and short runs, from the runs' traces (the same numbers
    as the suite's own table at its budgets)."""

    def scored(run: Mapping[str, Any]) -> dict[str, Any]:
        trace = np.asarray(run["hypervolume"], dtype=float)
        return {"at_budgets": {str(b): v for b, v in at_budgets(trace, budgets).items()}}

    return aggregate({algorithm: [scored(r) for r in rs] for algorithm, rs in runs.items()}, budgets)


def ranking(table: Mapping[str, Mapping[str, Mapping[str, Any]]], budgets: Sequence[int]) -> dict[str, Any]:
    """Per budget: the best mean (hypervolume: higher is better), the runner-up, their difference, its standard
    error (``sqrt(se_best^2 + se_runner_up^2)``) and whether the difference is within it (None when a standard
    error is missing, e.g. one seed, or there is no runner-up)."""
    ranks: dict[str, Any] = {}
    for b in budgets:
        cells = [(algorithm, row[str(b)]) for algorithm, row in table.items() if row[str(b)]["mean"] is not None]
        cells.sort(key=lambda item: -float(item[1]["mean"]))
        entry: dict[str, Any] = {"best": None, "runner_up": None, "difference": None, "se_difference": None,
                                 "within_one_se": None}  # fmt: skip
        if cells:
            entry["best"] = cells[0][0]
        if len(cells) > 1:
            (_, first), (runner_up, second) = cells[0], cells[1]
            entry["runner_up"] = runner_up
            entry["difference"] = float(first["mean"]) - float(second["mean"])
            if first["se"] is not None and second["se"] is not None:
                entry["se_difference"] = math.hypot(float(first["se"]), float(second["se"]))
                entry["within_one_se"] = entry["difference"] <= entry["se_difference"]
        ranks[str(b)] = entry
    return ranks


# comparing results ----------------------------------------------------------------------------------------------------
@dataclass
class ProblemComparison:
    """Every algorithm run on one problem, from whichever result holds it."""

    problem: Problem
    sources: dict[str, SuiteResult] = field(default_factory=dict)  # algorithm -> the result its runs come from
    budgets: list[int] = field(default_factory=list)
    table: dict[str, Any] = field(default_factory=dict)
    ranking: dict[str, Any] = field(default_factory=dict)

    @property
    def results(self) -> list[SuiteResult]:
        return list({id(r): r for r in self.sources.values()}.values())

    def runs(self, algorithm: str) -> list[dict[str, Any]]:
        return self.sources[algorithm].runs(algorithm)

    def curves(self) -> dict[str, Curve]:
        return {algorithm: curve(self.runs(algorithm)) for algorithm in self.sources}

    def to_dict(self) -> dict[str, Any]:
        return {
            "problem": self.problem.model_dump(mode="json"),
            "budgets": list(self.budgets),
            "table": self.table,
            "ranking": self.ranking,
            "algorithms": {
                algorithm: {"source": str(result.path), **result.settings_of(algorithm)}
                for algorithm, result in self.sources.items()
            },
        }


@dataclass
class Comparison:
    problems: dict[str, ProblemComparison]
    results: list[SuiteResult]
    notes: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {
            "results": [
                {"path": str(r.path), "problem": r.problem.name, "algorithms": r.algorithms} for r in self.results
            ],
            "problems": {name: entry.to_dict() for name, entry in self.problems.items()},
            "notes": list(self.notes),
        }


def _definition(problem: Problem) -> dict[str, Any]:
    """What the hypervolume depends on (not the description or provenance)."""
    return problem.model_dump(mode="json", exclude={"description", "provenance"})


def compare(results: Sequence[SuiteResult], budgets: Sequence[int] | None = None) -> Comparison:
    """Merge ``results`` per problem and score every algorithm at ``budgets`` (default: the budgets the results
    report, per problem). Refuses conflicting results and budgets beyond a result's evaluations (ConfigError)."""
    if not results:
        raise ConfigError("give one or more results to compare")
    problems: dict[str, ProblemComparison] = {}
    notes: list[str] = []
    for result in results:
        name = result.problem.name
        entry = problems.setdefault(name, ProblemComparison(result.problem))
        first = entry.results[0] if entry.results else None
        if first is not None and _definition(first.problem) != _definition(result.problem):
            raise ConfigError(
                f"{str(first.path)!r} and {str(result.path)!r} both score problem {name!r} but define it differently "
                "(objectives, constraints, bounds or reference point): their hypervolumes are not comparable"
            )
        for algorithm in result.algorithms:
            earlier = entry.sources.get(algorithm)
            if earlier is None:
                entry.sources[algorithm] = result
                continue
            before, now = earlier.settings_of(algorithm), result.settings_of(algorithm)
            if before != now:
                differ = ", ".join(f"{k} {before[k]} vs {now[k]}" for k in before if before[k] != now[k])
                raise ConfigError(
                    f"algorithm {algorithm!r} on problem {name!r} is in both {str(earlier.path)!r} and "
                    f"{str(result.path)!r} with different settings ({differ}); compare results of the same settings, "
                    "or leave one of them out"
                )
            if earlier.path.resolve() != result.path.resolve():
                notes.append(
                    f"{algorithm} on {name}: {str(result.path)!r} repeats the runs of {str(earlier.path)!r} (same "
                    "settings); using the first"
                )
    for name, entry in problems.items():
        entry.budgets = _budgets(name, entry, budgets)
        entry.table = budget_table({a: entry.runs(a) for a in entry.sources}, entry.budgets)
        entry.ranking = ranking(entry.table, entry.budgets)
    unique = list({r.path.resolve(): r for r in results}.values())
    return Comparison(problems, unique, notes)


def _budgets(name: str, entry: ProblemComparison, wanted: Sequence[int] | None) -> list[int]:
    if not wanted:
        return sorted({int(b) for r in entry.results for b in r.summary["budgets"]})
    for b in wanted:
        if b < 1:
            raise ConfigError(f"budget {b} is not available: budgets count evaluations, 1 or more")
        for result in entry.results:
            if b > result.evaluations:
                raise ConfigError(
                    f"budget {b} is not available for problem {name!r}: {str(result.path)!r} ran "
                    f"{result.evaluations} evaluations per run; give budgets up to {result.evaluations}"
                )
    return sorted(set(wanted))


# text -----------------------------------------------------------------------------------------------------------------
def cell_text(stats: Mapping[str, Any]) -> str:
    """``mean ± se`` (4 decimals; the mean alone with one seed, ``-`` when no run reached the budget), and how many
    runs were too short for the budget."""
    if stats["mean"] is None:
        return "-"
    text = f"{stats['mean']:.4f}" + (f" ± {stats['se']:.4f}" if stats["se"] is not None else "")
    return text + (f" ({stats['short_runs']} short)" if stats.get("short_runs") else "")


def table_lines(entry: ProblemComparison) -> list[str]:
    """The table of one problem as text: a row per algorithm, a column per budget, ``*`` on the best mean, a line per
    budget whose best and runner-up are within one standard error of each other."""
    header = ["algorithm", "seeds", *[str(b) for b in entry.budgets]]
    rows = []
    for algorithm, row in entry.table.items():
        cells = []
        for b in entry.budgets:
            best = entry.ranking[str(b)]["best"] == algorithm
            cells.append(cell_text(row[str(b)]) + (" *" if best else ""))
        rows.append([algorithm, str(len(entry.runs(algorithm))), *cells])
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: Iterable[str]) -> str:
        return "  " + "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    objectives = ", ".join(entry.problem.objectives)
    lines = [f"{entry.problem.name} ({objectives}): hypervolume, mean ± standard error over seeds, by evaluations"]
    lines += [line(header).rstrip(), *[line(r).rstrip() for r in rows]]
    lines.append("  * the best mean at that budget")
    for b in entry.budgets:
        rank = entry.ranking[str(b)]
        if rank["within_one_se"]:
            lines.append(
                f"  ~ at {b}: {rank['best']} and {rank['runner_up']} are within one standard error of each other "
                f"(difference {rank['difference']:.4f} <= {rank['se_difference']:.4f}): not separated by these seeds"
            )
    if any(cell["mean"] is not None and cell["se"] is None for row in entry.table.values() for cell in row.values()):
        lines.append("  (one seed: no standard error, so no ranking is tested)")
    sources: dict[str, list[str]] = {}
    for algorithm, result in entry.sources.items():
        sources.setdefault(str(result.path), []).append(algorithm)
    lines.append("  from: " + "; ".join(f"{path} ({', '.join(names)})" for path, names in sources.items()))
    return lines
