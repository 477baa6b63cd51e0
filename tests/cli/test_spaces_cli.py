from __future__ import annotations

import json
from pathlib import Path

import yaml
from typer.testing import CliRunner

from hwnas.cli.main import app
from hwnas.encodings import from_hat_yaml, from_ncode
from hwnas.encodings.archfile import load_arch_file, write_arch_file
from hwnas.spaces import get_space

runner = CliRunner()


def test_list_and_show() -> None:
    result = runner.invoke(app, ["spaces", "list", "--json"])
    assert result.exit_code == 0
    names = {row["name"] for row in json.loads(result.stdout)}
    assert {"hat-wmt14ende", "gpt-s", "nb201", "tiny"} <= names
    shown = json.loads(runner.invoke(app, ["spaces", "show", "nb201", "--json"]).stdout)
    assert shown["size"] == "15625" and len(shown["genes"]) == 6


def test_sample_formats_round_trip() -> None:
    space = get_space("hat-wmt14ende")
    lines = runner.invoke(app, ["spaces", "sample", "hat-wmt14ende", "--n", "3", "--seed", "5", "--format", "json"])
    archs = [json.loads(line) for line in lines.stdout.splitlines()]
    assert len(archs) == 3 and all(space.make(a["genes"]).arch_id == a["arch_id"] for a in archs)
    codes = runner.invoke(app, ["spaces", "sample", "hat-wmt14ende", "--n", "3", "--seed", "5", "--format", "ncode"])
    assert [from_ncode(c, space).arch_id for c in codes.stdout.split()] == [a["arch_id"] for a in archs]
    docs = runner.invoke(app, ["spaces", "sample", "hat-wmt14ende", "--n", "3", "--seed", "5"]).stdout
    assert [space.make(d["genes"]).arch_id for d in yaml.safe_load_all(docs)] == [a["arch_id"] for a in archs]
    hat = runner.invoke(app, ["spaces", "sample", "hat-wmt14ende", "--seed", "5", "--format", "hat-yaml"]).stdout
    assert from_hat_yaml(hat, space).arch_id == archs[0]["arch_id"]


def test_sample_is_deterministic_per_seed() -> None:
    args = ["spaces", "sample", "gpt-m", "--n", "4", "--format", "ncode", "--seed"]
    assert runner.invoke(app, [*args, "9"]).stdout == runner.invoke(app, [*args, "9"]).stdout
    assert runner.invoke(app, [*args, "9"]).stdout != runner.invoke(app, [*args, "10"]).stdout


def test_bad_input_exits_2_with_one_line() -> None:
    for args in (
        ["spaces", "show", "nope"],
        ["spaces", "sample", "nb201", "--format", "xml"],
        ["spaces", "sample", "nb201", "--format", "hat-yaml"],
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 2, args
        assert result.stderr.startswith("error: ") and len(result.stderr.strip().splitlines()) == 1


def test_arch_file_round_trip_and_formats(tmp_path: Path) -> None:
    space = get_space("tiny")
    arch = space.largest()
    for name in ("a.yaml", "a.json"):
        write_arch_file(arch, tmp_path / name)
        assert load_arch_file(tmp_path / name) == arch
        assert load_arch_file(tmp_path / name, space) == arch
    hat = tmp_path / "hat.yaml"
    from hwnas.encodings import to_hat_yaml

    hat.write_text(to_hat_yaml(arch))
    assert load_arch_file(hat, space) == arch


def test_arch_file_with_nested_values_is_a_data_error(tmp_path: Path) -> None:
    import pytest

    from hwnas.core import DataError

    path = tmp_path / "bad.yaml"
    path.write_text("encoder_embed_dim: {a: 1}\n")
    with pytest.raises(DataError, match=r"bad\.yaml"):
        load_arch_file(path, get_space("tiny"))
