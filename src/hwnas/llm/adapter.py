"""LoRA adapters for the embedded model: a folder written by ``hwnas lm-searcher finetune`` (peft's
``adapter_config.json`` + ``adapter_model.safetensors``, and ``hwnas-adapter.json``: what it was trained on and how).

An adapter changes the model's answers, so it is part of the model's identity: ``adapter_id`` (a digest of the weights)
goes into the embedded client's model id, and cached answers of the plain model are never served for the tuned one.
It is applied to the transformers backend's fp32 model and merged into its weights (no per-token adapter cost).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from hwnas.core.errors import ConfigError

CONFIG = "adapter_config.json"
WEIGHTS = "adapter_model.safetensors"
PROVENANCE = "hwnas-adapter.json"


def check_adapter(folder: str | Path) -> Path:
    """The adapter folder, or a one-line error saying what is missing."""
    path = Path(folder).expanduser()
    if not path.is_dir():
        raise ConfigError(
            f"llm.adapter {str(folder)!r} is not a folder; give the --out folder of hwnas lm-searcher finetune"
        )
    missing = [name for name in (CONFIG, WEIGHTS) if not (path / name).is_file()]
    if missing:
        raise ConfigError(
            f"llm.adapter {str(folder)!r} has no {missing[0]}: not a LoRA adapter folder "
            "(hwnas lm-searcher finetune writes adapter_config.json and adapter_model.safetensors)"
        )
    return path


def adapter_id(folder: Path) -> str:
    """A short digest of the adapter's weights (its identity in model ids and caches)."""
    return hashlib.sha256((folder / WEIGHTS).read_bytes()).hexdigest()[:12]


def read_provenance(folder: Path) -> dict[str, Any]:
    """What ``hwnas-adapter.json`` says (empty for an adapter made elsewhere)."""
    file = folder / PROVENANCE
    return json.loads(file.read_text()) if file.is_file() else {}


def apply_adapter(model: Any, folder: Path) -> Any:
    """``model`` with the adapter merged into its weights."""
    try:
        from peft import PeftModel
    except ImportError:
        raise ConfigError('a LoRA adapter needs peft: pip install "hwnas[llm]"') from None
    return PeftModel.from_pretrained(model, str(folder)).merge_and_unload()
