"""`hwnas llm-pp generate`: archs proposed by an LLM under constraints, as {space, genes} lines a search can start
from (``hwnas search --init-archs``).

It is added to the ``llm-pp`` sub-app by :func:`register_generate` (the sub-app and the settings / runner plumbing
it shares with ``evaluate`` and ``distill`` live in ``cli/llmpp_cmd.py``). Every flag is a key of
:class:`hwnas.llm.llmpp_config.GenerateConfig` (``--constraint`` <-> ``constraints``), every ``--llm-*`` flag a key
of its ``llm:`` section; ``--config FILE`` gives any of them in YAML, flags override it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from hwnas.cli.common import friendly_errors, print_json
from hwnas.cli.llm_cmd import llm_options
from hwnas.cli.llmpp_cmd import command_config, llm_runner, say
from hwnas.core.files import write_text_atomic

if TYPE_CHECKING:
    from hwnas.core.arch import Arch

# CLI option -> settings key (tests check both sides list the same settings).
GENERATE_FLAGS = {
    "--space": "space",
    "--k": "k",
    "--constraint": "constraints",
    "--latency-model": "latency_model",
    "--device": "device",
    "--template": "template",
    "--max-rounds": "max_rounds",
    "--out": "out",
}
GENERATE_TEMPERATURE, GENERATE_MAX_TOKENS = 0.8, 1500  # unless --llm-temperature / --llm-max-tokens say otherwise
EXIT_NOTHING = 1  # the command ran but produced nothing usable (bad input exits 2)
_GENERATE_HINT = (
    "a stronger model (--llm-base-url, --llm-model), more --max-rounds or looser constraints give more valid archs"
)


def register_generate(llmpp_app: typer.Typer) -> None:
    """Add ``generate`` to the ``hwnas llm-pp`` sub-app."""
    llmpp_app.command("generate")(generate)


@friendly_errors
@llm_options
def generate(
    llm_flags: dict[str, Any],
    space: str | None = typer.Option(None, "--space", help="Space name or path to a space YAML file."),
    k: int | None = typer.Option(None, "--k", help="Archs wanted (default 10)."),
    constraint: list[str] | None = typer.Option(None, "--constraint", help="'METRIC<=VALUE' (repeatable)."),
    latency_model: str | None = typer.Option(None, "--latency-model", help="Saved latency predictor (latency)."),
    device: str | None = typer.Option(None, "--device", help="Device of the default latency model (auto)."),
    template: str | None = typer.Option(None, "--template", help="Template name or .j2 path (default llmgen-v1)."),
    max_rounds: int | None = typer.Option(None, "--max-rounds", help="Asks before giving up (default 5)."),
    out: str | None = typer.Option(None, "--out", help="JSONL file of {space, genes} lines (default: stdout)."),
    config_file: Path | None = typer.Option(None, "--config", help="YAML file with any of the settings above."),
    as_json: bool = typer.Option(False, "--json", help="Print the counts as JSON."),
) -> None:
    """Archs proposed by the LLM under constraints; invalid, violating and duplicate ones are dropped and counted."""
    from hwnas.llm.llmpp_config import GenerateConfig

    flags = {
        "space": space,
        "k": k,
        "constraints": constraint or None,
        "latency_model": latency_model,
        "device": device,
        "template": template,
        "max_rounds": max_rounds,
        "out": out,
    }
    config = command_config(GenerateConfig, config_file, flags)
    archs, report = _propose(config, llm_flags)
    _write_archs(archs, report, config, as_json=as_json)


def _propose(config: Any, llm_flags: dict[str, Any]) -> tuple[list[Arch], dict[str, Any]]:
    """The LLM's valid archs and the run's report (where they go, the model, what was dropped and why). The space
    and the evaluators are built before the runner, so a bad space or latency model fails before any model loads."""
    from hwnas.core.objectives import parse_constraints
    from hwnas.llm.generator import propose_archs
    from hwnas.llm.prompts import load_template
    from hwnas.spaces import get_space

    target = get_space(config.space)
    evaluators = _evaluators(target, config)
    llm, runner = llm_runner(config, llm_flags)
    given = llm.model_fields_set
    archs, stats = propose_archs(
        runner,
        target,
        k=config.k,
        constraints=parse_constraints(config.constraints),
        evaluators=evaluators,
        seed=llm.seed or 0,
        max_rounds=config.max_rounds,
        temperature=llm.temperature if "temperature" in given else GENERATE_TEMPERATURE,
        max_tokens=llm.max_tokens if "max_tokens" in given else GENERATE_MAX_TOKENS,
        template=load_template(config.template),
    )
    return archs, {"out": config.out if archs else None, "model": runner.model, **stats.to_dict()}


def _write_archs(archs: list[Arch], report: dict[str, Any], config: Any, *, as_json: bool) -> None:
    """The archs as JSONL (to --out, else stdout unless --json prints the report there), then the counts."""
    counts = ", ".join(f"{key} {value}" for key, value in report.items())
    if not archs:  # nothing to seed a search with: say so and write no (empty) file a later --init-archs would read
        say(f"error: no valid arch from {report['model']} ({counts}); {_GENERATE_HINT}")
        raise typer.Exit(EXIT_NOTHING)
    lines = "".join(json.dumps(a.to_dict()) + "\n" for a in archs)
    if config.out:
        write_text_atomic(config.out, lines)
    elif not as_json:
        typer.echo(lines, nl=False)
    if len(archs) < config.k:
        say(f"warning: {len(archs)} of the {config.k} archs asked for; {_GENERATE_HINT}")
    if as_json:
        print_json(report)
        return
    say(counts)


def _evaluators(space: Any, config: Any) -> list[Any]:
    """Analytic metrics always; predicted latency too when a latency model is given or a constraint needs it."""
    from hwnas.core.objectives import parse_constraints
    from hwnas.search.evaluator import AnalyticEvaluator, make_evaluator

    evaluators: list[Any] = [AnalyticEvaluator(space)]
    wants_latency = any(c.metric == "latency" for c in parse_constraints(config.constraints))
    if config.latency_model or wants_latency:
        options = {"latency_model": config.latency_model, "device": config.device}
        evaluators.append(make_evaluator("latency-model", space, options))
    return evaluators
