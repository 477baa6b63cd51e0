"""Options per component: each searcher, evaluator, predictor and executor declares one pydantic model of its knobs
(types, defaults, one-line docs). A run config holds a ``{name, options}`` block per component (:class:`Component`);
the registry validates the options against the component's model, so a new knob is one field in one file.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import PydanticUndefined

from hwnas.core.errors import ConfigError


class Options(BaseModel):
    """Base of every options model: unknown keys are errors, values are frozen once validated."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class NoOptions(Options):
    """The options model of a component without knobs."""


class Component(BaseModel):
    """A ``{name, options}`` block of a run config: which registered component, with which options."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, description="registered name")
    options: dict[str, Any] = Field(default_factory=dict, description="the component's options (its own model)")


def validate_options(model: type[Options], values: dict[str, Any], *, where: str) -> Options:
    """``values`` validated by ``model``; an error names ``where`` (e.g. "searcher 'evolution'"), the key, the value
    and what is allowed, in one line."""
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        error = exc.errors()[0]
        key = ".".join(str(p) for p in error["loc"]) or "(options)"
        if error["type"] == "extra_forbidden":
            known = ", ".join(model.model_fields) or "(none)"
            raise ConfigError(f"{where}: unknown option {key!r}; known: {known}") from None
        message = str(error["msg"]).removeprefix("Value error, ")
        raise ConfigError(f"{where}: option {key!r} is {error.get('input')!r}: {message}") from None


def describe_options(model: type[Options]) -> list[dict[str, str]]:
    """One row per option: key, type, default and doc (``hwnas search --describe NAME`` prints these)."""
    rows = []
    for key, field in model.model_fields.items():
        if field.default_factory is not None:
            default = repr(field.default_factory())  # type: ignore[call-arg]
        elif field.default is PydanticUndefined:
            default = "(required)"
        else:
            default = repr(field.default)
        kind = getattr(field.annotation, "__name__", None) or str(field.annotation).replace("typing.", "")
        rows.append({"key": key, "type": kind, "default": default, "doc": field.description or ""})
    return rows
