"""Evaluate a training checkpoint: the model of one arch (extracted from a supernet, or the standalone model
trained from scratch), its validation loss, perplexity (exp of the loss: a language model's figure) or BLEU (an
encoder-decoder's) on a split of the run's corpus."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Literal

from torch import nn

from hwnas.core.arch import Arch
from hwnas.core.errors import ConfigError
from hwnas.data.corpus import ParallelCorpus
from hwnas.encodings.archfile import load_arch_file
from hwnas.evaluate.translate import DEFAULT_BEAM, DEFAULT_LENPEN, bleu_score, translate
from hwnas.models.extraction import extract
from hwnas.models.gpt_supernet import GPTSuperNet
from hwnas.models.supertransformer import SuperTransformer
from hwnas.spaces.registry import get_space
from hwnas.train.config import DataConfig, TrainConfig
from hwnas.train.distributed import resolve_device
from hwnas.train.kinds import training_for
from hwnas.train.session import load_trained
from hwnas.train.text import TextCodec
from hwnas.train.validation import valid_loss

Metric = Literal["loss", "ppl", "bleu"]
METRICS = ("loss", "ppl", "bleu")


def model_for_arch(
    checkpoint: str | Path, arch: Arch | str | Path | None, *, device: str = "auto"
) -> tuple[nn.Module, TextCodec, Arch, dict[str, Any]]:
    """(model in eval mode, tokenizer, arch, checkpoint metadata). A supernet checkpoint needs ``arch`` (an Arch or
    an arch file, read against the checkpoint's space) and gives the extracted subnet; a standalone checkpoint
    gives its own model (``arch``, if given, must be its arch)."""
    built, codec, meta = load_trained(checkpoint, resolve_device(device))
    if isinstance(arch, str | Path):
        arch = load_arch_file(arch, built.space)
    if built.kind == "supernet":
        if arch is None:
            raise ConfigError(f"checkpoint {str(checkpoint)!r} holds a supernet: choose a subnet with --arch FILE")
        supernet = built.module
        assert isinstance(supernet, SuperTransformer | GPTSuperNet), type(supernet)
        return extract(supernet, arch).eval(), codec, arch, meta
    trained = Arch.from_dict(meta["arch"])
    if arch is not None and arch != trained:
        raise ConfigError(
            f"checkpoint {str(checkpoint)!r} was trained for arch {trained.arch_id}; --arch names {arch.arch_id}"
        )
    return built.module.eval(), codec, trained, meta


def evaluate_checkpoint(
    checkpoint: str | Path,
    *,
    arch: Arch | str | Path | None,
    metric: Metric,
    split: str | None = None,
    max_sentences: int | None = None,
    beam: int = DEFAULT_BEAM,
    lenpen: float = DEFAULT_LENPEN,
    device: str = "auto",
) -> dict[str, Any]:
    """Validation loss (mean token NLL), perplexity (its exp) or sacreBLEU of one arch on a split of the run's
    corpus (default: the run's validation split; ``max_sentences`` (a language model: lines) defaults to the run's
    ``valid_subset`` for the loss and perplexity and all pairs for BLEU)."""
    if metric not in METRICS:
        raise ConfigError(f"metric {metric!r} is unknown; allowed: {', '.join(METRICS)}")
    model, codec, arch, meta = model_for_arch(checkpoint, arch, device=device)
    config = TrainConfig.model_validate(meta["config"])
    limit = max_sentences if max_sentences is not None else (config.data.valid_subset if metric != "bleu" else None)
    space = get_space(config.space)
    task = training_for(space).task(space, _eval_data(config.data, split, limit))
    corpus = task.load("valid")
    result: dict[str, Any] = {"arch_id": arch.arch_id, "split": corpus.name, "sentences": len(corpus)}
    if metric == "bleu":
        if not isinstance(corpus, ParallelCorpus):
            raise ConfigError(
                f"metric 'bleu' needs a translation model; space {space.name!r} (family {space.family}) is trained "
                "on plain text; allowed: loss, ppl"
            )
        hypotheses = translate(model, codec, corpus.src, beam=beam, lenpen=lenpen)
        return {**result, "bleu": bleu_score(hypotheses, corpus.tgt), "beam": beam, "lenpen": lenpen}
    device_ = next(model.parameters()).device
    batches = task.eval_batches(task.encode(codec, corpus), max_tokens=config.optim.max_tokens, device=device_)
    result["valid_loss"] = valid_loss(model, batches, bf16=config.run.bf16)
    if metric == "ppl":
        result["perplexity"] = math.exp(result["valid_loss"])
    return result


def _eval_data(data: DataConfig, split: str | None, limit: int | None) -> DataConfig:
    """The run's data config, reading ``split`` (a registered corpus's) and its first ``limit`` examples."""
    if split is not None:
        if data.corpus is None:
            raise ConfigError(f"--split {split!r} needs a registered corpus; this run used files (data.corpus: null)")
        data = data.model_copy(update={"valid_split": split})
    return data.model_copy(update={"valid_subset": limit})
