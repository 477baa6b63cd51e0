"""Value labels in ``--help``: Typer (0.2x) labels every option with its Python annotation (``--out <str>``,
``--resume <bool>``, even ``--help <bool>``), which reads as if a flag took a value. The root group of the ``hwnas``
app relabels, once, every option and argument of the command tree it is built with: flags get no label, options
the usual CLI words (``TEXT``, ``INTEGER``, ``FLOAT``, ``PATH``, the choices of a choice), arguments their name."""

from __future__ import annotations

from typing import Any

import typer
from typer.core import TyperArgument, TyperGroup, TyperOption

# Typer's label (its annotation, without the angle brackets) -> the word shown instead.
_WORDS = {"str": "TEXT", "int": "INTEGER", "float": "FLOAT", "path": "PATH", "file": "PATH", "dir": "PATH"}


class LabelledGroup(TyperGroup):
    """The root group: relabels its whole command tree when Typer builds it (each ``hwnas`` invocation)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        relabel(self)


def relabel(command: Any) -> None:
    """Set the help label of every parameter of ``command`` and its subcommands that has none of its own (a Typer
    command or group: Typer 0.2x carries its own copy of click, so click's classes are not its base classes)."""
    context = typer.Context(command, info_name=command.name)
    help_option = command.get_help_option(context)
    for param in [*command.params, *([help_option] if help_option is not None else [])]:
        if isinstance(param, TyperArgument):
            param.metavar = param.metavar or str(param.name).upper()  # usage: `hwnas metrics SPACE ARCH_FILE`
            # The name says it; Typer would add <str> beside it and has no setting to hide the type column.
            param.display_type_rich = _no_label  # type: ignore[method-assign]
        elif param.metavar is None:
            param.metavar = label(param, context)
    for sub in getattr(command, "commands", {}).values():
        relabel(sub)


def label(param: Any, context: typer.Context) -> str:
    """'' for a flag (it takes no value); otherwise a word for the value, ``...`` marking a repeatable option."""
    if isinstance(param, TyperOption) and (param.is_flag or param.count):
        return ""
    shown = getattr(param, "display_type", None)
    raw = str(shown(context)) if callable(shown) else param.type.name
    raw = raw.strip("<>").removeprefix("list[").removesuffix("]").removesuffix(" range")
    word = _WORDS.get(raw, raw.upper() if raw.isidentifier() else raw)
    return f"{word}..." if getattr(param, "multiple", False) else word


def _no_label(ctx: Any) -> str | None:
    return None
