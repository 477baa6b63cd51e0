"""Sweeps: a grid of independent runs (``hwnas bench run``'s (problem, algorithm, seed) searches, ``hwnas fewshot
run``'s (task, seed) comparisons), each cell its own resumable run directory under one folder, run one after the
other here or as one Ray task per cell over a cluster (:func:`hwnas.hardware.ray_cluster.map_tasks`).

Layout of ``OUT``: ``bench/<problem>/`` is an ordinary suite folder (``suite.json``, ``<algorithm>/seed-<k>`` run
directories, ``summary.json`` once every cell of the problem is done), so ``hwnas bench run`` and ``hwnas report``
read it as their own; ``fewshot/<task>/seed-<k>/records.json`` holds one seed's records. A cell is finished when its
run directory holds ``cell.json`` (written by this process, atomically, after the cell's own files): a rerun skips
it, and an unfinished cell starts again (a search resumes from its journal; a few-shot seed, seconds long and
deterministic, is recomputed). A cell that fails (its error, or its Ray worker lost ``max_retries + 1`` times) is
reported and the others go on; ``OUT/sweep.json`` lists every cell, its status and its run directory.

Cells run where Ray puts them, so ``OUT`` must be one folder every node sees at the same path (a shared filesystem),
as must the data (``HWNAS_DATA_DIR``) and any file a problem names.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import Field

from hwnas.configio import parse_yaml, read_text_file
from hwnas.contracts.options import Options, validate_options
from hwnas.core.errors import ConfigError
from hwnas.core.files import check_writable, write_json_atomic
from hwnas.hardware.ray_cluster import TaskOptions, first_line, map_tasks

CELL_FILE = "cell.json"  # a finished cell's marker, in its run directory
SWEEP_FILE = "sweep.json"


class BenchGrid(Options):
    """Every (problem, algorithm, seed): one ``hwnas bench run`` search each."""

    problems: list[str] = Field(min_length=1, description="bundled problem names or problem YAML paths")
    algorithms: list[str] = Field(min_length=1, description="searchers")
    seeds: list[int] = Field(min_length=1, description="seeds of every (problem, algorithm)")
    evaluations: int = Field(500, ge=1, description="evaluations per run")
    population: int = Field(20, ge=1, description="archs asked per round")
    options: dict[str, dict[str, Any]] = Field(default_factory=dict, description="per algorithm: searcher options")


class FewshotGrid(Options):
    """Every (task, seed): one ``hwnas fewshot run --task TASK`` with that one seed."""

    tasks: list[str] = Field(min_length=1, description="built-in few-shot tasks (hwnas fewshot tasks)")
    seeds: list[int] = Field(min_length=1, description="seeds of every task")
    samples: list[int] = Field([5, 10, 20], min_length=1, description="target samples per adaptation")
    predictor: str = Field("stack", description="the method scored")
    sampler: str = Field("random", description="which target archs are measured")
    gnn: bool = Field(False, description="also pretrain the GNN")


class SweepGrid(Options):
    """A sweep file (YAML): a ``bench:`` grid, a ``fewshot:`` grid, or both."""

    bench: BenchGrid | None = None
    fewshot: FewshotGrid | None = None


def load_grid(path: str | Path) -> SweepGrid:
    data = parse_yaml(read_text_file(path, what="--grid"), source=str(path)) or {}
    if not isinstance(data, dict):
        raise ConfigError(f"--grid {str(path)!r}: expected a mapping with bench: and/or fewshot:")
    grid = validate_options(SweepGrid, data, where=f"--grid {str(path)!r}")
    assert isinstance(grid, SweepGrid)
    return grid


@dataclass(frozen=True)
class Cell:
    """One unit of a sweep: ``key`` names it (``bench/<problem>/<algorithm>/seed-<k>``, ``fewshot/<task>/seed-<k>``),
    ``run_dir`` is where it writes, ``job`` runs it (picklable: it travels to a Ray worker) and returns what
    ``cell.json`` records."""

    key: str
    run_dir: Path
    job: Callable[[], dict[str, Any]]


def bench_cells(grid: BenchGrid, out: Path, executor: dict[str, Any] | None = None) -> list[Cell]:
    """The bench grid's cells, every config built and each (problem, algorithm) planned, every problem's suite
    folder checked and its ``suite.json`` written: a bad name fails here, before any cell runs."""
    from hwnas.studies.problem import load_problem
    from hwnas.studies.suite import SuiteSettings, prepare_folder, run_config

    cells = []
    for name in grid.problems:
        problem = load_problem(name)
        settings = SuiteSettings(problem=name, algorithms=tuple(grid.algorithms), seeds=tuple(grid.seeds),
                                 evaluations=grid.evaluations, population=grid.population,
                                 options=grid.options)  # fmt: skip
        settings.check()
        root = out / "bench" / problem.name
        configs = {(a, s): run_config(problem, settings, a, s, root / a / f"seed-{s}", executor)
                   for a in grid.algorithms for s in grid.seeds}  # fmt: skip
        prepare_folder(problem, settings, root, [configs[(a, grid.seeds[0])] for a in grid.algorithms])
        for (algorithm, seed), config in configs.items():
            job = _BenchJob(problem, settings, config, root, algorithm, seed)
            cells.append(Cell(f"bench/{problem.name}/{algorithm}/seed-{seed}", Path(config.out), job))
    return cells


@dataclass(frozen=True)
class _BenchJob:
    problem: Any
    settings: Any
    config: Any
    root: Path
    algorithm: str
    seed: int

    def __call__(self) -> dict[str, Any]:
        from hwnas.studies.suite import score_run

        return score_run(self.problem, self.settings, self.config, self.root, algorithm=self.algorithm, seed=self.seed)


def fewshot_cells(grid: FewshotGrid, out: Path) -> list[Cell]:
    """The few-shot grid's cells; every task checked runnable and every name known before any cell runs."""
    from hwnas.fewshot.model import FewShotOptions
    from hwnas.fewshot.samplers import get_sampler
    from hwnas.fewshot.tasks import get_task

    options = validate_options(FewShotOptions, {"method": grid.predictor, "gnn": grid.gnn}, where="few-shot model")
    get_sampler(grid.sampler)
    if min(grid.samples) < 1 or min(grid.seeds) < 0:
        raise ConfigError("fewshot: samples must be >= 1 and seeds >= 0")
    cells = []
    for name in grid.tasks:
        get_task(name).check_runnable()
        for seed in grid.seeds:
            run_dir = out / "fewshot" / name / f"seed-{seed}"
            job = _FewshotJob(name, seed, tuple(grid.samples), grid.predictor, grid.sampler, options, run_dir)
            cells.append(Cell(f"fewshot/{name}/seed-{seed}", run_dir, job))
    return cells


@dataclass(frozen=True)
class _FewshotJob:
    task: str
    seed: int
    samples: tuple[int, ...]
    predictor: str
    sampler: str
    options: Any
    run_dir: Path

    def __call__(self) -> dict[str, Any]:
        from hwnas.fewshot.devices import compare
        from hwnas.fewshot.tasks import get_task

        task = get_task(self.task)
        started = time.perf_counter()
        records = compare(task.space, list(task.source), list(task.target), [self.predictor], samples=self.samples,
                          seeds=[self.seed], options=self.options, sampler=self.sampler)[self.predictor]  # fmt: skip
        write_json_atomic(self.run_dir / "records.json", records)
        return {"task": self.task, "seed": self.seed, "wall_s": time.perf_counter() - started}


def run_cell(cell: Cell) -> dict[str, Any]:
    """A cell's entry of ``sweep.json``; its error, caught, is its status, so the other cells go on."""
    try:
        return {"status": "done", "result": cell.job()}
    except Exception as exc:
        return {"status": "failed", "error": first_line(exc)}


def run_sweep(cells: Sequence[Cell], out: Path, *, ray: TaskOptions | None = None) -> dict[str, Any]:
    """Run every unfinished cell (see module doc), here one after the other or with ``ray`` one Ray task each;
    write each finished cell's ``cell.json`` and ``OUT/sweep.json``; returns what ``sweep.json`` holds."""
    check_writable(out, what="--out", folder=True)
    todo = [cell for cell in cells if not (cell.run_dir / CELL_FILE).is_file()]
    if ray is None:
        outcomes = [run_cell(cell) for cell in todo]
    else:
        results = map_tasks(run_cell, todo, ray, what="hwnas sweep --executor ray")
        outcomes = [r.value if r.error is None else {"status": "failed", "error": first_line(r.error)} for r in results]
    fresh = {cell.key: outcome for cell, outcome in zip(todo, outcomes, strict=True)}
    entries = []
    for cell in cells:
        entry: dict[str, Any] = {"cell": cell.key, "run_dir": str(cell.run_dir.relative_to(out))}
        if cell.key not in fresh:
            stored = json.loads((cell.run_dir / CELL_FILE).read_text(encoding="utf-8"))
            entries.append({**entry, **stored, "ran": False})
            continue
        outcome = fresh[cell.key]
        if outcome["status"] == "done":
            write_json_atomic(cell.run_dir / CELL_FILE, outcome)
        entries.append({**entry, **outcome, "ran": True})
    summary = {"cells": entries, "counts": _counts(entries)}
    write_json_atomic(out / SWEEP_FILE, summary)
    return summary


def _counts(entries: Sequence[dict[str, Any]]) -> dict[str, int]:
    done = [e for e in entries if e["status"] == "done"]
    return {"cells": len(entries), "done": len(done), "failed": len(entries) - len(done),
            "ran": sum(e["ran"] for e in entries)}  # fmt: skip


def write_suite_summaries(grid: BenchGrid, out: Path, entries: Sequence[dict[str, Any]]) -> list[Path]:
    """Each problem's ``summary.json`` (the suite's) once every one of its cells is done, from the cells' scored
    runs (no search replayed)."""
    from hwnas.studies.problem import load_problem
    from hwnas.studies.suite import SuiteSettings, write_summary

    by_cell = {e["cell"]: e for e in entries}
    written = []
    for name in grid.problems:
        problem = load_problem(name)
        keys = {a: [f"bench/{problem.name}/{a}/seed-{s}" for s in grid.seeds] for a in grid.algorithms}
        if any(by_cell[k]["status"] != "done" for ks in keys.values() for k in ks):
            continue
        settings = SuiteSettings(problem=name, algorithms=tuple(grid.algorithms), seeds=tuple(grid.seeds),
                                 evaluations=grid.evaluations, population=grid.population,
                                 options=grid.options)  # fmt: skip
        runs = {a: [by_cell[k]["result"] for k in ks] for a, ks in keys.items()}
        write_summary(problem, settings, out / "bench" / problem.name, runs)
        written.append(out / "bench" / problem.name)
    return written
