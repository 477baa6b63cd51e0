"""A run's trajectory as LM-Searcher's ``historical_results.json``, and such a file read back as a warm start.

The format is one JSON object whose keys are ``Trial1``, ``Trial2``, ... in evaluation order, each holding
``{"cell": <NCode string>, "prediction": <score>}`` (:mod:`hwnas.encodings.ncode` for the code).

Export (:func:`export_trajectory`) takes the run's journal ``eval`` entries in the order they were journaled:

* ``prediction`` is the **raw value of the run's first objective metric**, with the metric's own sign: it is not
  negated or normalised, so for a ``:min`` objective (perplexity, latency) lower is better and for a ``:max`` one
  higher is better. LM-Searcher's own files hold accuracies (higher is better); export a ``:max`` run, or pass
  ``metric=`` to pick another metric, when the file feeds a tool that assumes that direction.
* the first objective is that of ``result.json`` (the phase the run ended in, for a fitness schedule), else the
  first of ``config.yaml``'s objectives; a run with neither (killed before its first result, with a fitness
  evaluator) needs ``metric=``.
* feasible and infeasible archs alike are exported: each was evaluated and has a score, and the history of a
  search is what was tried; constraints are not part of the format. Failed evaluations (an error, or no finite
  value for the metric) are skipped, so trial numbers count the exported trials only.
* an arch evaluated again (a later phase of a fitness schedule) is a trial again, as it was in the run.

Import (:func:`read_trajectory`) validates every trial and returns ``(arch, score)`` pairs in trial-number order;
``--init-archs historical_results.json`` seeds a run's first population with the cells (detected by the
``TrialN`` keys, see :mod:`hwnas.search.seeding`).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hwnas.configio import read_text_file
from hwnas.core.arch import Arch
from hwnas.core.errors import DataError, InvalidArchError
from hwnas.core.files import write_text_atomic
from hwnas.core.objectives import Objective
from hwnas.core.space import SearchSpace
from hwnas.encodings.ncode import from_ncode, to_ncode
from hwnas.search.config import build_config
from hwnas.search.journal import read_journal
from hwnas.search.rundir import JOURNAL_FILE, RESULT_FILE, stored_config_values
from hwnas.spaces import get_space

TRIAL_RE = re.compile(r"^Trial([1-9][0-9]*)$")


def is_trajectory(data: Any) -> bool:
    """Whether ``data`` looks like a ``historical_results.json`` (a non-empty mapping of ``TrialN`` keys)."""
    return isinstance(data, Mapping) and bool(data) and all(TRIAL_RE.match(str(k)) for k in data)


def _run_metric(run_dir: Path) -> str | None:
    result_path = run_dir / RESULT_FILE
    if result_path.is_file():
        try:
            result = json.loads(read_text_file(result_path, what="run result", error=DataError))
        except ValueError as exc:
            raise DataError(f"run result {str(result_path)!r} is not valid JSON: {exc}") from None
        objectives = result.get("objectives") if isinstance(result, Mapping) else None
        if objectives:
            return Objective.parse(objectives[0]).metric
    values = stored_config_values(run_dir)
    if values is not None:
        objectives = build_config(values).parsed_objectives()
        if objectives:
            return objectives[0].metric
    return None


def export_trajectory(run_dir: str | Path, *, metric: str | None = None) -> dict[str, dict[str, Any]]:
    """``{"Trial1": {"cell", "prediction"}, ...}`` from the run in ``run_dir`` (see the module doc for the rules)."""
    run_dir = Path(run_dir)
    values = stored_config_values(run_dir)
    if values is None:
        raise DataError(f"{str(run_dir)!r} is not a run directory: it has no config.yaml")
    space = get_space(build_config(values).space)
    metric = metric or _run_metric(run_dir)
    if metric is None:
        raise DataError(f"cannot tell the objective of the run in {str(run_dir)!r}; name the metric to export")
    entries, _ = read_journal(run_dir / JOURNAL_FILE)
    trials: dict[str, dict[str, Any]] = {}
    for entry in entries:
        if entry["kind"] != "eval" or entry.get("error") is not None:
            continue
        value = entry.get("metrics", {}).get(metric)
        if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
            continue
        arch = space.make(entry["arch"]["genes"])
        trials[f"Trial{len(trials) + 1}"] = {"cell": to_ncode(arch, space), "prediction": float(value)}
    return trials


def trajectory_archs(data: Any, space: SearchSpace, source: str) -> list[tuple[Arch, float]]:
    """Validate parsed ``historical_results.json`` data; ``source`` names the file in errors."""
    if not isinstance(data, Mapping):
        raise DataError(f"{source}: expected a JSON object of TrialN entries, got {type(data).__name__}")
    if not data:
        raise DataError(f"{source}: holds no trials")
    numbered: list[tuple[int, str, Any]] = []
    for key, trial in data.items():
        match = TRIAL_RE.match(str(key))
        if match is None:
            raise DataError(f"{source}: key {key!r} is not a trial name (Trial1, Trial2, ...)")
        numbered.append((int(match.group(1)), str(key), trial))
    pairs: list[tuple[Arch, float]] = []
    for _, key, trial in sorted(numbered):
        where = f"{source} {key}"
        if not isinstance(trial, Mapping):
            raise DataError(f"{where}: expected an object with 'cell' and 'prediction', got {trial!r}")
        for name in ("cell", "prediction"):
            if name not in trial:
                raise DataError(f"{where}: missing {name!r}")
        cell, score = trial["cell"], trial["prediction"]
        if not isinstance(cell, str):
            raise DataError(f"{where}: 'cell' must be an NCode string, got {cell!r}")
        try:
            arch = from_ncode(cell, space)
        except InvalidArchError as exc:
            raise DataError(f"{where}: cell {cell!r} is not an NCode of space {space.name!r}: {exc}") from None
        if isinstance(score, bool) or not isinstance(score, int | float) or not math.isfinite(score):
            raise DataError(f"{where}: 'prediction' must be a finite number, got {score!r}")
        pairs.append((arch, float(score)))
    return pairs


def read_trajectory(path: str | Path, space: SearchSpace) -> list[tuple[Arch, float]]:
    """The ``(arch, score)`` trials of a ``historical_results.json`` file, in trial-number order, all validated."""
    path = Path(path)
    source = f"trajectory file {str(path)!r}"
    text = read_text_file(path, what="trajectory file", error=DataError)
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise DataError(f"{source} is not valid JSON: {exc}") from None
    return trajectory_archs(data, space, source)


def write_trajectory(trajectory: Mapping[str, Any], out: str | Path) -> Path:
    """Write ``trajectory`` as indented JSON to ``out``."""
    out = Path(out)
    write_text_atomic(out, json.dumps(trajectory, indent=2) + "\n")
    return out
