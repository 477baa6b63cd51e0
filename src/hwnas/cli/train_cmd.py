"""`hwnas supernet train|eval`, `hwnas train`, `hwnas translate`: thin shells over hwnas.train / hwnas.evaluate.

Multi-GPU: launch the same command under torchrun, e.g.
``torchrun --standalone --nproc_per_node 8 -m hwnas.cli.main supernet train --config FILE``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

from hwnas.cli.common import fail, friendly_errors, print_json
from hwnas.configio import read_config_mapping
from hwnas.core.files import check_writable

supernet_app = typer.Typer(
    help="Train and evaluate weight-sharing supernets (SuperTransformer, GPT supernet).", no_args_is_help=True
)

_RUN_DIR = typer.Option(None, "--run-dir", help="Output folder (config key run_dir).")
_MAX_STEPS = typer.Option(None, "--max-steps", min=1, help="Optimizer steps (config key run.max_steps).")
_DEVICE = typer.Option(None, "--device", help="auto | cpu | cuda (config key run.device).")
_QUIET = typer.Option(None, "--quiet/--progress", help="Hide / show the progress bar (config key run.quiet).")
_RESUME = typer.Option(False, "--resume", help="Continue from the run folder's latest checkpoint.")


def register(app: typer.Typer) -> None:
    app.add_typer(supernet_app, name="supernet")
    app.command("train")(train_arch)
    app.command("translate")(translate_cmd)


def _with_flags(data: dict[str, Any], *, run_dir: str | None, **run: Any) -> dict[str, Any]:
    """Apply CLI flags on top of the file (flags win; unset flags leave the file's values)."""
    out = dict(data)
    if run_dir is not None:
        out["run_dir"] = run_dir
    changes = {k: v for k, v in run.items() if v is not None}
    if changes:
        out["run"] = {**(out.get("run") or {}), **changes}
    return out


def _run_training(data: dict[str, Any], source: str, resume: bool) -> None:
    from hwnas.train.config import parse_config
    from hwnas.train.loop import train

    config = parse_config(data, source=source)
    check_writable(config.run_dir, what="run_dir", folder=True)
    result = train(config, resume=resume)
    if result.checkpoint is None:
        return
    if result.last_loss is None:  # nothing trained (or logged) in this call, e.g. resuming a finished run
        typer.echo(f"at step {result.steps}; checkpoint {result.checkpoint}")
    else:
        typer.echo(f"trained {result.steps} steps (loss {result.last_loss:.4f}); checkpoint {result.checkpoint}")


@supernet_app.command("train")
@friendly_errors
def supernet_train(
    config: Path = typer.Option(..., "--config", help="Training config YAML."),
    resume: bool = _RESUME,
    run_dir: str | None = _RUN_DIR,
    max_steps: int | None = _MAX_STEPS,
    device: str | None = _DEVICE,
    quiet: bool | None = _QUIET,
) -> None:
    """Train a supernet: SuperTransformer or GPT, by the space (one sampled subnet per step, or the sandwich rule)."""
    data = _with_flags(read_config_mapping(config), run_dir=run_dir, max_steps=max_steps, device=device, quiet=quiet)
    if data.get("arch") is not None:
        raise fail(f"{config}: a supernet config has no 'arch'; train one arch with `hwnas train --arch FILE`")
    _run_training(data, str(config), resume)


@friendly_errors
def train_arch(
    arch: Path = typer.Option(..., "--arch", help="Arch file ({space, genes} YAML/JSON or HAT YAML)."),
    config: Path = typer.Option(..., "--config", help="Training config YAML."),
    space: str | None = typer.Option(
        None, "--space", help="Space of the arch (config key space; default: the one --arch names or fits)."
    ),
    resume: bool = _RESUME,
    run_dir: str | None = _RUN_DIR,
    max_steps: int | None = _MAX_STEPS,
    device: str | None = _DEVICE,
    quiet: bool | None = _QUIET,
) -> None:
    """Train one architecture from scratch (same loop as the supernet; the arch is fixed)."""
    from hwnas.encodings.archfile import load_arch_file
    from hwnas.spaces.registry import get_space

    data = _with_flags(read_config_mapping(config), run_dir=run_dir, max_steps=max_steps, device=device, quiet=quiet)
    if space is not None:
        data["space"] = space
    chosen = load_arch_file(arch, get_space(data["space"]) if "space" in data else None)
    data = {**data, "space": data.get("space", chosen.space), "arch": chosen.to_dict()}
    _run_training(data, str(config), resume)


@supernet_app.command("eval")
@friendly_errors
def supernet_eval(
    checkpoint: Path = typer.Option(..., "--checkpoint", help="Checkpoint file (checkpoints/step-*.pt)."),
    arch: Path | None = typer.Option(
        None, "--arch", help="Arch file ({space, genes} or HAT YAML); required for a supernet checkpoint."
    ),
    metric: str = typer.Option(
        "loss", "--metric", help="loss (mean token NLL) | ppl (perplexity: exp of the loss) | bleu (sacreBLEU)."
    ),
    split: str | None = typer.Option(None, "--split", help="Corpus split (default: the run's validation split)."),
    max_sentences: int | None = typer.Option(
        None, "--max-sentences", min=1, help="Evaluate the first N pairs (a language model: lines)."
    ),
    beam: int = typer.Option(4, "--beam", min=1, help="Beam size (BLEU)."),
    lenpen: float = typer.Option(0.6, "--lenpen", help="Length penalty (BLEU)."),
    device: str = typer.Option("auto", "--device", help="auto | cpu | cuda."),
) -> None:
    """Validation loss, perplexity or BLEU of one subnet with inherited weights (or of a from-scratch checkpoint)."""
    from hwnas.evaluate.checkpoint import METRICS, evaluate_checkpoint

    if metric not in METRICS:
        raise fail(f"--metric {metric!r} is unknown; allowed: {', '.join(METRICS)}")
    result = evaluate_checkpoint(
        checkpoint,
        arch=arch,
        metric=metric,  # type: ignore[arg-type]
        split=split,
        max_sentences=max_sentences,
        beam=beam,
        lenpen=lenpen,
        device=device,
    )
    print_json(result)


@friendly_errors
def translate_cmd(
    checkpoint: Path = typer.Option(..., "--checkpoint", help="Checkpoint file."),
    arch: Path | None = typer.Option(
        None, "--arch", help="Arch file ({space, genes} or HAT YAML); required for a supernet checkpoint."
    ),
    input_path: str = typer.Option("-", "--input", help="Source text file, one sentence per line; - = stdin."),
    beam: int = typer.Option(4, "--beam", min=1, help="Beam size (1 = greedy)."),
    lenpen: float = typer.Option(0.6, "--lenpen", help="Length penalty."),
    device: str = typer.Option("auto", "--device", help="auto | cpu | cuda."),
) -> None:
    """Translate a file or stdin, one output line per input line."""
    from hwnas.evaluate.checkpoint import model_for_arch
    from hwnas.evaluate.translate import translate
    from hwnas.models.encdec import EncoderDecoder

    if input_path == "-":
        lines = sys.stdin.read().splitlines()
    else:
        try:
            lines = Path(input_path).read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise fail(f"cannot read --input {input_path!r}: {exc.strerror}") from None
        except UnicodeDecodeError:
            raise fail(f"--input {input_path!r} is not UTF-8 text; give one sentence per line") from None
    if not any(line.strip() for line in lines):  # checked before the model is loaded
        source = "stdin" if input_path == "-" else f"--input {input_path!r}"
        raise fail(f"nothing to translate: {source} is empty; give one source sentence per line")
    model, codec, _, _ = model_for_arch(checkpoint, arch, device=device)
    if not isinstance(model, EncoderDecoder):
        raise fail(f"--checkpoint {str(checkpoint)!r} holds a language model; translate needs an encoder-decoder")
    for line in translate(model, codec, lines, beam=beam, lenpen=lenpen):
        typer.echo(line)


def _standalone() -> None:
    """``python -m hwnas.cli.train_cmd ...`` (e.g. under torchrun) runs these commands without the main app."""
    app = typer.Typer(no_args_is_help=True, pretty_exceptions_enable=False)
    register(app)
    app()


if __name__ == "__main__":
    _standalone()
