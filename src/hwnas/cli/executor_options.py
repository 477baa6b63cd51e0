"""The executor flags of every command that can run its work elsewhere (``search``, ``bench run``, ``latency
collect``, ``fewshot run``, ``sweep``, ``pipeline``): ``--executor NAME``, ``--executor-opt KEY=VALUE`` and
``--ray-address ADDR``, declared once (an :data:`~hwnas.cli.common.OptionSpec` table for
:func:`~hwnas.cli.common.option_group`) and read once (:func:`executor_block`), so the commands cannot drift apart.
Each command words the help of ``--executor`` (what runs where) and the examples of ``--executor-opt`` (its
executor's options); the rules are the same everywhere.

``--ray-address ADDR`` is ``--executor-opt address=ADDR`` with ``--executor ray`` implied: given alone it selects
ray; with another ``--executor`` it is an error, and so is an ``--executor-opt address=`` naming another cluster.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from hwnas.cli.common import OptionSpec, key_values, option_group
from hwnas.core.errors import ConfigError

EXECUTOR_PANEL = "Executor"
RAY = "ray"
UNIT_EXECUTORS = ("serial", RAY)  # commands whose units of work run here one after the other, or as Ray tasks
ADDRESSES = "auto, HOST:PORT or ray://HOST:PORT"


def executor_options(executor_help: str, options_help: str) -> dict[str, OptionSpec]:
    """The three flags (parameters ``executor``, ``executor_opt``, ``ray_address``): ``executor_help`` says what the
    executor runs in this command and which executors it takes, ``options_help`` gives examples of their options."""
    return {
        "executor": (str | None, "--executor", executor_help),
        "executor_opt": (list[str] | None, "--executor-opt", f"KEY=VALUE (repeatable): {options_help}"),
        "ray_address": (
            str | None,
            "--ray-address",
            f"Ray cluster to join: {ADDRESSES}. Same as --executor-opt address=ADDR; selects --executor ray.",
        ),
    }


def executor_group(executor_help: str, options_help: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The decorator giving a command the three flags, received as one parameter ``executor`` (a dict)."""
    return option_group(executor_options(executor_help, options_help), into="executor", panel=EXECUTOR_PANEL)


def executor_block(flags: Mapping[str, Any], *, default: str | None = None) -> dict[str, Any] | None:
    """The ``{name, options}`` executor block the flags given make, None when none is given. ``name`` is the
    ``--executor`` given, else ray with ``--ray-address``, else ``default`` (None: left to the command's config).
    One-line errors for ``--ray-address`` beside another executor or another address."""
    name, address = flags.get("executor"), flags.get("ray_address")
    options = key_values(flags.get("executor_opt"), "--executor-opt")
    if address is not None:
        if not address.strip():
            raise ConfigError(f"--ray-address {address!r} is empty; give the cluster to join: {ADDRESSES}")
        if name is not None and name != RAY:
            raise ConfigError(
                f"--ray-address {address!r} joins a Ray cluster, but --executor is {name!r}; "
                "give --executor ray (or leave it out: --ray-address selects ray), or drop --ray-address"
            )
        if "address" in options and str(options["address"]) != address:
            raise ConfigError(
                f"--ray-address {address!r} and --executor-opt address={options['address']} name different Ray "
                "clusters; give one of them"
            )
        name, options = RAY, {**options, "address": address}
    if name is None and not options:
        return None if default is None else {"name": default, "options": {}}
    return {"name": name or default, "options": options}


def unit_executor(flags: Mapping[str, Any], *, what: str) -> dict[str, Any] | None:
    """The options given to ray (a dict to validate), or None for serial (this process, one unit after the other),
    for a command that runs its units here or on Ray only; ``what`` names the units in the errors."""
    block = executor_block(flags, default="serial")
    assert block is not None
    if block["name"] not in UNIT_EXECUTORS:
        raise ConfigError(f"--executor {block['name']!r} cannot run {what}; allowed: {', '.join(UNIT_EXECUTORS)}")
    if block["name"] == "serial":
        if block["options"]:
            raise ConfigError("--executor-opt sets options of --executor ray; serial has none")
        return None
    options: dict[str, Any] = block["options"]
    return options


def task_options(flags: Mapping[str, Any], *, what: str) -> Any:
    """The validated ``TaskOptions`` of ``--executor ray`` for a command whose units of work are Ray tasks (few-shot
    seeds, sweep cells), or None for ``serial``; Ray's presence is checked here, before any work."""
    given = unit_executor(flags, what=what)
    if given is None:
        return None
    from hwnas.contracts.options import validate_options
    from hwnas.hardware.ray_cluster import TaskOptions, import_ray

    options = validate_options(TaskOptions, given, where="executor 'ray'")
    import_ray("--executor ray")  # before any work: one line naming the extra
    return options
