"""Shared CLI plumbing: turn domain errors into one clear line and exit code 2; option groups (one declaration of
flags shared by several commands); ``KEY=VALUE`` flags."""

from __future__ import annotations

import functools
import inspect
import json
import sys
import typing
from collections.abc import Callable, Mapping
from typing import Any, ParamSpec, TypeVar

import typer
import yaml

from hwnas.core.errors import ConfigError, HwnasError

P = ParamSpec("P")
R = TypeVar("R")

EXIT_BAD_INPUT = 2


def fail(message: str) -> typer.Exit:
    """Print ``error: message`` on stderr and return an Exit(2) to raise."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(EXIT_BAD_INPUT)


def friendly_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Decorator for every command (the one handler of user errors): domain errors, and the OS refusing a path the
    user named (an unwritable --out, a folder where a file is expected), become one line on stderr and exit code 2.
    Anything else still raises with its traceback: that is a bug, not bad input."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except HwnasError as exc:
            raise fail(str(exc)) from None
        except OSError as exc:
            if exc.filename is None:  # not about a path (a socket, a device): no user path to blame
                raise
            raise fail(os_error_text(exc)) from None

    wrapper.handles_user_errors = True  # type: ignore[attr-defined]  # checked by the bad-input tests
    return wrapper


def os_error_text(exc: OSError) -> str:
    """``Not a directory: 'out/run'`` (both paths of a rename or a copy), without errno or traceback."""
    reason = exc.strerror or type(exc).__name__
    paths = [repr(str(p)) for p in (exc.filename, exc.filename2) if p is not None]
    return f"{reason}: {' -> '.join(paths)}"


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, sort_keys=False)
    sys.stdout.write("\n")


# (type, flag declaration, help) of one option in a reusable group; None as default means "not given".
OptionSpec = tuple[Any, str, str]


def option_group(
    specs: Mapping[str, OptionSpec], *, into: str, panel: str | None = None
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A decorator giving a Typer command a reusable set of options. The command declares one parameter named
    ``into``; it receives ``{parameter name: value or None}`` for every option of the group, so several commands
    share one declaration of the flags (and their help) instead of copies."""

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        signature = inspect.signature(func)
        if into not in signature.parameters:
            raise TypeError(f"{func.__name__} must take a parameter {into!r} to receive its option group")
        hints = typing.get_type_hints(func)
        kept = [p.replace(annotation=hints.get(p.name, p.annotation)) for p in signature.parameters.values()]
        kept = [p for p in kept if p.name != into]
        added = [
            inspect.Parameter(
                name,
                inspect.Parameter.KEYWORD_ONLY,
                default=typer.Option(None, decl, help=help_text, rich_help_panel=panel),
                annotation=kind,
            )
            for name, (kind, decl, help_text) in specs.items()
        ]

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            kwargs[into] = {name: kwargs.pop(name, None) for name in specs}
            return func(*args, **kwargs)

        wrapper.__signature__ = signature.replace(parameters=[*kept, *added])  # type: ignore[attr-defined]
        wrapper.__annotations__ = {p.name: p.annotation for p in [*kept, *added]} | {"return": hints.get("return")}
        return wrapper

    return decorate


def key_values(items: list[str] | None, flag: str) -> dict[str, Any]:
    """``KEY=VALUE`` items; values read as YAML scalars (5, 0.3, true, null) or kept as text."""
    pairs: dict[str, Any] = {}
    for item in items or []:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"{flag} {item!r} is malformed; expected KEY=VALUE")
        try:
            value = yaml.safe_load(raw)
        except yaml.YAMLError:
            value = raw
        pairs[key.strip()] = value if value is None or isinstance(value, str | int | float | bool) else raw
    return pairs
