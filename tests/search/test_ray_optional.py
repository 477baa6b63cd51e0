"""Ray stays optional: with ``import ray`` failing (as without the ``hwnas[ray]`` extra), searches and collections
that do not ask for it work, ``ray`` is still listed and described, and asking for it (``hwnas search --executor ray``,
``hwnas latency collect --devices ... --executor ray``) fails before anything is written, with one line naming the
extra to install."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hwnas.cli.main import app
from hwnas.contracts.executor import EXECUTORS
from hwnas.core.errors import ConfigError
from hwnas.search import build_config, run_search

HINT = 'pip install "hwnas[ray]"'
SEARCH = [
    "search",
    "--space",
    "hat-wmt14ende",
    "--objective",
    "params:min",
    "--searcher",
    "random",
    "--iterations",
    "1",
]


@pytest.fixture(autouse=True)
def no_ray(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` now raises ImportError


def _config(out: Path, executor: str) -> object:
    return build_config(
        {"space": "hat-wmt14ende", "objectives": ["params:min"], "searcher": {"name": "random"}, "iterations": 1,
         "population": 4, "out": str(out), "executor": {"name": executor}}
    )  # fmt: skip


def test_without_ray_other_executors_work_and_ray_fails_before_writing(tmp_path: Path) -> None:
    with pytest.raises(ImportError):
        import ray  # noqa: F401
    assert run_search(_config(tmp_path / "serial", "serial")).result.best is not None  # type: ignore[arg-type]
    assert "ray" in EXECUTORS.names() and EXECUTORS.describe("ray")["options"]  # listed and described all the same
    with pytest.raises(
        ConfigError, match=r'^--executor ray needs Ray, which is not installed here: pip install "hwnas\[ray\]"$'
    ):
        run_search(_config(tmp_path / "ray", "ray"))  # type: ignore[arg-type]
    assert not (tmp_path / "ray").exists()


def test_the_cli_says_what_to_install_in_one_line(tmp_path: Path) -> None:
    search = CliRunner().invoke(app, [*SEARCH, "--executor", "ray", "--out", str(tmp_path / "run")])
    assert search.exit_code == 2 and search.output.strip().splitlines() == [
        f"error: --executor ray needs Ray, which is not installed here: {HINT}"
    ]
    collect = ["latency", "collect", "--space", "tiny", "--n", "1", "--out", str(tmp_path / "pool")]
    pool = CliRunner().invoke(app, [*collect, "--devices", "cpu-a", "--executor", "ray"])
    assert pool.exit_code == 2 and len(pool.output.strip().splitlines()) == 1 and HINT in pool.output
    described = CliRunner().invoke(app, ["search", "--describe", "ray"])
    assert described.exit_code == 0 and "max_retries" in described.output
