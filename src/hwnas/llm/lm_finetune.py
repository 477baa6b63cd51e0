"""Fine-tune the embedded model as LM-Searcher's ranker: LoRA (peft) on ranking samples of :mod:`hwnas.llm.lm_data`.

The loss is the answer's negative log-likelihood given the prompt, token by token, over exactly the tokens the
searcher later scores (:meth:`TransformersBackend.score_choices`: the candidate code's tokens, then the end of the
message, after the chat template's generation prompt). Training on the same tokenisation as scoring is why this is
a short loop of its own rather than TRL's SFT trainer (which re-renders conversations through its own collator, and
would pull in ``datasets``/pyarrow for a few hundred samples); the data files stay in the chat format TRL and
LLaMA-Factory read, so larger runs can use them unchanged.

LoRA goes on the attention and MLP projections of the top ``layers`` transformer blocks only: the blocks below run
without gradients, which makes a CPU step several times cheaper than tuning every block. On CUDA the forward runs
under bf16 autocast. A run checkpoints every ``save_every`` steps into ``<out>.partial``; started again with the
same settings it resumes there (same data order, same optimiser state). The adapter folder is written atomically,
with ``hwnas-adapter.json`` saying what it was trained on.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import platform
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from hwnas.core.errors import ConfigError
from hwnas.core.files import atomic_folder
from hwnas.llm.adapter import PROVENANCE
from hwnas.llm.devices import check_device, resolve_device

CHECKPOINT = "checkpoint.pt"


@dataclass(frozen=True)
class FinetuneSettings:
    rank: int = 8
    alpha: int = 16
    dropout: float = 0.05
    layers: int = 8  # top transformer blocks that get LoRA (0 = all)
    lr: float = 3e-4
    epochs: float = 1.0
    batch: int = 4  # samples per optimiser step (gradient accumulation, one sample per forward)
    warmup: float = 0.1  # fraction of steps with a linear learning-rate warm-up
    max_tokens: int = 2048  # longer samples are skipped (and counted)
    seed: int = 0
    threads: int = 1
    device: str = "auto"
    save_every: int = 10

    def __post_init__(self) -> None:
        checks = {
            "rank": self.rank >= 1, "alpha": self.alpha >= 1, "dropout": 0 <= self.dropout < 1,
            "layers": self.layers >= 0, "lr": 0 < self.lr < 1, "epochs": self.epochs > 0, "batch": self.batch >= 1,
            "warmup": 0 <= self.warmup < 1,
            "max_tokens": self.max_tokens >= 16, "threads": self.threads >= 1, "save_every": self.save_every >= 1,
        }  # fmt: skip
        bad = [name for name, ok in checks.items() if not ok]
        if bad:
            allowed = {"dropout": "0 <= x < 1", "warmup": "0 <= x < 1", "lr": "0 < x < 1", "epochs": "> 0",
                       "layers": ">= 0 (0: every block)", "max_tokens": ">= 16"}  # fmt: skip
            raise ConfigError(f"--{bad[0].replace('_', '-')} {getattr(self, bad[0])!r}: allowed: "
                              f"{allowed.get(bad[0], 'an integer >= 1')}")  # fmt: skip
        check_device(self.device, name="--device")


@dataclass
class FinetuneResult:
    out: Path
    steps: int
    samples: int
    skipped_long: int
    seconds: float
    losses: list[float] = field(default_factory=list)  # mean loss per optimiser step


def _digest(paths: Sequence[Path]) -> list[dict[str, Any]]:
    return [{"file": p.name, "sha256": hashlib.sha256(p.read_bytes()).hexdigest()} for p in paths]


def encode_sample(tokenizer: Any, sample: dict[str, Any]) -> tuple[list[int], list[int]]:
    """(prompt ids, answer ids): the prompt as the chat template renders it for generation, the answer's tokens
    plus the end of the message, as the searcher scores a candidate."""
    messages = sample["messages"]
    prompt = tokenizer.apply_chat_template(messages[:-1], add_generation_prompt=True, return_dict=True)["input_ids"]
    answer = tokenizer(messages[-1]["content"], add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id]
    return list(prompt), list(answer)


def _target_modules(model: Any) -> list[str]:
    wanted = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
    present = {name.rsplit(".", 1)[-1] for name, _ in model.named_modules()}
    found = [m for m in wanted if m in present]
    if not found:
        raise ConfigError("the base model has none of the projections LoRA is put on (q_proj, v_proj, ...)")
    return found


def finetune(
    samples: Sequence[dict[str, Any]],
    *,
    model: Any,
    tokenizer: Any,
    base_id: str,
    out: Path,
    settings: FinetuneSettings,
    data_files: Sequence[Path] = (),
    progress: Callable[[int, int, float], None] | None = None,
) -> FinetuneResult:
    """Train a LoRA adapter on ``samples`` and write it to ``out`` (see the module doc)."""
    import torch
    from peft import LoraConfig, get_peft_model, set_peft_model_state_dict
    from peft.utils import get_peft_model_state_dict

    from hwnas.llm.embedded_hf import torch_threads

    device = torch.device(resolve_device(settings.device, name="--device"))
    encoded = [encode_sample(tokenizer, s) for s in samples]
    usable = [i for i, (p, a) in enumerate(encoded) if len(p) + len(a) <= settings.max_tokens]
    if not usable:
        raise ConfigError(f"every sample is longer than --max-tokens {settings.max_tokens}; raise it")
    order_rng = np.random.default_rng(settings.seed)
    total = max(1, math.ceil(len(usable) * settings.epochs))
    order = np.concatenate([order_rng.permutation(usable) for _ in range(math.ceil(settings.epochs))])[:total]
    steps = math.ceil(total / settings.batch)
    warm = max(1, int(steps * settings.warmup))

    blocks = getattr(model.config, "num_hidden_layers", 0)
    layers = list(range(max(0, blocks - settings.layers), blocks)) if settings.layers and blocks else None
    torch.manual_seed(settings.seed)
    config = LoraConfig(
        r=settings.rank,
        lora_alpha=settings.alpha,
        lora_dropout=settings.dropout,
        target_modules=_target_modules(model),
        layers_to_transform=layers,
        task_type="CAUSAL_LM",
    )
    peft_model = get_peft_model(model, config).to(device)
    params = [p for p in peft_model.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(params, lr=settings.lr, weight_decay=0.0)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min(1.0, (s + 1) / warm) * max(0.1, 1 - max(0, s + 1 - warm) / max(1, steps - warm))
    )
    partial = out.with_name(out.name + ".partial")
    start, losses = 0, list[float]()
    fingerprint = {"settings": asdict(settings), "base": base_id, "data": _digest(data_files), "samples": len(samples)}
    if (partial / CHECKPOINT).is_file():
        state = torch.load(partial / CHECKPOINT, map_location=device, weights_only=False)
        if state["fingerprint"] == fingerprint:
            set_peft_model_state_dict(peft_model, state["adapter"])
            optimiser.load_state_dict(state["optimiser"])
            schedule.load_state_dict(state["schedule"])
            start, losses = int(state["step"]), list(state["losses"])
    autocast = torch.autocast("cuda", dtype=torch.bfloat16) if device.type == "cuda" else contextlib.nullcontext()
    began = time.perf_counter()
    peft_model.train()
    with torch_threads(torch, settings.threads):
        for step in range(start, steps):
            batch = order[step * settings.batch : (step + 1) * settings.batch]
            optimiser.zero_grad(set_to_none=True)
            step_loss = 0.0
            for index in batch:
                prompt, answer = encoded[int(index)]
                ids = torch.tensor([prompt + answer], device=device)
                with autocast:  # logits of the answer's positions only: the vocabulary projection is costly
                    logits = peft_model(input_ids=ids[:, :-1], logits_to_keep=len(answer)).logits[0].float()
                loss = torch.nn.functional.cross_entropy(logits, ids[0, len(prompt) :])
                (loss / len(batch)).backward()  # type: ignore[no-untyped-call]
                step_loss += float(loss.detach()) / len(batch)
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optimiser.step()
            schedule.step()
            losses.append(round(step_loss, 5))
            if progress is not None:
                progress(step + 1, steps, step_loss)
            if (step + 1) % settings.save_every == 0 and step + 1 < steps:
                partial.mkdir(parents=True, exist_ok=True)
                state = {"fingerprint": fingerprint, "adapter": get_peft_model_state_dict(peft_model),
                         "optimiser": optimiser.state_dict(), "schedule": schedule.state_dict(),
                         "step": step + 1, "losses": losses}  # fmt: skip
                torch.save(state, partial / "tmp.pt")
                (partial / "tmp.pt").replace(partial / CHECKPOINT)
    seconds = time.perf_counter() - began
    sources = sorted({f"{s['meta']['source']}" for s in samples})
    provenance = {
        "base": base_id, "settings": asdict(settings), "data": _digest(data_files), "samples": len(samples),
        "trained_samples": int(total), "skipped_long": len(samples) - len(usable), "steps": steps,
        "train_sources": sources, "losses": losses, "seconds_this_session": round(seconds, 1),
        "device": str(device), "versions": _versions(), "machine": platform.machine(),
    }  # fmt: skip
    with atomic_folder(out) as staging:
        peft_model.save_pretrained(str(staging))
        (staging / "README.md").unlink(missing_ok=True)  # peft's blank model card: the provenance file says it all
        (staging / PROVENANCE).write_text(json.dumps(provenance, indent=2))
        for file in staging.iterdir():  # as shareable as any model file (a temporary folder is private)
            file.chmod(0o644)
        staging.chmod(0o755)
    shutil.rmtree(partial, ignore_errors=True)
    return FinetuneResult(out, steps, len(samples), len(samples) - len(usable), seconds, losses)


def _versions() -> dict[str, str]:
    from importlib.metadata import version

    return {name: version(name) for name in ("torch", "transformers", "peft")}
