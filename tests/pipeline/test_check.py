"""`hwnas pipeline CONFIG --dry-run`: every input of a full-scale config checked without running anything; the
user-corpus configs name each missing file and what the config is for, and pass once the files are there."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from hwnas.pipeline import load_pipeline_config
from hwnas.pipeline.check import check_pipeline

WMT_FILES = [
    "newstest2013.de-en.en.gz",
    "newstest2013.de-en.de.gz",
    "newstest2014.de-en.en.gz",
    "newstest2014.de-en.de.gz",
]


@pytest.fixture
def bare_machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No HWNAS_DATA_DIR, an empty download cache, and the working directory in a fresh folder."""
    monkeypatch.delenv("HWNAS_DATA_DIR", raising=False)
    monkeypatch.setenv("HWNAS_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_wmt_config_names_every_missing_input(bare_machine: Path) -> None:
    checks = {c.subject: c for c in check_pipeline(load_pipeline_config("wmt14-ende"))}
    for key in ("train_src", "train_tgt"):
        assert checks[f"training.data.{key}"].status == "missing"
        assert "no such file" in checks[f"training.data.{key}"].detail
    assert "HWNAS_DATA_DIR is not set" in checks["training.data.valid_src"].detail
    test_set = [c for s, c in checks.items() if s.startswith("test set (newstest2014/test")]
    assert len(test_set) == 2 and all(c.status == "missing" for c in test_set)
    assert "hwnas data fetch newstest2014" in test_set[0].detail
    assert checks["space"].status == checks["baseline uniform-shrink"].status == "ok"


def _wmt_machine(bare_machine: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The user's WMT training files and a copy of the registered test sets; returns the copy's folder."""
    corpus = bare_machine / "data" / "wmt14_en_de"
    corpus.mkdir(parents=True)
    for side in ("en", "de"):
        (corpus / f"train.{side}").write_text("a sentence\n", encoding="utf-8")
    shared = bare_machine / "shared" / "mt" / "wmt_newstest"
    shared.mkdir(parents=True)
    for name in WMT_FILES:
        (shared / name).write_bytes((data_dir / "mt" / "wmt_newstest" / name).read_bytes())
    monkeypatch.setenv("HWNAS_DATA_DIR", str(bare_machine / "shared"))
    return shared


def test_wmt_config_passes_once_the_files_are_in_place(
    bare_machine: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch, pipeline_app: typer.Typer
) -> None:
    _wmt_machine(bare_machine, data_dir, monkeypatch)
    checks = check_pipeline(load_pipeline_config("wmt14-ende"))
    assert [c.subject for c in checks if c.status == "missing"] == []
    assert all(c.status == "ok" for c in checks if not c.subject.endswith("device"))
    result = CliRunner().invoke(pipeline_app, ["pipeline", "wmt14-ende", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "config OK" in result.output and not (bare_machine / "runs").exists()


def test_corrupted_files_fail_the_dry_run_and_the_run(
    bare_machine: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch, pipeline_app: typer.Typer
) -> None:
    """Present is not enough: a registered file whose sha256 differs, or a user .gz that does not decompress,
    fails the check, and a real run stops before it creates its run directory."""
    shared = _wmt_machine(bare_machine, data_dir, monkeypatch)
    test_file = shared / WMT_FILES[2]
    test_file.write_bytes(test_file.read_bytes()[:-100])  # cut off: the gzip stream ends early
    (bare_machine / "data" / "wmt14_en_de" / "train.en").unlink()
    (bare_machine / "data" / "wmt14_en_de" / "train.en.gz").write_bytes(b"\x1f\x8bnot really gzip")
    config = bare_machine / "wmt.yaml"
    text = resources.files("hwnas.configs.pipeline").joinpath("wmt14-ende.yaml").read_text(encoding="utf-8")
    config.write_text(text.replace("train.en", "train.en.gz"), encoding="utf-8")
    checks = {c.subject: c for c in check_pipeline(load_pipeline_config(config))}
    assert checks["training.data.train_src"].status == "invalid"
    assert "not a valid gzip" in checks["training.data.train_src"].detail
    [corrupt] = [c for s, c in checks.items() if WMT_FILES[2] in s]
    assert corrupt.status == "invalid" and "hwnas data fetch newstest2014 --force" in corrupt.detail
    result = CliRunner().invoke(pipeline_app, ["pipeline", str(config), "--dry-run"])
    assert result.exit_code == 2 and "2 input(s) invalid" in result.stderr
    result = CliRunner().invoke(pipeline_app, ["pipeline", str(config)])
    assert result.exit_code == 2 and "training.data.train_src" in result.stderr and "1 more" in result.stderr
    assert not (bare_machine / "runs").exists()


def test_cli_dry_run_fails_with_the_list_and_runs_nothing(bare_machine: Path, pipeline_app: typer.Typer) -> None:
    result = CliRunner().invoke(pipeline_app, ["pipeline", "iwslt14-deen", "--dry-run"])
    assert result.exit_code == 2
    for key in ("train_src", "train_tgt", "valid_src", "valid_tgt"):
        assert f"missing  training.data.{key}: 'data/iwslt14_de_en/" in result.output
    assert "about this config: HAT's IWSLT'14 De-En setup" in result.output
    assert "6 input(s) missing" in result.output  # 4 user files + the 2 test files (no HWNAS_DATA_DIR)
    assert "nothing was run" in result.output and not (bare_machine / "runs").exists()


def test_dry_run_warns_about_a_run_dir_made_with_another_config(data_dir: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    (run / "pipeline.yaml").write_text("space: hat-wmt14ende\n", encoding="utf-8")
    checks = {c.subject: c for c in check_pipeline(load_pipeline_config("quickstart-smoke", run_dir=str(run)))}
    assert checks["run_dir"].status == "warn" and "--from" in checks["run_dir"].detail
    assert all(c.status == "ok" for s, c in checks.items() if s != "run_dir")
