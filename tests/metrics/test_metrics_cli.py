"""`hwnas metrics SPACE ARCH_FILE`: JSON output, and one clear line + exit 2 on bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
import yaml
from typer.testing import CliRunner

from hwnas.cli import metrics_cmd
from hwnas.metrics import analytic_metrics
from hwnas.spaces import get_space

runner = CliRunner()


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    # A private app with only this command, so the test does not depend on cli/main.py's registrations.
    app = typer.Typer()
    metrics_cmd.register(app)

    @app.command("noop", hidden=True)
    def noop() -> None:  # a second command keeps typer from collapsing the app into its only command
        pass

    return app


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_arch_yaml_gives_json_metrics(app: typer.Typer, tmp_path: Path) -> None:
    space = get_space("hat-wmt14ende")
    arch = space.largest()
    path = _write(tmp_path, "arch.yaml", yaml.safe_dump(arch.to_dict()))
    result = runner.invoke(app, ["metrics", "hat-wmt14ende", str(path)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert list(data)[:4] == ["params", "params_no_embed", "flops", "macs"]
    assert data == {k: int(v) for k, v in analytic_metrics(arch, space).items()}


def test_bare_genes_json_and_text_output(app: typer.Typer, tmp_path: Path) -> None:
    space = get_space("gpt-s")
    arch = space.smallest()
    path = _write(tmp_path, "genes.json", json.dumps(arch.to_dict()["genes"]))
    result = runner.invoke(app, ["metrics", "gpt-s", str(path), "--table"])
    assert result.exit_code == 0, result.output
    assert arch.arch_id in result.stdout
    params = int(analytic_metrics(arch, space)["params"])
    assert f"{params:,}" in result.stdout


@pytest.mark.parametrize(
    ("space", "text", "message"),
    [
        ("hat-wmt14ende", "genes: {encoder_embed_dim: [unclosed", "malformed YAML"),
        ("hat-wmt14ende", "- a\n- list", "expected a mapping"),
        ("hat-wmt14ende", "{space: gpt-s, genes: {embed_dim: 192}}", "is for space 'gpt-s'"),
        ("hat-wmt14ende", "{genes: [1, 2]}", "'genes' must be a mapping"),
        ("tiny", "{encoder_embed_dim: 100}", "gene 'encoder_embed_dim' has value 100"),
        ("no-such-space", "{}", "unknown search space 'no-such-space'"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    app: typer.Typer, tmp_path: Path, space: str, text: str, message: str
) -> None:
    path = _write(tmp_path, "arch.yaml", text)
    result = runner.invoke(app, ["metrics", space, str(path)])
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], result.stderr


def test_family_without_metrics(app: typer.Typer, tmp_path: Path) -> None:
    space = _write(tmp_path, "cells.yaml", yaml.safe_dump(
        {"name": "cells", "family": "cells", "genes": {"op": {"choices": ["a", "b"]}}}))  # fmt: skip
    arch = _write(tmp_path, "arch.yaml", yaml.safe_dump({"space": "cells", "genes": {"op": "a"}}))
    result = runner.invoke(app, ["metrics", str(space), str(arch)])
    assert result.exit_code == 2 and "has no analytic metrics" in result.stderr, result.stderr
    nb201 = _write(tmp_path, "nb201.yaml", yaml.safe_dump(get_space("nb201").smallest().to_dict()))
    assert runner.invoke(app, ["metrics", "nb201", str(nb201)]).exit_code == 0


def test_malformed_json_and_missing_file(app: typer.Typer, tmp_path: Path) -> None:
    bad = _write(tmp_path, "arch.json", '{"genes": ')
    result = runner.invoke(app, ["metrics", "tiny", str(bad)])
    assert result.exit_code == 2 and "malformed JSON" in result.stderr
    result = runner.invoke(app, ["metrics", "tiny", str(tmp_path / "missing.yaml")])
    assert result.exit_code == 2 and "cannot read arch file" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
