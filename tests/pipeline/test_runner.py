"""The stage runner with recording stand-in stages: markers, skipping (the output read back from the marker),
resume after an interruption, --from, stages out of order."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from hwnas.core.errors import ConfigError, UnknownNameError
from hwnas.pipeline import STAGES, parse_pipeline_config
from hwnas.pipeline.runner import MARKER, StageContext, StageRunner, read_marker


@dataclass(frozen=True)
class Count:
    """A stand-in stage output: how many stages ran up to this one (each stage adds one to its predecessor's)."""

    value: int

    def to_marker(self) -> dict[str, Any]:
        return {"value": self.value}

    @classmethod
    def from_marker(cls, data: Mapping[str, Any]) -> Count:
        return cls(int(data["value"]))


class Recorder:
    """Stage functions that log their calls, write one output file, and can be told to fail at one stage."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.fail_at: str | None = None

    def stage(self, stage: str, ctx: StageContext, previous: Count) -> Count:
        if stage == self.fail_at:
            raise KeyboardInterrupt  # what Ctrl-C (or a kill between outputs) leaves: no marker
        self.calls.append(stage)
        (ctx.stage_dir(stage) / "output.txt").write_text(stage, encoding="utf-8")
        return Count(previous.value + 1)


def run_stages(config: Any, recorder: Recorder, **options: Any) -> tuple[StageRunner, Count]:
    """Every stage in order, each given the previous one's output (read back from its marker when skipped)."""
    runner = StageRunner(config, **options)
    count = Count(0)
    for stage in STAGES:
        count = runner.stage(stage, Count, lambda s=stage, c=count: recorder.stage(s, runner.ctx, c))
    return runner, count


def _config(run_dir: Path, **extra: Any) -> Any:
    return parse_pipeline_config({"run_dir": str(run_dir), **extra})


def test_first_run_runs_every_stage_and_writes_markers(tmp_path: Path) -> None:
    recorder = Recorder()
    outcome, _ = run_stages(_config(tmp_path), recorder, quiet=True)
    assert recorder.calls == list(STAGES) and outcome.ran == list(STAGES) and outcome.skipped == []
    for number, stage in enumerate(STAGES, start=1):
        marker = json.loads((tmp_path / stage / MARKER).read_text(encoding="utf-8"))
        assert marker["stage"] == stage and marker["value"] == number and marker["wall_s"] >= 0
    assert (tmp_path / "pipeline.yaml").is_file()


def test_second_run_skips_complete_stages_without_touching_them(tmp_path: Path) -> None:
    run_stages(_config(tmp_path), Recorder(), quiet=True)
    mtimes = {s: (tmp_path / s / "output.txt").stat().st_mtime_ns for s in STAGES}
    again = Recorder()
    lines: list[str] = []
    outcome, count = run_stages(_config(tmp_path), again, log=lines.append)
    assert again.calls == [] and outcome.skipped == list(STAGES)
    assert {s: (tmp_path / s / "output.txt").stat().st_mtime_ns for s in STAGES} == mtimes
    assert lines[0] == "[supernet] complete, skipped"
    assert count == Count(len(STAGES))  # every output read back from its marker


def test_interrupted_run_resumes_at_the_stage_that_did_not_finish(tmp_path: Path) -> None:
    recorder = Recorder()
    recorder.fail_at = "search"
    with pytest.raises(KeyboardInterrupt):
        run_stages(_config(tmp_path), recorder, quiet=True)
    assert recorder.calls == ["supernet", "latency", "predictor"]
    assert read_marker(tmp_path, "search") is None and read_marker(tmp_path, "predictor") is not None
    resumed = Recorder()
    outcome, count = run_stages(_config(tmp_path), resumed, quiet=True)
    assert resumed.calls == ["search", "baselines", "retrain", "evaluate", "report"]
    assert outcome.skipped == ["supernet", "latency", "predictor"]
    assert count == Count(len(STAGES))  # later stages got the skipped stages' outputs, read from their markers


def test_from_stage_reruns_it_and_everything_after(tmp_path: Path) -> None:
    run_stages(_config(tmp_path), Recorder(), quiet=True)
    stale = tmp_path / "retrain" / "stale.bin"
    stale.write_bytes(b"old")
    rerun = Recorder()
    outcome, _ = run_stages(_config(tmp_path), rerun, start_from="retrain", quiet=True)
    assert rerun.calls == ["retrain", "evaluate", "report"]
    assert outcome.skipped == ["supernet", "latency", "predictor", "search", "baselines"]
    assert not stale.exists()  # the stage folder was cleared, not merely re-marked


def test_changed_config_needs_from(tmp_path: Path) -> None:
    run_stages(_config(tmp_path), Recorder(), quiet=True)
    changed = _config(tmp_path, retrain={"max_steps": 3})
    with pytest.raises(ConfigError, match="'retrain' differs"):
        run_stages(changed, Recorder(), quiet=True)
    rerun = Recorder()
    run_stages(changed, rerun, start_from="retrain", quiet=True)
    assert rerun.calls == ["retrain", "evaluate", "report"]
    assert "max_steps: 3" in (tmp_path / "pipeline.yaml").read_text(encoding="utf-8")


def test_unknown_from_stage_names_the_stages(tmp_path: Path) -> None:
    with pytest.raises(UnknownNameError, match="retrain"):
        run_stages(_config(tmp_path), Recorder(), start_from="retrian", quiet=True)


def test_run_dir_written_before_new_config_keys_still_resumes(tmp_path: Path) -> None:
    run_stages(_config(tmp_path), Recorder(), quiet=True)
    stored = tmp_path / "pipeline.yaml"
    old = "\n".join(line for line in stored.read_text(encoding="utf-8").splitlines() if not line.startswith(
        ("baselines", "description")))  # fmt: skip
    stored.write_text(old + "\n", encoding="utf-8")
    again = Recorder()
    outcome, _ = run_stages(_config(tmp_path), again, quiet=True)
    assert again.calls == [] and outcome.skipped == list(STAGES)


def test_a_stage_out_of_order_is_refused(tmp_path: Path) -> None:
    runner = StageRunner(_config(tmp_path), quiet=True)
    with pytest.raises(ValueError, match="'latency' run out of order: 'supernet' comes next"):
        runner.stage("latency", Count, lambda: Count(1))
