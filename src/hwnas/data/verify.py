"""Check the files on this machine against the registry's sha256 (``hwnas data verify``).

A gzip'd file whose bytes differ but whose text hashes to the registry's ``content_sha256`` is reported as
``ok-content``: that is what a fetched MT test set looks like (upstream is plain text, hwnas compresses it).
"""

from __future__ import annotations

import gzip
import hashlib
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from hwnas.data.registry import DataFile, Dataset, datasets, get_dataset, locate

Status = Literal["ok", "ok-content", "mismatch", "missing"]
_CHUNK = 1 << 20


@dataclass(frozen=True, kw_only=True)
class FileCheck:
    """The verdict on one registered file; ``actual`` is the sha256 found (None when missing)."""

    dataset: str
    path: str
    status: Status
    location: Path | None
    expected: str
    actual: str | None

    @property
    def ok(self) -> bool:
        return self.status in ("ok", "ok-content")

    def describe(self) -> str:
        if self.status == "missing":
            return f"{self.dataset}/{self.path}: missing"
        if self.status == "mismatch":
            where = f"{self.dataset}/{self.path}: MISMATCH at {self.location}"
            return f"{where}: sha256 {self.actual}, expected {self.expected}"
        return f"{self.dataset}/{self.path}: {self.status} ({self.location})"


def file_sha256(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def gunzipped_sha256(path: Path) -> str | None:
    """sha256 of a gzip file's decompressed bytes; None if the file is not valid gzip (a bad header is an OSError,
    a cut-off stream an EOFError, damaged compressed data a zlib.error: a corrupted copy is a mismatch, not a
    crash)."""
    digest = hashlib.sha256()
    try:
        with gzip.open(path, "rb") as f:
            while chunk := f.read(_CHUNK):
                digest.update(chunk)
    except (OSError, EOFError, zlib.error):
        return None
    return digest.hexdigest()


def check_path(entry: DataFile, path: Path) -> Status:
    if file_sha256(path) == entry.sha256:
        return "ok"
    if entry.content_sha256 is not None and gunzipped_sha256(path) == entry.content_sha256:
        return "ok-content"
    return "mismatch"


def check_file(dataset: Dataset, entry: DataFile) -> FileCheck:
    location = locate(dataset, entry)
    if location is None:
        return FileCheck(
            dataset=dataset.name, path=entry.path, status="missing", location=None, expected=entry.sha256, actual=None
        )
    status = check_path(entry, location)
    return FileCheck(
        dataset=dataset.name,
        path=entry.path,
        status=status,
        location=location,
        expected=entry.sha256,
        actual=file_sha256(location) if status != "ok" else entry.sha256,
    )


def verify_dataset(name: str) -> list[FileCheck]:
    """Every file of one dataset (missing ones included)."""
    dataset = get_dataset(name)
    return [check_file(dataset, entry) for entry in dataset.files]


def is_present(dataset: Dataset) -> bool:
    """True when at least one file of the dataset is on this machine."""
    return any(locate(dataset, entry) is not None for entry in dataset.files)


def verify_present() -> list[FileCheck]:
    """Every file of every dataset that is at least partly on this machine (absent datasets are not failures)."""
    return [check for ds in datasets().values() if is_present(ds) for check in verify_dataset(ds.name)]
