"""`hwnas fewshot tasks|run|pretrain|suggest|adapt`: latency on a new device from a few measurements."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from hwnas.cli.common import friendly_errors, print_json
from hwnas.cli.executor_options import executor_group
from hwnas.core.errors import ConfigError
from hwnas.core.files import check_writable

fewshot_app = typer.Typer(
    help="Few-shot latency prediction: transfer from measured devices to a new one from 5-20 measurements.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(fewshot_app, name="fewshot")


def _names(text: str | None, what: str) -> list[str]:
    names = [n.strip() for n in (text or "").split(",") if n.strip()]
    if text is not None and not names:
        raise ConfigError(f"{what}: give one or more comma-separated names")
    return names


def _integers(text: str, what: str) -> list[int]:
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise ConfigError(f"{what}: {text!r} is not a comma-separated list of integers") from None
    if not values or any(v < 1 for v in values):
        raise ConfigError(f"{what}: {text!r}; give integers >= 1")
    return values


def _options(method: str, gnn: bool, seed: int = 0) -> Any:
    from hwnas.contracts.options import validate_options
    from hwnas.fewshot.model import FewShotOptions

    return validate_options(FewShotOptions, {"method": method, "gnn": gnn, "seed": seed}, where="few-shot model")


def _devices(space: str, task: str | None, source: str | None, target: str | None) -> tuple[str, list[str], list[str]]:
    """(space, source, target) from ``--task`` or from ``--source``/``--target`` (not both)."""
    from hwnas.fewshot.tasks import get_task

    if task is not None:
        if source is not None or target is not None:
            raise ConfigError("give --task or --source/--target, not both")
        found = get_task(task)
        found.check_runnable()
        if space is not None and space != found.space:
            raise ConfigError(f"--space {space!r}: task {task} is on space {found.space!r}")
        return found.space, list(found.source), list(found.target)
    if space is None:
        raise ConfigError("--space is required without --task")
    return space, _names(source, "--source"), _names(target, "--target")


@fewshot_app.command("tasks")
@friendly_errors
def tasks(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """The built-in transfer tasks (NASFLAT's N0-N5, F0-F5): space, source and target devices, runnable or not."""
    from hwnas.fewshot.tasks import TASKS

    if as_json:
        print_json(
            [
                {
                    "task": t.name,
                    "space": t.space,
                    "source": list(t.source),
                    "target": list(t.target),
                    "public": t.public,
                    "missing": list(t.missing),
                }
                for t in TASKS.values()
            ]
        )
        return
    for t in TASKS.values():
        state = "runnable" if t.public else f"not runnable: needs {', '.join(t.missing)}"
        typer.echo(f"{t.name}  {t.space}  {len(t.source)} sources -> {', '.join(t.target)}  ({state})")


@fewshot_app.command("run")
@friendly_errors
@executor_group(
    "Where the seeds run: serial (this process, default) or ray (one task each).",
    "an option of --executor ray, e.g. num_cpus=1, num_gpus=0, max_retries=3, threads=1.",
)
def run(
    executor: dict[str, Any],
    space: str | None = typer.Option(
        None, "--space", help="nb201, fbnet (HELP's tables) or hat-wmt14ende; implied by --task."
    ),
    task: str | None = typer.Option(None, "--task", help="A built-in task (see `hwnas fewshot tasks`), e.g. F3."),
    source: str | None = typer.Option(None, "--source", help="Source devices D1,D2,... (pretrained on)."),
    target: str | None = typer.Option(None, "--target", help="Target devices T1,T2,... (adapted to, scored)."),
    samples: str = typer.Option("5,10,20", "--samples", help="Target samples per adaptation, comma-separated."),
    seeds: int = typer.Option(3, "--seeds", help="Seeds 0..N-1 (the sample draw and the GNN)."),
    predictor: str = typer.Option(
        "stack",
        "--predictor",
        help="stack, flops, params, best-source, ridge-transfer, opcount-ridge, ridge-all, gbdt-all or gnn.",
    ),
    sampler: str = typer.Option("random", "--sampler", help="random, params, encoding-kmeans or source-kmeans."),
    gnn: bool = typer.Option(False, "--gnn/--no-gnn", help="Also pretrain the GNN (implied by --predictor gnn)."),
    as_json: bool = typer.Option(False, "--json", help="Print the records as JSON."),
) -> None:
    """Score a predictor on a transfer task: Spearman over all archs and over the unsampled ones, per target and
    sample size (mean and std over seeds), and their mean over the targets."""
    from hwnas.cli.executor_options import task_options
    from hwnas.fewshot.devices import compare

    space, sources, targets = _devices(space, task, source, target)  # type: ignore[arg-type]
    sizes = _integers(samples, "--samples")
    if seeds < 1:
        raise ConfigError(f"--seeds {seeds}: give 1 or more")
    options, mapper = _options(predictor, gnn), _seed_mapper(task_options(executor, what="the few-shot seeds"))
    records = compare(space, sources, targets, [predictor], samples=sizes, seeds=range(seeds), options=options,
                      sampler=sampler, mapper=mapper)[predictor]  # fmt: skip
    if as_json:
        print_json(records)
        return
    for r in records:
        typer.echo(f"{r['target']:>16}  n={r['samples']:<3} spearman all {r['spearman_all']:.3f} "
                   f"+-{r['spearman_all_std']:.3f}  unseen {r['spearman_unseen']:.3f} +-{r['spearman_unseen_std']:.3f}"
                   f"  MAPE unseen {r['mape_unseen']:.1%}")  # fmt: skip


def _seed_mapper(options: Any) -> Any:
    """None (the seeds one after the other, here) or a map running each seed as a Ray task."""
    if options is None:
        return None
    from hwnas.hardware.ray_cluster import task_map

    return task_map(options, what="hwnas fewshot run --executor ray")


@fewshot_app.command("pretrain")
@friendly_errors
def pretrain(
    space: str = typer.Option(
        ..., "--space", help="nb201, fbnet (HELP's tables) or hat-wmt14ende (HAT's CSVs and the project's own)."
    ),
    source: str = typer.Option(..., "--source", help="Source devices D1,D2,... of the space."),
    out: Path = typer.Option(..., "--out", help="Model file to write (npz + JSON; no pickles)."),
    predictor: str = typer.Option("stack", "--predictor", help="Method used once adapted (default stack)."),
    gnn: bool = typer.Option(False, "--gnn/--no-gnn", help="Also pretrain the GNN (implied by --predictor gnn)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the GNN's pretraining and fine-tuning."),
) -> None:
    """Pretrain a few-shot model on source devices; prints what it holds as JSON."""
    from hwnas.fewshot.devices import pretrain as pretrain_on

    options = _options(predictor, gnn, seed)
    check_writable(out, what="--out")
    model = pretrain_on(space, _names(source, "--source"), options)
    model.save(out)
    print_json({**model.describe(), "out": str(out)})


@fewshot_app.command("suggest")
@friendly_errors
def suggest_cmd(
    model: Path = typer.Option(..., "--model", help="Model file of `hwnas fewshot pretrain`."),
    n: int = typer.Option(20, "--n", help="Archs to measure on the new device."),
    out: Path = typer.Option(..., "--out", help="archs.jsonl to write (+ a CSV to fill in and arch files beside)."),
    sampler: str = typer.Option("random", "--sampler", help="random, params, encoding-kmeans or source-kmeans."),
    seed: int = typer.Option(0, "--seed", help="Seed of the draw."),
) -> None:
    """Which archs to measure on the new device; writes them and a CSV (arch_file,latency_ms) to fill in."""
    from hwnas.fewshot.model import read_fewshot
    from hwnas.fewshot.user import suggest, write_suggestions

    check_writable(out, what="--out")
    archs = suggest(read_fewshot(model), n, seed=seed, sampler=sampler)
    print_json({"n": len(archs), "sampler": sampler, **write_suggestions(archs, out)})


@fewshot_app.command("adapt")
@friendly_errors
def adapt(
    model: Path = typer.Option(..., "--model", help="Model file of `hwnas fewshot pretrain`."),
    data: Path = typer.Option(
        ..., "--data", help="Measurements: `hwnas latency collect`'s CSV or arch_file,latency_ms rows."
    ),
    out: Path = typer.Option(..., "--out", help="Adapted model file (a latency model for `hwnas search`)."),
    device: str = typer.Option("cpu", "--device", help="The new device, kind or kind/hardware (recorded)."),
) -> None:
    """Adapt a pretrained model to the device the measurements come from; prints what it holds as JSON."""
    from hwnas.contracts.predictor import DeviceId
    from hwnas.fewshot.model import read_fewshot
    from hwnas.fewshot.user import read_measurements

    check_writable(out, what="--out")
    pretrained = read_fewshot(model)
    archs, values = read_measurements(data, pretrained.space)
    adapted = pretrained.adapt(DeviceId.parse(device), archs, values)
    adapted.save(out)
    print_json({**adapted.describe(), "out": str(out)})
