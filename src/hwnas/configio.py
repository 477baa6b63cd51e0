"""Reading YAML config files: one place for the errors every `--config FILE` option gives."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from hwnas.core.errors import ConfigError


def read_config_mapping(path: str | Path) -> dict[str, Any]:
    """The mapping in a YAML config file (an empty file is an empty mapping); validation is the caller's."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read config file {str(path)!r}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"config file {str(path)!r} is malformed YAML: {' '.join(str(exc).split())}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"config file {str(path)!r} must hold a mapping of keys to values, not {type(data).__name__}")
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
