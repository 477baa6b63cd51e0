"""The flags of ``hwnas search``, declared once: each parameter name is the config key it fills (so the flag <-> key
map is derived, not kept by hand), grouped into help panels. Component options are generic (``--searcher-opt
KEY=VALUE``, ``--evaluator-opt NAME.KEY=VALUE``, ``--executor-opt KEY=VALUE``), so a new searcher's knobs need no
flag here; ``--describe NAME`` and the help's last section list every registered component's options. The one
exception is an LLM-driven searcher's client: its ``--llm-*`` flags are those of ``hwnas llm`` (one table,
:data:`hwnas.cli.llm_cmd.LLM_FLAGS`), each filling the searcher's option ``llm.KEY``. The executor flags
(``--executor``, ``--executor-opt``, ``--ray-address``) are the ones every command that can run on Ray shares
(:mod:`hwnas.cli.executor_options`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from typer.core import TyperCommand

from hwnas.cli.common import OptionSpec, key_values
from hwnas.cli.executor_options import executor_block, executor_options
from hwnas.cli.llm_cmd import LLM_FLAGS
from hwnas.core.errors import ConfigError, UnknownNameError

RUN_OPTIONS: dict[str, OptionSpec] = {
    "space": (str | None, "--space", "Space name or path to a space YAML file."),
    "objectives": (list[str] | None, "--objective", "METRIC:min|max (repeatable, priority order)."),
    "constraints": (list[str] | None, "--constraint", "'METRIC<=VALUE', also <, >=, > (repeatable)."),
    "evaluators": (list[str] | None, "--evaluator", "Evaluator name (repeatable; default analytic)."),
    "fitness": (
        str | None,
        "--fitness",
        "Evaluator giving the fitness (e.g. supernet); default objective: minimise it.",
    ),
    "fitness_schedule": (
        list[str] | None,
        "--fitness-schedule",
        "Hybrid search: 'EVALUATOR:START-END,...' (e.g. 'llm-distill:0-14,supernet:15-'); repeatable.",
    ),
    "init_archs": (
        str | None,
        "--init-archs",
        "JSONL (or YAML/JSON list) of {space, genes} archs, or a historical_results.json, seeding the first "
        "generation.",
    ),
    "iterations": (int | None, "--iterations", "Ask/tell rounds (default 30)."),
    "max_evaluations": (int | None, "--max-evaluations", "Stop after this many evaluated archs."),
    "population": (int | None, "--population", "Archs asked per iteration / first generation (default 125)."),
    "seed": (int | None, "--seed", "Random seed (default 0): same seed, same result."),
    "max_retries": (int | None, "--max-retries", "Draws to meet cheap constraints (default 1000)."),
    "batch_size": (int | None, "--batch-size", "Archs per evaluation batch (default 64)."),
    "out": (str | None, "--out", "Run directory (must be new or empty unless --resume)."),
    "resume": (bool | None, "--resume", "Continue the killed or finished run in --out."),
}

COMPONENT_OPTIONS: dict[str, OptionSpec] = {
    "searcher": (str | None, "--searcher", "Searcher: evolution (default), random, local or a plugin's."),
    "searcher_opt": (list[str] | None, "--searcher-opt", "KEY=VALUE: an option of the searcher (repeatable)."),
    "evaluator_opt": (
        list[str] | None,
        "--evaluator-opt",
        "NAME.KEY=VALUE: an option of evaluator NAME (listed, the fitness, a phase's or latency-model; "
        "repeatable); NAME.devices=cpu,cuda:0 runs one instance per device (bench: the benchmark's devices).",
    ),
    **executor_options(
        "Who runs evaluation batches: serial (default), process, ray or a plugin's.",
        "an option of the executor, e.g. workers=4 (process), actors=8 (ray); --describe NAME lists them.",
    ),
}

# hwnas 0.1 flags, kept: each fills the option of that name (see hwnas.search.config).
SHORTHAND_OPTIONS: dict[str, OptionSpec] = {
    "algorithm": (str | None, "--algorithm", "Same as --searcher."),
    "parents": (int | None, "--parents", "Evolution: parents kept (default 25)."),
    "mutation_size": (int | None, "--mutation-size", "Evolution: mutants (default 50)."),
    "mutation_prob": (float | None, "--mutation-prob", "Evolution: mutation prob. (default 0.3)."),
    "crossover_size": (int | None, "--crossover-size", "Evolution: crossovers (default 50)."),
    "checkpoint": (str | None, "--checkpoint", "Supernet checkpoint (every evaluator's 'checkpoint')."),
    "latency_model": (
        str | None,
        "--latency-model",
        "Saved latency predictor: adds the predicted 'latency' metric (default for a 'latency' objective or "
        "constraint: the predictor shipped for the space and this device).",
    ),
    "accuracy_model": (str | None, "--accuracy-model", "Saved LLM-Distill-PP accuracy predictor (llm-distill)."),
    "device": (str | None, "--device", "auto (default), cpu or cuda: every evaluator's 'device'."),
}

# `hwnas llm`'s flags that search offers: the client, where it is and how long to wait. Sampling, the cache switches,
# concurrency (the searcher asks one request at a time) and --llm-config stay out of a long help; every LLMSettings
# key is still reachable as --searcher-opt llm.KEY=VALUE.
_LLM_FLAGS_LEFT_OUT = {
    "llm_config", "llm_cache", "llm_backoff", "llm_concurrency", "llm_temperature", "llm_top_p", "llm_max_tokens",
    "llm_seed",
}  # fmt: skip
LLM_OPTIONS: dict[str, OptionSpec] = {
    name: (kind, decl, help_text)
    for name, (key, kind, decl, help_text) in LLM_FLAGS.items()
    if key is not None and name not in _LLM_FLAGS_LEFT_OUT
}
LLM_PANEL = "LLM client of lm-searcher (more: --searcher-opt llm.KEY=VALUE)"

_KEY_OF = {
    "searcher_opt": "searcher",
    "evaluator_opt": "evaluator_options",
    "executor_opt": "executor",
    "ray_address": "executor",
}
# CLI option name -> config key (tests check that both sides list the same settings).
FLAG_TO_KEY = {
    decl: _KEY_OF.get(name, name)
    for group in (RUN_OPTIONS, COMPONENT_OPTIONS, SHORTHAND_OPTIONS)
    for name, (_, decl, _) in group.items()
} | {decl: "searcher" for _, decl, _ in LLM_OPTIONS.values()}  # searcher.options.llm.KEY


def flag_layer(run: dict[str, Any], components: dict[str, Any], shorthands: dict[str, Any]) -> dict[str, Any]:
    """The config layer the flags given make (None: not given)."""
    layer = {k: None if v == [] else v for k, v in run.items()} | shorthands
    layer["searcher"] = _block(components["searcher"], key_values(components["searcher_opt"], "--searcher-opt"))
    layer["executor"] = executor_block(components)
    evaluator_options: dict[str, dict[str, Any]] = {}
    for name_key, value in key_values(components["evaluator_opt"], "--evaluator-opt").items():
        name, dot, key = name_key.rpartition(".")
        if not dot or not name or not key:
            raise ConfigError(f"--evaluator-opt {name_key}=...: expected NAME.KEY=VALUE, e.g. supernet.device=cpu")
        settings = evaluator_options.setdefault(name, {"options": {}})
        if key == "devices" and not _own_option(name, key):
            settings["devices"] = value
        else:
            settings["options"][key] = value
    layer["evaluator_options"] = evaluator_options or None
    return layer


def llm_layer(llm: dict[str, Any], searcher: str, searcher_opt: list[str] | None) -> dict[str, Any] | None:
    """The config layer the ``--llm-*`` flags given make for searcher ``searcher`` (the run's, wherever it was
    named): its options ``llm.KEY``. None when none is given; an error for a searcher that asks no LLM, and for a
    key given both as a flag and as ``--searcher-opt llm.KEY=...`` (which one was meant is unclear)."""
    given = {name: value for name, value in llm.items() if value is not None}
    if not given:
        return None
    from hwnas.contracts.searcher import SEARCHERS

    if not _asks_llm(searcher):
        flags = [LLM_OPTIONS[name][1] for name in given]
        users = [name for name in SEARCHERS.names() if _asks_llm(name)]
        raise ConfigError(
            f"{', '.join(flags)} {'sets' if len(flags) == 1 else 'set'} the LLM client of an LLM-driven searcher, "
            f"but searcher {searcher!r} asks no LLM; allowed with: {', '.join(users)} (--searcher NAME)"
        )
    dotted = key_values(searcher_opt, "--searcher-opt")
    keys = {name: str(LLM_FLAGS[name][0]) for name in given}
    for name, key in keys.items():
        if f"llm.{key}" in dotted:
            raise ConfigError(
                f"{LLM_OPTIONS[name][1]} and --searcher-opt llm.{key}=... both set the searcher's llm.{key}; give one"
            )
    options = {f"llm.{keys[name]}": str(v) if isinstance(v, Path) else v for name, v in given.items()}
    return {"searcher": {"options": options}}


def _asks_llm(searcher: str) -> bool:
    """Whether searcher ``searcher`` has LLM client settings (an options model with an ``llm`` field)."""
    from hwnas.contracts.searcher import SEARCHERS

    return "llm" in SEARCHERS.options_model(searcher).model_fields


def _own_option(evaluator: str, key: str) -> bool:
    """Whether evaluator ``evaluator`` declares an option ``key`` itself (``bench``'s ``devices`` are benchmark
    devices, not instances to spread batches over); False for an unknown name, which the config then names."""
    from hwnas.contracts.evaluator import EVALUATORS

    try:
        return key in EVALUATORS.options_model(evaluator).model_fields
    except UnknownNameError:
        return False


def _block(name: str | None, options: dict[str, Any]) -> dict[str, Any] | None:
    if name is None and not options:
        return None
    return {"name": name, "options": options}


def _registries() -> list[tuple[str, Any]]:
    from hwnas.contracts.evaluator import EVALUATORS
    from hwnas.contracts.executor import EXECUTORS
    from hwnas.contracts.searcher import SEARCHERS

    return [
        ("--searcher-opt KEY=VALUE", SEARCHERS),
        ("--evaluator-opt NAME.KEY=VALUE", EVALUATORS),
        ("--executor-opt KEY=VALUE", EXECUTORS),
    ]


def describe(name: str) -> list[dict[str, Any]]:
    """Every registered component called ``name`` (a searcher, an evaluator or an executor) with its options."""
    found = [
        {**registry.describe(name), "set_with": how.replace("NAME", name)}
        for how, registry in _registries()
        if name in registry.names()
    ]
    if not found:
        known = sorted({n for _, registry in _registries() for n in registry.names()})
        raise ConfigError(
            f"--describe {name!r}: no searcher, evaluator or executor of that name; known: {', '.join(known)}"
        )
    return found


def describe_text(entries: list[dict[str, Any]]) -> str:
    lines = []
    for entry in entries:
        lines.append(f"{entry['name']} ({entry['kind']}): {entry['summary']}")
        for row in entry["options"]:
            lines.append(f"  {row['key']}: {row['type']} = {row['default']}  {row['doc']}".rstrip())
        if not entry["options"]:
            lines.append("  (no options)")
        lines.append(f"  set with {entry['set_with']}")
    return "\n".join(lines)


def components_help() -> str:
    """The help's last section: each component and its options with defaults (paragraphs, for Typer's help)."""
    paragraphs = ["Components and their options (hwnas search --describe NAME for types and docs):"]
    for _, registry in _registries():
        for name in registry.names():
            rows = registry.describe(name)["options"]
            options = ", ".join(f"{r['key']}={r['default']}" for r in rows) or "no options"
            paragraphs.append(f"{registry.kind} {name}: {options}")
    return "\n\n".join(paragraphs)


class SearchCommand(TyperCommand):
    """``hwnas search``'s command: its help ends with the registered components' options, listed when the help is
    shown (plugins included), so ``hwnas --help`` imports none of them."""

    @property
    def epilog(self) -> str:
        return components_help()

    @epilog.setter
    def epilog(self, value: str | None) -> None:
        """Typer sets it on construction; the help computes its own."""
