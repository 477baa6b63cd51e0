"""`hwnas pipeline`: bad input fails before any stage runs, with one line naming the problem and exit code 2."""

from __future__ import annotations

from pathlib import Path

import pytest
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


def test_quickstart_dry_run_checks_its_bundled_config_and_runs_nothing(
    data_dir: Path, tmp_path: Path, pipeline_app: typer.Typer
) -> None:
    for flags, archs in (([], 40), (["--smoke"], 10)):
        out = tmp_path / f"run{len(flags)}"
        result = CliRunner().invoke(pipeline_app, ["quickstart", *flags, "--dry-run", "--out", str(out)])
        assert result.exit_code == 0, result.output
        assert f"measure {archs} archs on cpu" in result.output and f"run_dir: {out} (new run)" in result.output
        assert result.output.strip().endswith("config OK: every input is in place (nothing was run)")
        assert not out.exists()


def test_quickstart_dry_run_without_the_corpus_exits_2_naming_it(
    tmp_path: Path, pipeline_app: typer.Typer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HWNAS_DATA_DIR", raising=False)
    monkeypatch.setenv("HWNAS_CACHE_DIR", str(tmp_path / "cache"))
    result = CliRunner().invoke(pipeline_app, ["quickstart", "--dry-run", "--out", str(tmp_path / "run")])
    assert result.exit_code == 2
    assert "missing  training corpus (multi30k/train" in result.output and "hwnas data fetch multi30k" in result.output
    assert not (tmp_path / "run").exists()
