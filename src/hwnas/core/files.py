"""Durable file writes: every result, checkpoint and cache entry hwnas writes goes through here, so a run killed
mid-write leaves either the old file or the new one, never half of one; and every append-only JSON-lines log (the
search journal, training logs, labels, recorded LLM answers, per-arch caches) is written by :class:`AppendLog`, so
a killed run keeps every record it logged.

An atomic write's temporary file sits in the target's folder (a rename across file systems is not atomic) under a
name unique to the process and call, is fsync'd before the rename, and is removed when writing it fails.

An append log's record counts once its newline is on disk: a kill can leave at most a torn last line (the bytes
after the last newline), which :func:`read_json_lines` leaves out and opening the log for append cuts off, so the
next record starts on a fresh line. Any other line that is not JSON is corruption, a :class:`DataError`.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self

from hwnas.core.errors import ConfigError, DataError


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


@contextmanager
def atomic_folder(path: str | Path) -> Iterator[Path]:
    """Yield a temporary folder next to ``path`` to fill; on a clean exit it is renamed onto ``path`` (an OSError if
    ``path`` is a non-empty folder by then, e.g. another process got there first). The temporary folder never
    outlives the call."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}."))
    try:
        yield staging
        os.replace(staging, path)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def write_text_atomic(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def write_json_atomic(path: str | Path, data: Any) -> Path:
    """Write ``data`` as indented JSON to ``path`` atomically."""
    return write_text_atomic(path, json.dumps(data, indent=2))


def read_json_lines(
    path: str | Path,
    *,
    what: str = "file",
    valid: Callable[[Any], bool] = lambda _value: True,
    expected: str = "a JSON value",
) -> tuple[list[Any], int]:
    """The values of a JSON-lines file and the byte length of its intact part: a torn last line is left out (see the
    module doc), blank lines are skipped, a missing file has none. A line that is not JSON, or not ``valid``, is a
    DataError that names ``what``, the file and the line, and says what was ``expected``."""
    path = Path(path)
    if not path.exists():
        return [], 0
    data = path.read_bytes()
    intact = data.rfind(b"\n") + 1
    values = []
    for number, line in enumerate(data[:intact].split(b"\n")[:-1], start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except ValueError:
            value = _NOT_JSON
        if value is _NOT_JSON or not valid(value):
            raise DataError(f"{what} {str(path)!r} line {number}: expected {expected}")
        values.append(value)
    return values, intact


_NOT_JSON = object()


def _cut_torn_line(path: Path) -> None:
    """Cut the bytes after the last newline (a line a kill cut short) off the file, if there are any."""
    if not path.is_file() or path.stat().st_size == 0:
        return
    with path.open("rb+") as raw:
        raw.seek(-1, os.SEEK_END)
        if raw.read(1) == b"\n":
            return
        raw.seek(0)
        raw.truncate(raw.read().rfind(b"\n") + 1)
        os.fsync(raw.fileno())


class AppendLog:
    """An append-only JSON-lines file: each :meth:`append_many` is one write, flushed and fsync'd before it returns,
    so the records survive a crash once it does. ``dumps`` turns a record into its line (key order is kept).

    ``sync=False`` flushes each write to the operating system but fsyncs only on :meth:`close`: the records still
    survive a killed process (the kernel holds them), only a power loss or an OS crash may lose the last ones. For
    logs whose records are cheap to compute again (a search on a benchmark table), where an fsync per write would
    cost more than the work it protects."""

    def __init__(self, path: str | Path, *, dumps: Callable[[Any], str] = json.dumps, sync: bool = True) -> None:
        self.path = Path(path)
        self._dumps = dumps
        self.sync = sync
        self.path.parent.mkdir(parents=True, exist_ok=True)
        _cut_torn_line(self.path)
        self._handle: IO[str] = self.path.open("a", encoding="utf-8")

    def append(self, record: Any) -> None:
        self.append_many([record])

    def append_many(self, records: Iterable[Any]) -> None:
        text = "".join(self._dumps(record) + "\n" for record in records)
        if not text:
            return
        self._handle.write(text)
        self._handle.flush()
        if self.sync:
            os.fsync(self._handle.fileno())

    def close(self) -> None:
        if not self.sync and not self._handle.closed:
            self._handle.flush()
            os.fsync(self._handle.fileno())
        self._handle.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def append_json_lines(path: str | Path, records: Iterable[Any], *, dumps: Callable[[Any], str] = json.dumps) -> None:
    """Append ``records`` to the log at ``path`` durably (open, append, fsync, close): for logs written now and then."""
    with AppendLog(path, dumps=dumps) as log:
        log.append_many(records)


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
