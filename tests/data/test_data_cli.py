"""`hwnas data list|verify|fetch` through Typer's CliRunner (a local app, so the test does not depend on main.py)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from hwnas.cli.data_cmd import register

runner = CliRunner()


@pytest.fixture()
def app() -> typer.Typer:
    root = typer.Typer()

    @root.callback()
    def main() -> None:
        """Test root."""

    register(root)
    return root


def test_list_json_reports_presence_and_licence(app: typer.Typer, data_dir: Path) -> None:
    result = runner.invoke(app, ["data", "list", "--json"])
    assert result.exit_code == 0, result.output
    rows = {r["name"]: r for r in json.loads(result.stdout)}
    assert rows["help"]["files"] == rows["help"]["present"] == 60
    assert rows["hwgptbench"]["downloadable"] is False
    assert rows["multi30k"]["splits"] == ["test2016", "test2017", "test2017_mscoco", "test2018", "train", "val"]
    assert "CC BY-NC-ND" in rows["iwslt14"]["licence"]


@pytest.mark.usefixtures("no_data_dir")
def test_list_text_without_data(app: typer.Typer) -> None:
    result = runner.invoke(app, ["data", "list"])
    assert result.exit_code == 0
    assert "HWNAS_DATA_DIR: (unset)" in result.stdout
    line = next(line for line in result.stdout.splitlines() if line.startswith("multi30k "))
    assert "0/12" in line and " missing " in line and "present" not in line
    assert line.endswith("-> hwnas data fetch multi30k")
    hwgpt = next(line for line in result.stdout.splitlines() if line.startswith("hwgptbench "))
    assert "missing" in hwgpt and "HWNAS_DATA_DIR/hwgptbench" in hwgpt  # not downloadable: where to put it


def test_list_says_partial_when_some_files_are_missing(
    app: typer.Typer, data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(data_dir / "hat_latency_dataset", tmp_path / "d" / "hat_latency_dataset")
    next((tmp_path / "d" / "hat_latency_dataset").rglob("*.csv")).unlink()
    monkeypatch.setenv("HWNAS_DATA_DIR", str(tmp_path / "d"))
    monkeypatch.setenv("HWNAS_CACHE_DIR", str(tmp_path / "cache"))
    rows = {r["name"]: r for r in json.loads(runner.invoke(app, ["data", "list", "--json"]).stdout)}
    assert (rows["hat_latency"]["present"], rows["hat_latency"]["status"]) == (2, "partial")
    assert rows["hat_latency"]["fix"] == "hwnas data fetch hat_latency"
    assert rows["multi30k"]["status"] == "missing"


def test_verify_ok_then_mismatch(
    app: typer.Typer, data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = runner.invoke(app, ["data", "verify", "nasflat"])
    assert result.exit_code == 0 and "1 ok, 0 failed" in result.stdout
    shutil.copytree(data_dir / "nasflat", tmp_path / "d" / "nasflat")
    target = tmp_path / "d" / "nasflat" / "zc_fbnet.json"
    target.chmod(0o644)
    target.write_text("{}")
    monkeypatch.setenv("HWNAS_DATA_DIR", str(tmp_path / "d"))
    result = runner.invoke(app, ["data", "verify"])
    assert result.exit_code == 1
    assert "nasflat/zc_fbnet.json: MISMATCH" in result.output and "0 ok, 1 failed" in result.output


@pytest.mark.usefixtures("no_data_dir")
def test_verify_missing_is_a_failure(app: typer.Typer) -> None:
    result = runner.invoke(app, ["data", "verify", "tatoeba", "--json"])
    assert result.exit_code == 1
    assert {c["status"] for c in json.loads(result.stdout)} == {"missing"}
    assert runner.invoke(app, ["data", "verify"]).exit_code == 1  # nothing at all is not a pass


def test_fetch_from_a_file_mirror_then_verify(
    app: typer.Typer, data_dir: Path, private_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = runner.invoke(app, ["data", "fetch", "tatoeba", "--mirror", data_dir.as_uri()])
    assert result.exit_code == 0, result.output
    assert str(private_cache / "mt" / "tatoeba_deu_eng" / "tatoeba-test-v2021-08-07.deu.gz") in result.stdout
    monkeypatch.delenv("HWNAS_DATA_DIR")
    assert runner.invoke(app, ["data", "verify", "tatoeba"]).exit_code == 0


def test_unknown_dataset_exits_2(app: typer.Typer) -> None:
    result = runner.invoke(app, ["data", "fetch", "imagenet"])
    assert result.exit_code == 2
    assert "unknown dataset 'imagenet'; known:" in result.output
