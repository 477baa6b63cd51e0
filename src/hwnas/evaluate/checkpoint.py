"""Evaluate a training checkpoint: the model of one arch (extracted from a supernet, or the standalone model
trained from scratch), its validation loss or BLEU on a split of the run's corpus."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from torch import nn

from hwnas.core.arch import Arch
from hwnas.core.errors import ConfigError
from hwnas.encodings.archfile import load_arch_file
from hwnas.evaluate.translate import DEFAULT_BEAM, DEFAULT_LENPEN, bleu_score, translate
from hwnas.models.extraction import extract
from hwnas.models.supertransformer import SuperTransformer
from hwnas.train.config import TrainConfig
from hwnas.train.distributed import resolve_device
from hwnas.train.session import load_trained
from hwnas.train.text import TextCodec, encode_corpus, load_split
from hwnas.train.validation import make_eval_batches, valid_loss

Metric = Literal["loss", "bleu"]


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
        assert isinstance(built.module, SuperTransformer)
        return extract(built.module, arch).eval(), codec, arch, meta
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
    """Validation loss (mean token NLL) or sacreBLEU of one arch on a split of the run's corpus (default: the run's
    validation split; ``max_sentences`` defaults to the run's ``valid_subset`` for the loss and all pairs for BLEU)."""
    model, codec, arch, meta = model_for_arch(checkpoint, arch, device=device)
    config = TrainConfig.model_validate(meta["config"])
    data = config.data
    if split is not None:
        if data.corpus is None:
            raise ConfigError(f"--split {split!r} needs a registered corpus; this run used files (data.corpus: null)")
        data = data.model_copy(update={"valid_split": split})
    limit = max_sentences if max_sentences is not None else (data.valid_subset if metric == "loss" else None)
    corpus = load_split(data.model_copy(update={"valid_subset": limit}), "valid")
    result: dict[str, Any] = {"arch_id": arch.arch_id, "split": corpus.name, "sentences": len(corpus)}
    if metric == "loss":
        encoded = encode_corpus(codec, corpus)
        device_ = next(model.parameters()).device
        batches = make_eval_batches(encoded.src, encoded.tgt, max_tokens=config.optim.max_tokens, device=device_)
        result["valid_loss"] = valid_loss(model, batches, bf16=config.run.bf16)
    elif metric == "bleu":
        hypotheses = translate(model, codec, corpus.src, beam=beam, lenpen=lenpen)
        result.update(bleu=bleu_score(hypotheses, corpus.tgt), beam=beam, lenpen=lenpen)
    else:
        raise ConfigError(f"metric {metric!r} is unknown; allowed: loss, bleu")
    return result
