"""Reading YAML config files: one place for the errors every `--config FILE` option gives, and for the one-line
description of malformed YAML (file, line, column, what is wrong) that every YAML reader of hwnas uses."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from hwnas.core.errors import ConfigError

ErrorFactory = Callable[[str], Exception]


def read_text_file(path: str | Path, *, what: str, error: ErrorFactory = ConfigError) -> str:
    """The text of a file the user named; unreadable or not UTF-8 (a binary file given by mistake) is one
    ``error`` that names it, not an OSError or a UnicodeDecodeError."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise error(f"cannot read {what} {str(path)!r}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        offset = f"undecodable byte at offset {exc.start}"
        raise error(f"{what} {str(path)!r} is not UTF-8 text ({offset}); is it the right file?") from None


def yaml_problem(exc: yaml.YAMLError) -> str:
    """``line 3, column 2: expected ',' or ']', but got ':' (while parsing a flow sequence started at line 2, column
    4)``: where and what, from the parser's marks (1-based), without its multi-line echo of the text."""
    mark, problem = getattr(exc, "problem_mark", None), getattr(exc, "problem", None)
    if isinstance(exc, yaml.reader.ReaderError):
        return f"character {exc.position + 1}: {exc.reason}"
    if mark is None or problem is None:
        return " ".join(str(exc).split())
    text = f"line {mark.line + 1}, column {mark.column + 1}: {problem}"
    context, start = getattr(exc, "context", None), getattr(exc, "context_mark", None)
    if context and start is not None and (start.line, start.column) != (mark.line, mark.column):
        text += f" ({context} started at line {start.line + 1}, column {start.column + 1})"
    return text


def parse_yaml(text: str, *, source: str, error: ErrorFactory = ConfigError) -> Any:
    """The data in YAML ``text``; malformed YAML is one ``error`` naming ``source`` (e.g. the file), line and
    column."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise error(f"{source}: malformed YAML, {yaml_problem(exc)}") from None


def read_config_mapping(path: str | Path) -> dict[str, Any]:
    """The mapping in a YAML config file (an empty file is an empty mapping); validation is the caller's."""
    source = f"config file {str(path)!r}"
    data = parse_yaml(read_text_file(path, what="config file"), source=source)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{source} must hold a mapping of keys to values, not {type(data).__name__}")
    return data


def explain_validation_error(exc: ValidationError, root: type[BaseModel], *, source: str) -> str:
    """One line for a pydantic error on a nested config: which key, what is wrong, what is allowed there."""
    return f"{source}: " + "; ".join(_describe(error, root) for error in exc.errors()[:3])


def _describe(error: Any, root: type[BaseModel]) -> str:
    where = ".".join(str(p) for p in error["loc"]) or "(top level)"
    if error["type"] == "extra_forbidden":
        return f"unknown config key {where!r}; allowed here: {', '.join(_allowed_at(root, error['loc']))}"
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"config key {where!r}: {message} (got {error.get('input')!r})"


def _allowed_at(root: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """The keys allowed in the section that holds the key at ``loc``."""
    section = root
    for part in loc[:-1]:
        field = section.model_fields.get(str(part))
        annotation = field.annotation if field else None
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            break
        section = annotation
    return list(section.model_fields)
