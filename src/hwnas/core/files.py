"""Atomic file writes: every result, checkpoint, journal snapshot and cache entry hwnas writes goes through here, so
a run killed mid-write leaves either the old file or the new one, never half of one.

The temporary file sits in the target's folder (a rename across file systems is not atomic) under a name unique to
the process and call, is fsync'd before the rename, and is removed when writing it fails.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from hwnas.core.errors import ConfigError


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path to write; on a clean exit it is fsync'd and renamed onto ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        yield tmp
        with tmp.open("rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_text_atomic(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def check_writable(path: str | Path, *, what: str, folder: bool = False) -> None:
    """Refuse, before any work is done, an output path that cannot be written: its nearest existing ancestor must
    be a writable folder, and ``path`` itself, if it exists, a file (a folder when ``folder``). Nothing is created,
    so a refused command leaves nothing behind; the OS may still refuse later (a full disk), which callers report.
    """
    path = Path(path)
    kind = "folder" if folder else "file"
    if path.exists():
        if path.is_dir() != folder:
            raise ConfigError(f"{what} {str(path)!r} must be a {kind}, but it is {'a file' if folder else 'a folder'}")
        if not os.access(path, os.W_OK):
            raise ConfigError(f"{what} {str(path)!r} is not writable (permission denied)")
        return
    ancestor = path.parent
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise ConfigError(f"{what} {str(path)!r} cannot be created: {str(ancestor)!r} is a file, not a folder")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise ConfigError(f"{what} {str(path)!r} cannot be created: folder {str(ancestor)!r} is not writable")
