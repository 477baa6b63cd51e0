"""Every `--help` of the hwnas app: no Python-type labels (`<str>`, `<bool>`, `<list[str]>`), no label on a flag."""

from __future__ import annotations

import re
from typing import Any

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from hwnas.cli.main import app

TYPE_LABEL = re.compile(r"<(str|bool|int|float|path|list\[[a-z]+\])>")


def _paths(command: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [prefix]
    for name, sub in getattr(command, "commands", {}).items():
        found += _paths(sub, (*prefix, name))
    return found


COMMANDS = _paths(get_command(app))


def test_the_walk_finds_the_commands() -> None:
    assert {("search",), ("latency", "predict"), ("data", "list"), ("quickstart",)} <= set(COMMANDS)


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "hwnas")
def test_help_has_no_python_type_labels(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(app, [*path, "--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert not TYPE_LABEL.search(result.output), result.output
    help_row = next(line for line in result.output.splitlines() if "--help" in line)
    assert re.search(r"--help\s+Show this message", help_row), help_row  # a flag takes no value


def test_value_options_say_what_they_take() -> None:
    output = CliRunner().invoke(app, ["search", "--help"], terminal_width=200).output
    assert re.search(r"--space\s+TEXT\s", output) and re.search(r"--iterations\s+INTEGER\s", output)
    assert re.search(r"--constraint\s+TEXT\.\.\.\s", output)  # repeatable
    assert re.search(r"--resume\s+Continue", output)
    usage = CliRunner().invoke(app, ["metrics", "--help"], terminal_width=200).output
    assert "SPACE" in usage and "ARCH_FILE" in usage
