"""Disk cache of LLM answers: one small JSON file per (model, prompt, sampling) key.

One file per answer (rather than one growing file) makes every write atomic on its own (temp file + ``os.replace``),
so concurrent threads and processes never interleave, and a run killed mid-way keeps every answer that had already
arrived. Each entry records what produced it (model, messages, sampling incl. temperature and seed, when), so a
cache folder doubles as an audit trail of the LLM calls behind a result.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hwnas.core.files import write_text_atomic
from hwnas.llm.base import Request

CACHE_SUBDIR = "llm"


def default_cache_dir() -> Path:
    """``<HWNAS_CACHE_DIR or the platform cache>/llm``: next to the datasets and the embedded model's files."""
    from hwnas.data.registry import cache_dir

    return cache_dir() / CACHE_SUBDIR / "responses"


def model_folder(model: str) -> str:
    """A readable, filesystem-safe folder name for a model id (``openai:gpt-4o@https://...`` has ``:`` and ``/``)."""
    readable = re.sub(r"[^A-Za-z0-9._-]+", "_", model).strip("_")[:60] or "model"
    return f"{readable}-{hashlib.sha256(model.encode()).hexdigest()[:8]}"


class ResponseCache:
    """Answers on disk under ``root/<model folder>/<key[:2]>/<key>.json``; safe to share between threads."""

    def __init__(self, root: str | Path | None = None) -> None:
        self.root = Path(root) if root is not None else default_cache_dir()

    def __repr__(self) -> str:
        return f"ResponseCache({str(self.root)!r})"

    def path(self, model: str, key: str) -> Path:
        return self.root / model_folder(model) / key[:2] / f"{key}.json"

    def get(self, model: str, request: Request) -> dict[str, Any] | None:
        """The stored entry for this request, or None (a damaged file counts as a miss and is overwritten later)."""
        key = request.cache_key(model)
        try:
            entry = json.loads(self.path(model, key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(entry, dict) or entry.get("key") != key or not isinstance(entry.get("text"), str):
            return None
        return entry

    def put(self, model: str, request: Request, text: str, *, elapsed_s: float) -> Path:
        """Store one answer atomically (write a temp file in the same folder, then rename over the target)."""
        entry = cache_entry(model, request, text, elapsed_s=elapsed_s)
        return write_text_atomic(self.path(model, entry["key"]), json.dumps(entry, ensure_ascii=False))

    def __len__(self) -> int:
        return sum(1 for _ in self.root.glob("*/*/*.json")) if self.root.is_dir() else 0


def cache_entry(model: str, request: Request, text: str, *, elapsed_s: float) -> dict[str, Any]:
    """The record kept for one answer (also the line format of replay files)."""
    return {
        "key": request.cache_key(model),
        "model": model,
        "messages": [asdict(m) for m in request.messages],
        "sampling": asdict(request.sampling),
        "text": text,
        "elapsed_s": round(elapsed_s, 4),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }
