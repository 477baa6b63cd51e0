"""Crash-safe run journal: one JSON object per line, appended, flushed and fsync'd before the run relies on it.

A ``kill -9`` can leave at most a torn last line; reading ignores it and reopening for append cuts it off, so the
next record starts on a fresh line. Any other unreadable line is corruption and raises :class:`DataError`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from hwnas.core.errors import DataError


def read_journal(path: str | Path) -> tuple[list[dict[str, Any]], int]:
    """The journal's entries and the byte length of its intact part (a torn last line is left out)."""
    path = Path(path)
    if not path.exists():
        return [], 0
    data = path.read_bytes()
    entries: list[dict[str, Any]] = []
    intact = 0
    for number, line in enumerate(data.split(b"\n"), start=1):
        end = intact + len(line) + 1
        if end > len(data):  # no newline after it: the last line, torn by a kill (or empty)
            break
        try:
            entry = json.loads(line)
        except ValueError:
            raise DataError(
                f"journal {str(path)!r} line {number} is not valid JSON; the run directory is corrupt"
            ) from None
        if not isinstance(entry, dict) or "kind" not in entry:
            raise DataError(f"journal {str(path)!r} line {number} is not a journal entry (an object with 'kind')")
        entries.append(entry)
        intact = end
    return entries, intact


class Journal:
    """Appends entries to a JSONL file durably. Open it with :meth:`open`; use it as a context manager."""

    def __init__(self, path: Path, handle: IO[str]) -> None:
        self.path = path
        self._handle = handle

    @classmethod
    def open(cls, path: str | Path) -> Journal:
        """Open for append, first cutting off a torn last line left by a killed run."""
        path = Path(path)
        _, intact = read_journal(path)
        if path.exists() and path.stat().st_size != intact:
            with path.open("r+b") as raw:
                raw.truncate(intact)
                os.fsync(raw.fileno())
        return cls(path, path.open("a", encoding="utf-8"))

    def append(self, entry: dict[str, Any]) -> None:
        self.append_many([entry])

    def append_many(self, entries: Iterable[dict[str, Any]]) -> None:
        """Write entries, then flush and fsync once: after this returns they survive a crash."""
        # Key order is kept (not sorted): metrics read back in the order the evaluator gave them, as in a live run.
        text = "".join(json.dumps(e, separators=(",", ":")) + "\n" for e in entries)
        if not text:
            return
        self._handle.write(text)
        self._handle.flush()
        os.fsync(self._handle.fileno())

    def close(self) -> None:
        self._handle.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
