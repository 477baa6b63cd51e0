"""The pipeline runner: stages in a fixed order, each writing into its own folder of the run directory and then a
``stage.done`` JSON marker (atomically, after its outputs). A stage returns its typed output
(:mod:`hwnas.pipeline.outputs`), which is the marker's content; a stage whose marker exists is skipped and its output
read back from the marker, so a killed pipeline resumes where it stopped with what the finished stages handed on
(and the training / collection / search stages resume inside themselves from their own checkpoints and journals);
``start_from`` deletes that stage's folder and every later one first.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, Self, TypeVar

from hwnas.configio import parse_yaml, read_text_file
from hwnas.core.errors import ConfigError, DataError, UnknownNameError
from hwnas.core.files import write_json_atomic, write_text_atomic
from hwnas.hardware.busy import BusyPolicy
from hwnas.pipeline.config import PipelineConfig
from hwnas.pipeline.outputs import PipelineOutputs

STAGES = ("supernet", "latency", "predictor", "search", "baselines", "retrain", "evaluate", "report")
MARKER = "stage.done"
CONFIG_FILE = "pipeline.yaml"


@dataclass
class StageContext:
    """What every stage function gets besides the outputs of the stages before it: the config, the run folder, a
    logger, and what latency measurement does on a busy machine (a property of this invocation, not of the run's
    config: changing it never blocks a resume)."""

    config: PipelineConfig
    run_dir: Path
    quiet: bool = False
    log: Callable[[str], None] = print
    busy: BusyPolicy = field(default_factory=BusyPolicy)

    def stage_dir(self, stage: str) -> Path:
        path = self.run_dir / stage
        path.mkdir(parents=True, exist_ok=True)
        return path


class StageOutput(Protocol):
    """A stage's typed output: written as its marker, read back from it when the stage is skipped."""

    def to_marker(self) -> dict[str, Any]: ...

    @classmethod
    def from_marker(cls, data: Mapping[str, Any]) -> Self: ...


Output = TypeVar("Output", bound=StageOutput)


@dataclass(frozen=True)
class PipelineOutcome:
    run_dir: Path
    ran: list[str]  # stages run by this call
    skipped: list[str]  # stages found complete
    outputs: PipelineOutputs


def read_marker(run_dir: Path, stage: str) -> dict[str, Any] | None:
    path = run_dir / stage / MARKER
    if not path.is_file():
        return None
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def is_run_dir(path: Path) -> bool:
    """True for a folder a pipeline run made: its stored config, or at least one stage marker (a report can be
    written for a partial run, not for an arbitrary folder)."""
    return (path / CONFIG_FILE).is_file() or any((path / stage / MARKER).is_file() for stage in STAGES)


def check_stage(name: str) -> str:
    if name not in STAGES:
        raise UnknownNameError("pipeline stage", name, list(STAGES))
    return name


def run_identity(config: Mapping[str, Any]) -> dict[str, Any]:
    """A pipeline config (dumped) less what says how to run, not what to compute: ``run_dir`` and the searches'
    executor (a search's result does not depend on it), so a run resumes on another executor."""
    identity = {k: v for k, v in config.items() if k != "run_dir"}
    if isinstance(identity.get("search"), Mapping):
        identity["search"] = {k: v for k, v in identity["search"].items() if k != "executor"}
    return identity


def _with_defaults(stored: dict[str, Any]) -> dict[str, Any]:
    """A stored config with the defaults of keys added since it was written, so a run made by an older hwnas
    resumes (the stored file is compared as written when it no longer validates)."""
    try:
        return PipelineConfig.model_validate(stored).model_dump(mode="json")
    except ValueError:
        return stored


def _stored_config(path: Path) -> dict[str, Any]:
    text = read_text_file(path, what="stored pipeline config", error=DataError)
    data = parse_yaml(text, source=str(path), error=DataError) or {}
    if not isinstance(data, dict):
        raise DataError(f"{str(path)!r} is not the {CONFIG_FILE} of a pipeline run; choose another run_dir")
    return data


def _prepare_run_dir(config: PipelineConfig, run_dir: Path, start_from: str | None) -> None:
    """Refuse to resume a run made with a different config unless the caller re-runs from a stage."""
    if start_from is not None:
        check_stage(start_from)
    run_dir.mkdir(parents=True, exist_ok=True)
    stored_path = run_dir / CONFIG_FILE
    wanted = run_identity(config.model_dump(mode="json"))
    if stored_path.is_file() and start_from is None:
        stored = run_identity(_with_defaults(_stored_config(stored_path)))
        differing = [k for k in wanted if stored.get(k) != wanted[k]]
        if differing:
            raise ConfigError(
                f"run directory {str(run_dir)!r} was made with a different config (key {differing[0]!r} differs); "
                "re-run with --from STAGE to redo from a stage, or choose another run_dir"
            )
    write_text_atomic(stored_path, config.to_yaml())
    if start_from is not None:
        for stage in STAGES[STAGES.index(start_from) :]:
            shutil.rmtree(run_dir / stage, ignore_errors=True)


class StageRunner:
    """Runs the stages of ``STAGES``, in that order, in ``config.run_dir`` (see module doc). The run folder is
    checked against the stored config (and cleared from ``start_from`` on) when the runner is made."""

    def __init__(
        self,
        config: PipelineConfig,
        *,
        start_from: str | None = None,
        quiet: bool = False,
        log: Callable[[str], None] | None = None,
        busy: BusyPolicy | None = None,
    ) -> None:
        run_dir = Path(config.run_dir)
        _prepare_run_dir(config, run_dir, start_from)
        say = log or ((lambda _msg: None) if quiet else print)
        self.ctx = StageContext(config=config, run_dir=run_dir, quiet=quiet, log=say, busy=busy or BusyPolicy())
        self.ran: list[str] = []
        self.skipped: list[str] = []

    def stage(self, name: str, kind: type[Output], run: Callable[[], Output]) -> Output:
        """The output of stage ``name``: read from its marker when it finished before, else ``run()`` and marked."""
        expected = STAGES[len(self.ran) + len(self.skipped)]
        if name != expected:
            raise ValueError(f"pipeline stage {name!r} run out of order: {expected!r} comes next")
        say, run_dir = self.ctx.log, self.ctx.run_dir
        marker = read_marker(run_dir, name)
        if marker is not None:
            say(f"[{name}] complete, skipped")
            self.skipped.append(name)
            return kind.from_marker(marker)
        say(f"[{name}] running")
        started = time.perf_counter()
        output = run()
        wall_s = round(time.perf_counter() - started, 2)
        finished = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        marker = {"stage": name, "finished": finished, "wall_s": wall_s, **output.to_marker()}
        write_json_atomic(self.ctx.stage_dir(name) / MARKER, marker)
        say(f"[{name}] done in {wall_s:.1f} s")
        self.ran.append(name)
        return output

    def outcome(self, outputs: PipelineOutputs) -> PipelineOutcome:
        return PipelineOutcome(run_dir=self.ctx.run_dir, ran=self.ran, skipped=self.skipped, outputs=outputs)
