"""The stage runner with recording stand-in stages: markers, skipping, resume after an interruption, --from."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hwnas.core.errors import ConfigError, UnknownNameError
from hwnas.pipeline import STAGES, parse_pipeline_config
from hwnas.pipeline.runner import MARKER, StageContext, StageFn, read_marker, run_stages


class Recorder:
    """Stage functions that log their calls, write one output file, and can be told to fail at one stage."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.fail_at: str | None = None

    def functions(self) -> dict[str, StageFn]:
        return {stage: self._make(stage) for stage in STAGES}

    def _make(self, stage: str) -> StageFn:
        def run(ctx: StageContext) -> dict[str, Any]:
            if stage == self.fail_at:
                raise KeyboardInterrupt  # what Ctrl-C (or a kill between outputs) leaves: no marker
            self.calls.append(stage)
            (ctx.stage_dir(stage) / "output.txt").write_text(stage, encoding="utf-8")
            previous = ctx.done[STAGES[STAGES.index(stage) - 1]]["value"] if stage != STAGES[0] else 0
            return {"value": previous + 1}

        return run


def _config(run_dir: Path, **extra: Any) -> Any:
    return parse_pipeline_config({"run_dir": str(run_dir), **extra})


def test_first_run_runs_every_stage_and_writes_markers(tmp_path: Path) -> None:
    recorder = Recorder()
    outcome = run_stages(_config(tmp_path), recorder.functions(), quiet=True)
    assert recorder.calls == list(STAGES) and outcome.ran == list(STAGES) and outcome.skipped == []
    for number, stage in enumerate(STAGES, start=1):
        marker = json.loads((tmp_path / stage / MARKER).read_text(encoding="utf-8"))
        assert marker["stage"] == stage and marker["value"] == number and marker["wall_s"] >= 0
    assert (tmp_path / "pipeline.yaml").is_file()


def test_second_run_skips_complete_stages_without_touching_them(tmp_path: Path) -> None:
    run_stages(_config(tmp_path), Recorder().functions(), quiet=True)
    mtimes = {s: (tmp_path / s / "output.txt").stat().st_mtime_ns for s in STAGES}
    again = Recorder()
    lines: list[str] = []
    outcome = run_stages(_config(tmp_path), again.functions(), log=lines.append)
    assert again.calls == [] and outcome.skipped == list(STAGES)
    assert {s: (tmp_path / s / "output.txt").stat().st_mtime_ns for s in STAGES} == mtimes
    assert lines[0] == "[supernet] complete, skipped"
    assert outcome.markers["report"]["value"] == len(STAGES)


def test_interrupted_run_resumes_at_the_stage_that_did_not_finish(tmp_path: Path) -> None:
    recorder = Recorder()
    recorder.fail_at = "search"
    with pytest.raises(KeyboardInterrupt):
        run_stages(_config(tmp_path), recorder.functions(), quiet=True)
    assert recorder.calls == ["supernet", "latency", "predictor"]
    assert read_marker(tmp_path, "search") is None and read_marker(tmp_path, "predictor") is not None
    resumed = Recorder()
    outcome = run_stages(_config(tmp_path), resumed.functions(), quiet=True)
    assert resumed.calls == ["search", "baselines", "retrain", "evaluate", "report"]
    assert outcome.skipped == ["supernet", "latency", "predictor"]
    assert outcome.markers["report"]["value"] == len(STAGES)  # later stages saw the earlier markers


def test_from_stage_reruns_it_and_everything_after(tmp_path: Path) -> None:
    run_stages(_config(tmp_path), Recorder().functions(), quiet=True)
    stale = tmp_path / "retrain" / "stale.bin"
    stale.write_bytes(b"old")
    rerun = Recorder()
    outcome = run_stages(_config(tmp_path), rerun.functions(), start_from="retrain", quiet=True)
    assert rerun.calls == ["retrain", "evaluate", "report"]
    assert outcome.skipped == ["supernet", "latency", "predictor", "search", "baselines"]
    assert not stale.exists()  # the stage folder was cleared, not merely re-marked


def test_changed_config_needs_from(tmp_path: Path) -> None:
    run_stages(_config(tmp_path), Recorder().functions(), quiet=True)
    changed = _config(tmp_path, retrain={"max_steps": 3})
    with pytest.raises(ConfigError, match="'retrain' differs"):
        run_stages(changed, Recorder().functions(), quiet=True)
    rerun = Recorder()
    run_stages(changed, rerun.functions(), start_from="retrain", quiet=True)
    assert rerun.calls == ["retrain", "evaluate", "report"]
    assert "max_steps: 3" in (tmp_path / "pipeline.yaml").read_text(encoding="utf-8")


def test_unknown_from_stage_names_the_stages(tmp_path: Path) -> None:
    with pytest.raises(UnknownNameError, match="retrain"):
        run_stages(_config(tmp_path), Recorder().functions(), start_from="retrian", quiet=True)


def test_run_dir_written_before_new_config_keys_still_resumes(tmp_path: Path) -> None:
    run_stages(_config(tmp_path), Recorder().functions(), quiet=True)
    stored = tmp_path / "pipeline.yaml"
    old = "\n".join(line for line in stored.read_text(encoding="utf-8").splitlines() if not line.startswith(
        ("baselines", "description")))  # fmt: skip
    stored.write_text(old + "\n", encoding="utf-8")
    again = Recorder()
    outcome = run_stages(_config(tmp_path), again.functions(), quiet=True)
    assert again.calls == [] and outcome.skipped == list(STAGES)
