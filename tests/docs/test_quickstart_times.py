"""The quickstart's times: measured by benchmarks/quickstart_time.py, rendered as the quickstart-times block (smoke
runs labelled as such, a missing full run said, not crashed on), and typed nowhere by hand."""

from __future__ import annotations

import importlib
import json
import re
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hwnas.cli.main import app

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT / "benchmarks") not in sys.path:
    sys.path.insert(0, str(ROOT / "benchmarks"))
timing = importlib.import_module("quickstart_time")
rendering = importlib.import_module("rendering.quickstart")
common = importlib.import_module("rendering.common")

# Times once typed by hand into the README, the tutorial and --help.
HAND_TYPED = re.compile(r"10 ?min ?46|10m46s|646 s|~25 s|about 20 s|<= ?15 minutes|<= ?5 minutes")


def _result(mode: str, wall: float) -> dict[str, object]:
    command = ["hwnas", "quickstart", *(["--smoke"] if mode == "smoke" else []), "--out", "RUN_DIR", "--quiet"]
    return {
        "benchmark": "quickstart_time",
        "mode": mode,
        "command": command,
        "wall_s": wall,
        "cpu_s": wall / 2,
        "stages_s": dict.fromkeys(timing.STAGES, 1.0) | {"report": None},
        "threads": 1,
        "load_average_before": [2.0, 1.0, 1.0],
        "load_average_after": [3.0, 1.0, 1.0],
        "machine": {"cpu_model": "Test CPU", "cpu_count": 2},
    }


def test_durations_read_like_the_docs() -> None:
    assert [rendering.duration(s) for s in (None, 22.26, 59.9, 646.0)] == ["-", "22.3 s", "59.9 s", "10 min 46 s"]


def test_block_labels_smoke_and_survives_a_missing_full_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(common, "RESULTS", tmp_path)
    lines = rendering.quickstart_times()  # no result at all: both rows say how to make them
    assert sum("not measured yet" in line for line in lines) == 2
    path = tmp_path / "quickstart_time-20990101T000000Z.json"
    path.write_text(json.dumps(_result("smoke", 30.0)), encoding="utf-8")
    full, smoke = (line for line in rendering.quickstart_times() if line.startswith("| `hwnas"))
    assert "not measured yet: `python benchmarks/quickstart_time.py --full`" in full
    assert smoke.startswith("| `hwnas quickstart --smoke` (smoke: plumbing only, not results) | **30.0 s** |")
    assert "Test CPU, 2 cores, 1 torch thread" in smoke and "2.0 -> 3.0 (CPU/wall 0.50)" in smoke
    assert f"`{path.name}`" in smoke and "| - |" in smoke  # the stage that did not finish


def test_the_benchmark_runs_the_users_command_and_reads_stage_markers(tmp_path: Path) -> None:
    command = timing.quickstart_command(tmp_path / "run", full=False, on_busy=None)
    assert command[1:] == ["-m", "hwnas", "quickstart", "--smoke", "--out", str(tmp_path / "run"), "--quiet"]
    assert "--smoke" not in timing.quickstart_command(tmp_path, full=True, on_busy="ignore")
    (tmp_path / "supernet").mkdir()
    (tmp_path / "supernet" / "stage.done").write_text(json.dumps({"wall_s": 3.5}), encoding="utf-8")
    times = timing.stage_times(tmp_path)
    assert times["supernet"] == 3.5 and times["retrain"] is None
    with pytest.raises(SystemExit, match="fresh run folder"):
        timing.time_quickstart(tmp_path, full=False, on_busy=None, timeout=1)


def test_no_quickstart_time_is_typed_by_hand() -> None:
    for path in (ROOT / "README.md", ROOT / "docs" / "tutorial-hat.md"):
        text = re.sub(r"<!-- results:.*?<!-- /results:[\w-]+ -->", "", path.read_text(encoding="utf-8"), flags=re.S)
        assert not HAND_TYPED.search(text), (path.name, HAND_TYPED.search(text))
    for command in (["quickstart", "--help"], ["pipeline", "--help"]):
        output = CliRunner().invoke(app, command, terminal_width=200).output
        assert not HAND_TYPED.search(output) and not re.search(r"\d+ ?(s|min|minutes)\b", output), output
