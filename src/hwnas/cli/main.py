"""Entry point of the `hwnas` console script. Sub-apps live in sibling modules and are registered here."""

from __future__ import annotations

import typer

from hwnas import __version__
from hwnas.cli.help_labels import LabelledGroup

app = typer.Typer(
    name="hwnas",
    cls=LabelledGroup,
    help="Hardware-aware neural architecture search for Transformers.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"hwnas {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
) -> None:
    """hwnas: find the most accurate Transformer that meets a latency / energy / memory budget."""


def _register() -> None:
    # Imported here so that `hwnas --help` stays fast and each module stays independent.
    from hwnas.cli import (
        bench_cmd,
        bench_compare_cmd,
        bench_measure_cmd,
        bench_run_cmd,
        collect_cmd,
        data_cmd,
        fewshot_cmd,
        latency_cmd,
        llm_cmd,
        llmgen_cmd,
        llmpp_cmd,
        lm_searcher_cmd,
        metrics_cmd,
        pipeline_cmd,
        search_cmd,
        spaces_cmd,
        sweep_cmd,
        train_cmd,
        trajectory_cmd,
    )

    spaces_cmd.register(app)
    metrics_cmd.register(app)
    data_cmd.register(app)
    search_cmd.register(app)
    trajectory_cmd.register(app)
    lm_searcher_cmd.register(app)
    train_cmd.register(app)
    latency_cmd.register(app)
    collect_cmd.register_collect(latency_cmd.latency_app)
    fewshot_cmd.register(app)
    pipeline_cmd.register(app)
    llm_cmd.register(app)
    llmpp_cmd.register(app)
    llmgen_cmd.register_generate(llmpp_cmd.llmpp_app)
    bench_cmd.register(app)
    bench_measure_cmd.register_measure(bench_cmd.bench_app)
    bench_run_cmd.register_run(bench_cmd.bench_app)
    bench_compare_cmd.register_compare(bench_cmd.bench_app)
    sweep_cmd.register(app)


_register()
