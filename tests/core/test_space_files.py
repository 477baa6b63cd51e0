"""User space files: accepted wherever a space name is; malformed ones rejected with a clear message."""

from __future__ import annotations

from pathlib import Path

import pytest

from hwnas.core import SpaceDefinitionError, UnknownNameError
from hwnas.spaces import get_space

GOOD = """
name: my-space
family: generic
genes:
  depth: {choices: [1, 2]}
  width: {choices: [8, 16], per_layer: depth}
  act: {choices: [relu, gelu]}
"""


def test_user_yaml_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "space.yaml"
    path.write_text(GOOD)
    space = get_space(str(path))
    assert space.name == "my-space" and space.size() == (2 + 4) * 2


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name: [unclosed", "malformed YAML"),
        ("- a list", "must be a YAML mapping"),
        ("name: x\ngenes: {}", "non-empty mapping"),
        ("name: x\ngenes: {a: {choices: []}}", "non-empty list"),
        ("name: x\ngenes: {a: {choices: [1, a]}}", "mix types"),
        ("name: x\ngenes: {a: {choices: [1, 1]}}", "repeat"),
        ("name: x\ngenes: {a: {choices: [1], per_layer: n}}", "not an earlier gene"),
        ("name: x\ngenes: {n: {choices: [a]}, a: {choices: [1], per_layer: n}}", "ints >= 0"),
        ("name: x\ngenes: {a: {choices: [1], bogus: 2}}", "unknown key 'bogus'"),
        ("name: x\nextra: 1\ngenes: {a: {choices: [1]}}", "unknown key 'extra'"),
    ],
)
def test_malformed_space_files(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(SpaceDefinitionError, match=message) as info:
        get_space(str(path))
    assert "bad.yaml" in str(info.value)


def test_unknown_name_lists_known_spaces() -> None:
    with pytest.raises(UnknownNameError, match="hat-wmt14ende"):
        get_space("no-such-space")


def test_missing_file_is_clear(tmp_path: Path) -> None:
    with pytest.raises(SpaceDefinitionError, match="cannot read"):
        get_space(str(tmp_path / "missing.yaml"))
