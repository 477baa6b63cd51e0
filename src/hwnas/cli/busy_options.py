"""The flags of every command that measures latency (``latency collect``, ``pipeline``, ``quickstart``): what to do
on a busy machine. One declaration, shared through :func:`hwnas.cli.common.option_group`, so the commands cannot
drift apart; not given, each is :class:`hwnas.hardware.busy.BusyPolicy`'s default."""

from __future__ import annotations

from typing import Any

from hwnas.cli.common import OptionSpec, option_group
from hwnas.hardware.busy import DEFAULT_MAX_LOAD, DEFAULT_MAX_WAIT_S, BusyPolicy

BUSY_OPTIONS: dict[str, OptionSpec] = {
    "max_load": (
        float | None,
        "--max-load",
        f"Share (0-1] of the CPU other processes may use while latency is measured (default {DEFAULT_MAX_LOAD}).",
    ),
    "on_busy": (
        str | None,
        "--on-busy",
        "On a busier machine: wait (default, then refuse), refuse, or ignore (measure anyway; rows record the load).",
    ),
    "max_wait": (
        float | None,
        "--max-wait",
        f"Seconds to wait for a busy machine to calm down before refusing (default {DEFAULT_MAX_WAIT_S:.0f}).",
    ),
}

busy_options = option_group(BUSY_OPTIONS, into="busy", panel="Busy machine")


def busy_policy(values: dict[str, Any]) -> BusyPolicy:
    """The policy of the flags given (the others keep their defaults); a bad value is a ConfigError."""
    given = {"max_load": values.get("max_load"), "on_busy": values.get("on_busy"), "max_wait_s": values.get("max_wait")}
    return BusyPolicy(**{key: value for key, value in given.items() if value is not None})
