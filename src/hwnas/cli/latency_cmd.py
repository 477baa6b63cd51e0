"""`hwnas latency fit|evaluate|predict`: latency predictors from a CSV of measured archs.

``latency_app`` is the ``hwnas latency`` sub-app; other modules add their own commands to it (``collect``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from hwnas.cli.common import friendly_errors, print_json
from hwnas.contracts.predictor import Capability, Predictor
from hwnas.core.errors import ConfigError
from hwnas.core.files import check_writable

latency_app = typer.Typer(
    help="Latency datasets and predictors: fit, evaluate, predict (HAT's CSVs or the project's own).",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(latency_app, name="latency")


def _knobs(pairs: list[str]) -> dict[str, Any]:
    """``--set KNOB=VALUE`` pairs; VALUE is read as JSON when it parses (numbers, lists, null), else as text."""
    knobs: dict[str, Any] = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--set expects KNOB=VALUE, got {pair!r}")
        try:
            knobs[key.strip()] = json.loads(text)
        except json.JSONDecodeError:
            knobs[key.strip()] = text
    return knobs


@latency_app.command("fit")
@friendly_errors
def fit(
    data: Path = typer.Option(
        ..., "--data", help="Latency CSV: HAT's columns (+ optional arch JSON) or the project's."
    ),
    out: Path = typer.Option(..., "--out", help="Model file to write (npz of arrays + JSON; no pickles)."),
    model: str | None = typer.Option(
        None, "--model", help="Predictor (default cost-mape on HAT's features, else auto); see `hwnas latency models`."
    ),
    encoding: str | None = typer.Option(
        None, "--encoding", help="hat10-raw (default with HAT columns), padded, onehot."
    ),
    seed: int = typer.Option(0, "--seed", help="Seed of everything random in the fit."),
    knob: list[str] = typer.Option([], "--set", help="Predictor option KEY=VALUE (e.g. steps=2000); repeatable."),
) -> None:
    """Fit a latency predictor on every row of a CSV and save it; prints the fit's summary as JSON."""
    from hwnas.hardware import load_latency_csv
    from hwnas.predictors import evaluate_on_dataset, fit_on_dataset

    check_writable(out, what="--out")  # before the fit, which may take minutes
    dataset = load_latency_csv(data)
    predictor = fit_on_dataset(dataset, model=model, encoding=encoding, seed=seed, knobs=_knobs(knob))
    predictor.save(out)
    train_scores, _ = evaluate_on_dataset(predictor, dataset)
    summary = {"model": predictor.name, "encoding": predictor.encoding, "rows": len(dataset), **predictor.fit_summary()}
    print_json({**summary, "train": train_scores, "out": str(out)})


@latency_app.command("models")
@friendly_errors
def models(
    name: str | None = typer.Argument(None, help="One predictor (default: every registered one)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """The registered predictors and their options (types, defaults, docs): what --model and --set take."""
    from hwnas.cli.search_options import describe_text
    from hwnas.predictors import PREDICTORS

    entries = [
        {**PREDICTORS.describe(n), "set_with": f"hwnas latency fit --model {n} --set KEY=VALUE"}
        for n in ([name] if name else PREDICTORS.names())
    ]
    if as_json:
        print_json(entries)
    else:
        typer.echo(describe_text(entries))


@latency_app.command("evaluate")
@friendly_errors
def evaluate(
    model: Path = typer.Option(..., "--model", help="Model file written by `hwnas latency fit`."),
    data: Path = typer.Option(..., "--data", help="Latency CSV to score it on."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    plot: Path | None = typer.Option(None, "--plot", help="Also save a parity plot (PNG) here."),
) -> None:
    """MAPE, RMSE, Spearman and Kendall tau-b of a saved predictor on a CSV."""
    from hwnas.hardware import load_latency_csv
    from hwnas.predictors import evaluate_on_dataset, load_predictor, parity_plot

    if plot is not None:
        check_writable(plot, what="--plot")
    predictor = load_predictor(model)
    dataset = load_latency_csv(data)
    scores, prediction = evaluate_on_dataset(predictor, dataset)
    if plot is not None:
        parity_plot(dataset.latency, prediction, plot)
    if as_json:
        print_json(scores)
        return
    typer.echo(
        f"{predictor.name} on {data.name}: MAPE {scores['mape']:.2%}  RMSE {scores['rmse']:.2f} ms  "
        f"Spearman {scores['spearman']:.3f}  Kendall {scores['kendall']:.3f}  n={scores['n']}"
    )


def _predict_rows(
    predictor: Predictor, arch: Path | None, data: Path | None, space: str | None
) -> list[dict[str, Any]]:
    """One row per arch of ``--arch`` (in ``space`` when given) or of ``--data``: id, latency_ms, and std_ms where
    the predictor declares variance."""
    from hwnas.predictors import predict_rows

    if (arch is None) == (data is None):
        raise ConfigError("give exactly one of --arch FILE or --data CSV")
    has_variance = Capability.VARIANCE in predictor.capabilities
    if arch is not None:
        from hwnas.encodings.archfile import load_arch_file
        from hwnas.spaces.registry import get_space

        one = load_arch_file(arch, get_space(space) if space else None)
        ids: list[str | int] = [one.arch_id]
        means = predictor.predict([one])
        variances = predictor.predict_variance([one]) if has_variance else None
    else:
        assert data is not None
        from hwnas.hardware import load_latency_csv

        dataset = load_latency_csv(data)
        ids = [a.arch_id for a in dataset.archs] if dataset.archs else list(range(len(dataset)))
        means = predict_rows(predictor, dataset)
        variances = predict_rows(predictor, dataset, variance=True) if has_variance else None
    rows: list[dict[str, Any]] = [{"id": i, "latency_ms": float(m)} for i, m in zip(ids, means, strict=True)]
    if variances is not None:
        for row, var in zip(rows, variances, strict=True):
            row["std_ms"] = float(var) ** 0.5
    return rows


@latency_app.command("predict")
@friendly_errors
def predict(
    model: Path = typer.Option(..., "--model", help="Model file written by `hwnas latency fit`."),
    arch: Path | None = typer.Option(None, "--arch", help="Arch file (YAML/JSON {space, genes} or HAT YAML)."),
    space: str | None = typer.Option(
        None, "--space", help="Space of --arch (default: the one it names, or the one built-in space it fits)."
    ),
    data: Path | None = typer.Option(None, "--data", help="Latency CSV: predict every row."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Predicted latency (ms) of one arch or of every row of a CSV (with std where the model has variance)."""
    from hwnas.predictors import load_predictor

    rows = _predict_rows(load_predictor(model), arch, data, space)
    if as_json:
        print_json(rows[0] if arch is not None else rows)
        return
    for row in rows:
        typer.echo(f"{row['id']}\t{row['latency_ms']:.3f}" + (f"\t+-{row['std_ms']:.3f}" if "std_ms" in row else ""))
