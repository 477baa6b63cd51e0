"""`hwnas llm-pp ...`: LLM performance predictors (evaluate on the LLM-PP seed archs, distil); ``generate`` (archs
proposed by the LLM) is added to this sub-app from ``cli/llmgen_cmd.py`` and shares the plumbing below.

Every flag is a key of the command's settings (:mod:`hwnas.llm.llmpp_config`; ``--max-attempts`` <->
``max_attempts``, the repeatable ``--task``/``--seed`` <-> ``tasks``/``seeds``) and every ``--llm-*`` flag a key
of its ``llm:`` section; ``--config FILE`` gives any of them in YAML, flags override it.
Sampling (temperature, answer length, seed) comes from the ``--llm-*`` flags.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer

from hwnas.cli.common import OptionSpec, friendly_errors, option_group, print_json
from hwnas.cli.llm_cmd import llm_options, settings_from_flags
from hwnas.core.files import check_writable

llmpp_app = typer.Typer(
    help="LLM performance predictors: LLM-PP, LLM-Distill-PP, LLM-proposed archs.", no_args_is_help=True
)

# Settings key -> (type, flag, help) of the prompt / predictor options that `evaluate` and `distill` share.
PREDICTOR_OPTIONS: dict[str, OptionSpec] = {
    "template": (str | None, "--template", "Template name or .j2 path (default llmpp-v1)."),
    "k": (int | None, "--k", "Demonstrations per prompt (default all 10)."),
    "samples": (int | None, "--samples", "Answers per arch (needs --llm-temperature > 0)."),
    "aggregate": (str | None, "--aggregate", "mean (default) or median of the samples."),
    "max_attempts": (int | None, "--max-attempts", "Asks per sample before failing (3)."),
    "value_min": (float | None, "--value-min", "Lowest plausible answer (default 0)."),
    "value_max": (float | None, "--value-max", "Highest plausible answer (default 100)."),
    "metric": (str | None, "--metric", "Metric name in the prompt (default 'valid BLEU')."),
    "examples": (int | None, "--examples", "Sentence pairs shown from the corpus (3)."),
    "example_seed": (int | None, "--example-seed", "Seed of those sentence pairs (0)."),
    "seeds": (list[int] | None, "--seed", "Split seed 123, 456, 789 (repeatable; default all three)."),
    "limit": (int | None, "--limit", "Test archs per split scored (default all 20)."),
}
predictor_options = option_group(PREDICTOR_OPTIONS, into="predictor", panel="LLM-PP predictor")

# CLI option -> settings key, per command (tests check both sides list the same settings).
PREDICTOR_FLAGS = {decl: key for key, (_, decl, _) in PREDICTOR_OPTIONS.items()}
EVALUATE_FLAGS = {**PREDICTOR_FLAGS, "--task": "tasks", "--out": "out"}
DISTILL_FLAGS = {
    **PREDICTOR_FLAGS,
    "--space": "space",
    "--out": "out",
    "--n": "n",
    "--sample-seed": "sample_seed",
    "--batch-size": "batch_size",
    "--regressor": "regressor",
    "--demonstrations": "demonstrations",
    "--task-description": "task_description",
}


def register(app: typer.Typer) -> None:
    app.add_typer(llmpp_app, name="llm-pp")


def say(message: str) -> None:
    """Progress, notes and warnings go to stderr, so stdout holds only the result (a table, JSON or JSONL archs)."""
    typer.echo(message, err=True)


def command_config(model: type, config_file: Path | None, flags: dict[str, Any], *, out_folder: bool = False) -> Any:
    """The command's settings, template and output path included, validated before any model is loaded."""
    from hwnas.llm.llmpp_config import load_config_file, resolve
    from hwnas.llm.prompts import load_template

    config = resolve(model, load_config_file(config_file), flags)
    load_template(config.template)
    if config.out:
        check_writable(config.out, what="--out", folder=out_folder)
    return config


def llm_runner(config: Any, llm_flags: dict[str, Any]) -> tuple[Any, Any]:
    """(LLM settings from the --llm-* flags over the config's llm: section, the runner they describe)."""
    from hwnas.llm.clients import make_runner

    llm = settings_from_flags(llm_flags, base=config.llm)
    progress = (lambda done, total: say(f"  {done}/{total} answers")) if sys.stderr.isatty() else None
    return llm, make_runner(llm, progress=progress)


def _write_json(path: str | None, result: dict[str, Any]) -> None:
    from hwnas.llm.evaluation import json_safe

    if path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(json.dumps(json_safe(result), indent=2) + "\n", encoding="utf-8")


@llmpp_app.command("evaluate")
@friendly_errors
@llm_options
@predictor_options
def evaluate(
    llm_flags: dict[str, Any],
    predictor: dict[str, Any],
    task: list[str] | None = typer.Option(None, "--task", help="wmt14ende, wmt14enfr, wmt19ende (repeatable)."),
    out: str | None = typer.Option(None, "--out", help="Write the full result (every answer) as JSON here."),
    config_file: Path | None = typer.Option(None, "--config", help="YAML file with any of the settings above."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON instead of a table."),
) -> None:
    """LLM-PP on the seed archs: MAE and Kendall tau vs valid BLEU (mean±std over seeds) next to the supernets."""
    from hwnas.llm.evaluation import evaluate_llmpp, format_table
    from hwnas.llm.llmpp_config import EvaluateConfig

    flags = {"tasks": task or None, "out": out, **_given(predictor)}
    config = command_config(EvaluateConfig, config_file, flags)
    llm, runner = llm_runner(config, llm_flags)

    def on_split(name: str, split_seed: int, score: Any) -> None:
        say(f"{name} seed {split_seed}: MAE {score.mae:.3f}, Kendall {score.kendall:.3f}, {score.n_failed} failed")

    result = evaluate_llmpp(runner, config, sampling=llm.sampling(), on_split=on_split)
    result["llm_settings"] = llm.model_dump(mode="json")
    _write_json(config.out, result)
    if as_json:
        from hwnas.llm.evaluation import json_safe

        print_json(json_safe(result))
        return
    typer.echo(format_table(result))
    for task_name, note in result["llm"]["example_notes"].items():
        say(f"note: {task_name}: {note}")


def _given(predictor: dict[str, Any]) -> dict[str, Any]:
    """The shared options' values, an empty repeatable option counting as not given."""
    return {key: value or None if isinstance(value, list) else value for key, value in predictor.items()}


@llmpp_app.command("distill")
@friendly_errors
@llm_options
@predictor_options
def distill(
    llm_flags: dict[str, Any],
    predictor: dict[str, Any],
    space: str | None = typer.Option(
        None, "--space", help="hat-wmt14ende, hat-wmt14enfr, hat-wmt19ende; with --demonstrations any HAT-family space."
    ),
    out: str | None = typer.Option(None, "--out", help="Output folder; re-running the command resumes it."),
    demonstrations: str | None = typer.Option(
        None, "--demonstrations", help='Your measured archs: JSONL of {"arch": {space, genes}, "value": float}.'
    ),
    task_description: str | None = typer.Option(
        None, "--task-description", help="With --demonstrations: a corpus (multi30k, multi30k:en-de) or the task text."
    ),
    n: int | None = typer.Option(None, "--n", help="Random archs labelled (per split seed; default 500)."),
    sample_seed: int | None = typer.Option(None, "--sample-seed", help="Seed of the random archs (0)."),
    batch_size: int | None = typer.Option(None, "--batch-size", help="Archs per runner call, saved after each (32)."),
    regressor: str | None = typer.Option(None, "--regressor", help="hwnas.predictors name (default auto)."),
    config_file: Path | None = typer.Option(None, "--config", help="YAML file with any of the settings above."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON instead of a table."),
) -> None:
    """LLM-Distill-PP: label random archs with LLM-PP, fit a regressor on HAT features, score it on the seed archs
    (or, with --demonstrations, distil one model from your own measured archs)."""
    from hwnas.llm.llmpp_config import DistillConfig

    flags = {
        "space": space,
        "out": out,
        "n": n,
        "sample_seed": sample_seed,
        "batch_size": batch_size,
        "regressor": regressor,
        "demonstrations": demonstrations,
        "task_description": task_description,
        **_given(predictor),
    }
    _distill_and_report(command_config(DistillConfig, config_file, flags, out_folder=True), llm_flags, as_json=as_json)


def _distill_and_report(config: Any, llm_flags: dict[str, Any], *, as_json: bool) -> None:
    """Run (or resume) the distillation in the validated settings' folder, then print its result and the model's
    path, the one file ``hwnas search --evaluator llm-distill`` needs."""
    from hwnas.llm.distill_run import MODEL_FILE, run_distill
    from hwnas.llm.evaluation import format_table, json_safe

    llm, runner = llm_runner(config, llm_flags)
    result = run_distill(runner, config, sampling=llm.sampling(), log=say)
    if as_json:
        print_json(json_safe(result))
        return
    typer.echo(format_table(result) if "rows" in result else _user_summary(result))
    typer.echo(f"model for search: {Path(config.out) / MODEL_FILE} (hwnas search --evaluator llm-distill)")


def _user_summary(result: dict[str, Any]) -> str:
    labels, fit = result["labels"], result["fit_on_demonstrations"]
    return (
        f"{result['n']} archs of {result['space']}: {labels['labels_usable']} usable labels, "
        f"{labels['labels_failed']} failed; regressor {labels['regressor_choice']}; on the "
        f"{result['demonstrations']['count']} demonstrations MAE {fit['mae']:.3f}, Kendall {fit['kendall']:.3f}"
    )
