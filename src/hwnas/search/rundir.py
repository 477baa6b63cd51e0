"""The run directory: ``config.yaml`` (resolved config), ``journal.jsonl`` (crash-safe log), ``result.json``
(deterministic: same seed, same bytes) and ``timings.json`` (wall-clock, which no two runs share).

Everything here only reads until :func:`create_run_dir`, so a command can validate its whole input first and
leave nothing behind when the input is bad.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from hwnas.configio import parse_yaml, read_text_file
from hwnas.contracts.evaluator import Outcome
from hwnas.core.errors import ConfigError, DataError
from hwnas.core.files import check_writable, write_text_atomic
from hwnas.search.config import SearchConfig, build_config, first_difference
from hwnas.search.journal import read_journal

CONFIG_FILE = "config.yaml"
JOURNAL_FILE = "journal.jsonl"
RESULT_FILE = "result.json"
BEST_ARCH_FILE = "best_arch.json"  # the best feasible arch as an arch file (hwnas.encodings.archfile)
TIMINGS_FILE = "timings.json"


def stored_config_values(out: str | Path) -> dict[str, Any] | None:
    """The raw mapping in ``out/config.yaml``, or None when there is none."""
    path = Path(out) / CONFIG_FILE
    if not path.is_file():
        return None
    text = read_text_file(path, what="stored run config", error=DataError)
    data = parse_yaml(text, source=str(path), error=DataError)
    if not isinstance(data, dict):
        raise DataError(f"stored run config {str(path)!r} is not a mapping")
    return data


def resolve_config(*layers: Mapping[str, Any]) -> SearchConfig:
    """Merge config layers (later wins, None skipped). When resuming, the run's stored config is the first layer,
    so ``--out DIR --resume`` alone continues a run; a layer that changes a stored value is refused later."""
    probe: dict[str, Any] = {}
    for layer in layers:
        probe.update({k: v for k, v in layer.items() if v is not None})
    stored = stored_config_values(probe["out"]) if probe.get("resume") and probe.get("out") else None
    return build_config(stored or {}, *layers)


def check_run_dir(config: SearchConfig) -> SearchConfig | None:
    """Refuse to overwrite a run or to resume a different one. Returns the stored config when resuming one."""
    if config.out is None:
        raise ConfigError("config key 'out' is required (give --out DIR or set it in --config)")
    out = Path(config.out)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"run directory {str(out)!r} exists and is not a directory")
    check_writable(out, what="run directory", folder=True)
    non_empty = out.is_dir() and any(out.iterdir())
    if not config.resume:
        if non_empty:
            raise ConfigError(
                f"run directory {str(out)!r} is not empty; pass --resume to continue it or choose another --out"
            )
        return None
    values = stored_config_values(out)
    if values is None:
        if non_empty:
            raise ConfigError(f"cannot resume {str(out)!r}: it has no {CONFIG_FILE}, so it is not a run directory")
        return None  # resuming a run that never started is starting it
    stored = build_config(values)
    difference = first_difference(stored, config)
    if difference is not None:
        key, old, new = difference
        raise ConfigError(
            f"cannot resume {str(out)!r}: config key {key!r} is {new!r} here but {old!r} in its {CONFIG_FILE}"
        )
    return stored


def create_run_dir(config: SearchConfig) -> Path:
    """Create the directory and write ``config.yaml`` (kept as is when resuming)."""
    out = Path(str(config.out))
    out.mkdir(parents=True, exist_ok=True)
    if not (out / CONFIG_FILE).exists():
        write_text_atomic(out / CONFIG_FILE, yaml.safe_dump(config.to_dict(), sort_keys=False))
    return out


@dataclass
class JournalState:
    """What a run's journal says, for replaying it: evaluation outcomes by phase (0 for an unscheduled run and for
    journals older than fitness schedules) and arch_id, the asked arch_ids and duration of each finished
    iteration, the searcher's report after it (:class:`~hwnas.contracts.searcher.Replayable` searchers take their
    recorded picks from it), and the archs carried into each phase of a fitness schedule."""

    outcomes: dict[int, dict[str, Outcome]] = field(default_factory=dict)
    asked: dict[int, list[str]] = field(default_factory=dict)
    seconds: dict[int, float] = field(default_factory=dict)
    reports: dict[int, dict[str, Any]] = field(default_factory=dict)
    carried: dict[int, list[str]] = field(default_factory=dict)

    @property
    def evaluations(self) -> int:
        return sum(len(by_arch) for by_arch in self.outcomes.values())


def journal_state(out: Path) -> JournalState:
    entries, _ = read_journal(out / JOURNAL_FILE)
    state = JournalState()
    for entry in entries:
        if entry["kind"] == "eval":
            metrics = {k: float(v) for k, v in entry["metrics"].items()}
            state.outcomes.setdefault(int(entry.get("phase", 0)), {})[entry["arch_id"]] = Outcome(
                metrics, entry.get("error")
            )
        elif entry["kind"] == "iteration":
            state.asked[int(entry["iteration"])] = list(entry["asked"])
            if "seconds" in entry:
                state.seconds[int(entry["iteration"])] = float(entry["seconds"])
            if isinstance(entry.get("searcher"), dict):
                state.reports[int(entry["iteration"])] = entry["searcher"]
        elif entry["kind"] == "phase":
            state.carried[int(entry["phase"])] = list(entry["carried"])
    return state


def write_result(out: Path, result: dict[str, Any], name: str = RESULT_FILE) -> Path:
    path = out / name
    write_text_atomic(path, json.dumps(result, indent=2) + "\n")
    return path
