"""Crash-safe run journal: one JSON object per line, appended, flushed and fsync'd before the run relies on it
(:class:`hwnas.core.files.AppendLog`).

A ``kill -9`` can leave at most a torn last line; reading ignores it and reopening for append cuts it off, so the
next record starts on a fresh line. Any other unreadable line is corruption and raises :class:`DataError`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hwnas.core.errors import DataError
from hwnas.core.files import AppendLog


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


def _entry_line(entry: dict[str, Any]) -> str:
    # Key order is kept (not sorted): metrics read back in the order the evaluator gave them, as in a live run.
    return json.dumps(entry, separators=(",", ":"))


class Journal(AppendLog):
    """Appends entries to the run's JSONL journal durably. Open it with :meth:`open`; use it as a context manager.

    ``sync=False`` (a run whose evaluators are all cheap, e.g. a benchmark table): entries are flushed to the OS on
    every append but fsync'd only when the journal closes; a killed run still resumes from every entry, and an OS
    crash can only lose trailing entries, which the resumed run evaluates again for the same values."""

    def __init__(self, path: str | Path, *, sync: bool = True) -> None:
        super().__init__(path, dumps=_entry_line, sync=sync)

    @classmethod
    def open(cls, path: str | Path, *, sync: bool = True) -> Journal:
        """Open for append, first cutting off a torn last line left by a killed run."""
        return cls(path, sync=sync)
