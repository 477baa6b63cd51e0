"""`hwnas pipeline`: bad input fails before any stage runs, with one line naming the problem and exit code 2."""

from __future__ import annotations

from pathlib import Path

import typer
from typer.testing import CliRunner


def test_unknown_key_in_config_exits_2_naming_it(tmp_path: Path, pipeline_app: typer.Typer) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(f"run_dir: {tmp_path / 'run'}\nsearch: {{iterationz: 3}}\n", encoding="utf-8")
    result = CliRunner().invoke(pipeline_app, ["pipeline", str(path)])
    assert result.exit_code == 2
    assert "unknown config key 'search.iterationz'" in result.output
    assert not (tmp_path / "run").exists()


def test_unknown_from_stage_exits_2_listing_stages(tmp_path: Path, pipeline_app: typer.Typer) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(f"run_dir: {tmp_path / 'run'}\n", encoding="utf-8")
    result = CliRunner().invoke(pipeline_app, ["pipeline", str(path), "--from", "serch"])
    assert result.exit_code == 2
    assert "unknown pipeline stage 'serch'" in result.output and "retrain" in result.output
    assert not (tmp_path / "run").exists()


def test_unknown_config_name_lists_the_bundled_ones(tmp_path: Path, pipeline_app: typer.Typer) -> None:
    result = CliRunner().invoke(pipeline_app, ["pipeline", "multi30k-tpu", "--run-dir", str(tmp_path / "run")])
    assert result.exit_code == 2
    assert "'multi30k-tpu' is neither a file nor a bundled config" in result.output
    assert "multi30k-gpu" in result.output and "wmt14-ende" in result.output
    assert not (tmp_path / "run").exists()
