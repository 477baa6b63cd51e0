"""Checkpoints: written atomically (temp file in the same folder, fsync, ``os.replace``) so a run killed while
saving never leaves a partial file where a checkpoint is expected; loaded with ``weights_only=True`` (no
arbitrary unpickling).
"""

from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Any

import numpy as np
import torch

from hwnas.core.errors import DataError
from hwnas.core.files import atomic_path

FORMAT = "hwnas-checkpoint"
VERSION = 1
_STEP_FILE = re.compile(r"^step-(\d{8})\.pt$")


def atomic_torch_save(obj: Any, path: str | Path) -> Path:
    """Save ``obj`` to ``path`` atomically; on any failure the temp file is removed and ``path`` is untouched."""
    with atomic_path(path) as tmp:
        torch.save(obj, tmp)
    return Path(path)


def load_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Load a checkpoint written by hwnas; a missing, truncated, garbage or foreign file is a :class:`DataError`
    that says so in one line. torch's own text for such files (an errno, a zip reader's complaint, advice to set
    ``weights_only=False`` or file an issue) would mislead: the file is the problem, not the loader."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"checkpoint {str(path)!r} not found")
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except Exception:  # torch raises many types (OSError, RuntimeError, UnpicklingError, KeyError) for such files
        raise DataError(
            f"not a valid hwnas checkpoint: {path} (unreadable: truncated, corrupted or not a torch file)"
        ) from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise DataError(f"not a valid hwnas checkpoint: {path} (a torch file without format={FORMAT!r})")
    return state


def step_path(checkpoint_dir: Path, step: int) -> Path:
    return checkpoint_dir / f"step-{step:08d}.pt"


def list_step_checkpoints(checkpoint_dir: Path) -> list[tuple[int, Path]]:
    """(step, path) of every step checkpoint, oldest first."""
    if not checkpoint_dir.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in checkpoint_dir.iterdir() if (m := _STEP_FILE.match(p.name))]
    return sorted(found)


def latest_checkpoint(checkpoint_dir: Path) -> Path | None:
    found = list_step_checkpoints(checkpoint_dir)
    return found[-1][1] if found else None


def prune_checkpoints(checkpoint_dir: Path, keep: int) -> None:
    for _, path in list_step_checkpoints(checkpoint_dir)[:-keep]:
        path.unlink(missing_ok=True)


def capture_rng_states() -> dict[str, Any]:
    """Python, numpy (legacy global) and torch RNG states, in types ``weights_only`` loading accepts."""
    kind, keys, pos, has_gauss, gauss = np.random.get_state()
    states: dict[str, Any] = {
        "python": random.getstate(),
        "numpy": [kind, torch.from_numpy(np.asarray(keys, dtype=np.int64)), pos, has_gauss, gauss],
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():  # type: ignore[no-untyped-call]
        states["cuda"] = torch.cuda.get_rng_state_all()
    return states


def restore_rng_states(states: dict[str, Any]) -> None:
    random.setstate(_as_tuple(states["python"]))
    kind, keys, pos, has_gauss, gauss = states["numpy"]
    np.random.set_state((kind, keys.numpy().astype(np.uint32), int(pos), int(has_gauss), float(gauss)))
    torch.set_rng_state(states["torch"])
    if "cuda" in states and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states["cuda"])


def _as_tuple(value: Any) -> Any:
    return tuple(_as_tuple(v) for v in value) if isinstance(value, list | tuple) else value
