"""`hwnas lm-searcher make-data | finetune | eval-picks`: LM-Searcher's learning part, offline on the embedded model.

* ``make-data`` writes ranking samples (:mod:`hwnas.llm.lm_data`) from an evaluator (``--evaluator bench`` for
  HW-GPT-Bench, ``latency-model`` for HAT's predictors, any registered one) and/or measured tables (``--table help``
  for HELP's NB201 / FBNet devices, ``--table shipped`` for the space's shipped latency datasets, or a latency CSV).
* ``finetune`` trains a LoRA adapter of the embedded model on such files (:mod:`hwnas.llm.lm_finetune`).
* ``eval-picks`` measures a ranker's pick quality on held-out samples (:mod:`hwnas.llm.lm_picks`); with
  ``--llm-adapter`` the tuned model, without it the untuned one, with ``--llm-base-url`` an endpoint that scores.

The searcher itself runs through ``hwnas search --searcher lm-searcher`` (with ``--llm-adapter ADAPTER``).
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from hwnas.cli.common import friendly_errors
from hwnas.cli.llm_cmd import llm_options
from hwnas.core.errors import ConfigError

if TYPE_CHECKING:
    from hwnas.core.space import SearchSpace
    from hwnas.llm.lm_data import Source

lm_app = typer.Typer(help="LM-Searcher's ranking data, fine-tuning and pick-quality evaluation.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(lm_app, name="lm-searcher")


def _history(text: str) -> tuple[int, int]:
    low, _, high = text.partition("-")
    try:
        return int(low), int(high or low)
    except ValueError:
        raise ConfigError(f"--history {text!r}: allowed: N or LOW-HIGH, e.g. 5-40") from None


def _evaluator_source(space: SearchSpace, name: str, options: list[str], metrics: list[str]) -> Source:
    from hwnas.cli.common import key_values
    from hwnas.llm.lm_data import EvaluatorSource
    from hwnas.search.evaluator import build_evaluator

    values: dict[str, Any] = {}
    for name_key, value in key_values(options, "--evaluator-opt").items():
        owner, dot, key = name_key.rpartition(".")
        if not dot or owner != name:
            raise ConfigError(f"--evaluator-opt {name_key}=...: expected {name}.KEY=VALUE (the --evaluator's options)")
        values[key] = value
    return EvaluatorSource(name, space, build_evaluator(name, space, values), metrics)


def _table_sources(space: SearchSpace, spec: str) -> list[Source]:
    from hwnas.llm.lm_data import TableSource

    kind, _, rest = spec.partition(":")
    if kind == "help":
        from hwnas.fewshot.tables import help_spaces, help_table

        if space.name not in help_spaces():
            raise ConfigError(f"--table help: space {space.name!r} has no HELP table; allowed: {help_spaces()}")
        table = help_table(space.name)
        devices = [d for d in rest.split(",") if d] or list(table.devices)
        return [
            TableSource(f"help:{space.name}:{d}", space, table.archs, table.device(d).latency, f"latency_{d}")
            for d in devices
        ]
    if kind == "shipped":
        from hwnas.hardware import load_latency_csv
        from hwnas.hardware.embedded import embedded_datasets

        found = [d for d in embedded_datasets() if d.space == space.name]
        sources: list[Source] = []
        for dataset in found:
            rows = load_latency_csv(dataset.csv_path)
            if rows.archs is not None:
                name = dataset.hardware.lower().replace(" ", "-")
                sources.append(TableSource(f"dataset:{space.name}:{name}", space, rows.archs, rows.latency, "latency"))
        if not sources:
            raise ConfigError(f"--table shipped: no shipped latency dataset with archs for space {space.name!r}")
        return sources
    path = Path(spec)
    if path.suffix == ".csv":
        from hwnas.hardware import load_latency_csv

        if not path.is_file():
            raise ConfigError(f"--table {spec!r}: no such file")
        rows = load_latency_csv(path)
        if rows.archs is None:
            raise ConfigError(f"--table {spec!r}: the CSV has no 'arch' column (collected datasets have one)")
        return [TableSource(f"csv:{space.name}:{path.stem}", space, rows.archs, rows.latency, "latency")]
    raise ConfigError(f"--table {spec!r}: allowed: help, help:DEVICE[,DEVICE...], shipped, or a latency CSV file")


@lm_app.command("make-data")
@friendly_errors
def make_data(
    space_name: str = typer.Option(..., "--space", help="Search space (e.g. gpt-s, nb201, fbnet, hat-wmt14ende)."),
    evaluator: str | None = typer.Option(None, "--evaluator", help="Evaluator giving true values (e.g. bench)."),
    evaluator_opt: list[str] = typer.Option([], "--evaluator-opt", help="NAME.KEY=VALUE option of the evaluator."),
    metric: list[str] = typer.Option([], "--metric", help="Evaluator metric to learn (repeatable; default all)."),
    table: list[str] = typer.Option([], "--table", help="help | help:D1,D2 | shipped | FILE.csv (repeatable)."),
    n: int = typer.Option(..., "--n", help="Samples to write."),
    out: Path = typer.Option(..., "--out", help="JSONL file to write (chat format + meta)."),
    history: str = typer.Option("5-40", "--history", help="History size per sample: N or LOW-HIGH."),
    pool: int = typer.Option(10, "--pool", help="Candidates per sample."),
    template: str = typer.Option("lmsearch-chat-v1", "--template", help="Prompt template (as the searcher's)."),
    seed: int = typer.Option(0, "--seed", help="Seed of every draw."),
) -> None:
    """Write LM-Searcher ranking samples: pruned subspaces, a scored history, a pool, the pool's best as answer."""
    import numpy as np

    from hwnas.core.files import atomic_path
    from hwnas.llm.lm_data import SampleSettings, make_samples
    from hwnas.llm.prompts import load_template
    from hwnas.spaces import get_space

    settings = SampleSettings(history=_history(history), pool=pool)
    space = get_space(space_name)
    if evaluator is None and not table:
        raise ConfigError("no source: give --evaluator NAME and/or --table help|shipped|FILE.csv")
    if metric and evaluator is None:
        raise ConfigError("--metric names an evaluator's metric; give --evaluator too")
    sources: list[Source] = []
    if evaluator is not None:
        sources.append(_evaluator_source(space, evaluator, evaluator_opt, metric))
    for spec in table:
        sources += _table_sources(space, spec)
    prompt = load_template(template)
    counts: Counter[str] = Counter()
    with atomic_path(out) as tmp, tmp.open("w", encoding="utf-8") as handle:
        for sample in make_samples(sources, n, template=prompt, settings=settings, rng=np.random.default_rng(seed)):
            handle.write(json.dumps(sample) + "\n")
            counts[sample["meta"]["source"]] += 1
    typer.echo(f"{n} samples written to {out} ({len(counts)} sources)")
    for source, count in sorted(counts.items()):
        typer.echo(f"  {source}: {count}", err=True)


@lm_app.command("finetune")
@friendly_errors
def finetune_cmd(
    data: list[Path] = typer.Option(..., "--data", help="make-data JSONL file (repeatable)."),
    out: Path = typer.Option(..., "--out", help="Adapter folder to write (must not exist)."),
    base: str = typer.Option("embedded", "--base", help="Base model: embedded (SmolLM2-135M) or a .gguf file."),
    rank: int = typer.Option(8, "--rank", help="LoRA rank."),
    alpha: int = typer.Option(16, "--alpha", help="LoRA alpha."),
    layers: int = typer.Option(8, "--layers", help="Top transformer blocks with LoRA (0 = all)."),
    lr: float = typer.Option(3e-4, "--lr", help="Peak learning rate."),
    epochs: float = typer.Option(1.0, "--epochs", help="Passes over the data (fractions allowed)."),
    batch: int = typer.Option(4, "--batch", help="Samples per optimiser step."),
    max_tokens: int = typer.Option(2048, "--max-tokens", help="Skip samples longer than this."),
    seed: int = typer.Option(0, "--seed", help="Seed (data order, LoRA init)."),
    threads: int = typer.Option(1, "--threads", help="CPU threads."),
    device: str = typer.Option("auto", "--device", help="auto (CUDA with bf16 when present) | cpu | cuda."),
    save_every: int = typer.Option(10, "--save-every", help="Checkpoint every N steps (a rerun resumes)."),
) -> None:
    """Train a LoRA adapter of the embedded model as LM-Searcher's ranker (resumes after a kill)."""
    from hwnas.llm.embedded import EMBEDDED_MODEL_ID, default_converted_root
    from hwnas.llm.embedded_hf import load_model
    from hwnas.llm.lm_data import read_samples
    from hwnas.llm.lm_finetune import FinetuneSettings, finetune
    from hwnas.llm.model_files import require_gguf

    settings = FinetuneSettings(rank=rank, alpha=alpha, layers=layers, lr=lr, epochs=epochs, batch=batch,
                                max_tokens=max_tokens, seed=seed, threads=threads, device=device,
                                save_every=save_every)  # fmt: skip
    if out.exists():
        raise ConfigError(f"--out {str(out)!r} already exists; choose a new folder (an adapter is never overwritten)")
    samples = [s for path in data for s in read_samples(str(path))]
    if base != "embedded" and not base.endswith(".gguf"):
        raise ConfigError(f"--base {base!r}: allowed: embedded, or a .gguf file")
    location = require_gguf(None if base == "embedded" else base)
    model, tokenizer = load_model(location.path, default_converted_root())
    base_id = EMBEDDED_MODEL_ID if base == "embedded" else location.path.stem

    def progress(step: int, steps: int, loss: float) -> None:
        typer.echo(f"step {step}/{steps} loss {loss:.4f}", err=True)

    result = finetune(samples, model=model, tokenizer=tokenizer, base_id=base_id, out=out, settings=settings,
                      data_files=data, progress=progress)  # fmt: skip
    typer.echo(
        f"adapter written to {out}: {result.steps} steps on {result.samples - result.skipped_long} samples "
        f"({result.skipped_long} longer than --max-tokens skipped) in {result.seconds:.0f} s"
    )


@lm_app.command("eval-picks")
@friendly_errors
@llm_options
def eval_picks(
    llm: Any,
    data: Path = typer.Option(..., "--data", help="Held-out make-data JSONL file."),
    limit: int | None = typer.Option(None, "--limit", help="Only the first N samples."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Top-1 accuracy and mean rank of the ranker's picks, beside a random pick's exact expectation."""
    from hwnas.llm.clients import make_runner
    from hwnas.llm.lm_data import read_samples
    from hwnas.llm.lm_picks import pick_outcomes, summarise

    if limit is not None and limit < 1:
        raise ConfigError(f"--limit {limit}: allowed: an integer >= 1")
    samples = read_samples(str(data))[:limit]
    runner = make_runner(llm)
    if not runner.choice_scoring:
        raise ConfigError(
            f"LLM {runner.model!r} cannot score choices; eval-picks needs a client that does "
            "(the embedded model with --llm-backend transformers)"
        )

    def progress(done: int, total: int) -> None:
        if done % 10 == 0 or done == total:
            print(f"{done}/{total}", file=sys.stderr, flush=True)

    outcomes = pick_outcomes(samples, runner, progress=progress)
    adapter = str(llm.adapter) if llm.adapter is not None else None
    summary = {"model": runner.model, "adapter": adapter, "data": str(data), **summarise(samples, outcomes),
               "picks": outcomes}  # fmt: skip
    if as_json:
        typer.echo(json.dumps(summary, indent=2))
        return
    overall = summary["overall"]
    typer.echo(f"{runner.model}: {overall['samples']} samples, {overall['failed']} failed")
    for name, stats in [("overall", overall), *summary["sources"].items()]:
        top1 = "-" if stats["top1"] is None else f"{stats['top1']:.3f}"
        rank = "-" if stats["mean_rank"] is None else f"{stats['mean_rank']:.2f}"
        typer.echo(
            f"  {name}: top-1 {top1} (random {stats['random_top1']:.3f}), mean rank {rank} "
            f"(random {stats['random_mean_rank']:.2f})"
        )
