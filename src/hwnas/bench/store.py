"""The surrogate cache: each fitted (scale, metric, device) as ``<metric>--<device>.npz`` (arrays only, read back
with ``allow_pickle=False``, so loading runs no code) beside a ``.json`` of what it was fitted on and how.

The JSON's ``key`` (scale, metric, device, the SHA-256 of the data fitted, the feature and surrogate versions and
the fit settings) must equal the wanted one for the arrays to be used: a changed table, a re-added user device, a new
feature version or other fit settings make a miss, and the caller refits and overwrites. Unreadable or partial
files are misses too (both files are written atomically, the arrays first, so a torn pair never matches).
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from hwnas.bench.surrogate import SURROGATE_VERSION, FitReport, FitSettings, Surrogate
from hwnas.core.errors import DataError
from hwnas.core.files import atomic_path, write_json_atomic

FORMAT = "hwnas.bench-surrogate/1"


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class CacheKey:
    """What a cached surrogate must have been fitted on to be used."""

    scale: str
    metric: str
    device: str | None
    data_sha256: str
    feature_version: int
    settings: FitSettings

    def to_dict(self) -> dict[str, Any]:
        return {
            "scale": self.scale,
            "metric": self.metric,
            "device": self.device,
            "data_sha256": self.data_sha256,
            "feature_version": self.feature_version,
            "surrogate_version": SURROGATE_VERSION,
            "settings": self.settings.to_dict(),
        }

    @property
    def stem(self) -> str:
        return f"{self.metric}--{self.device or 'all'}"


@dataclass(frozen=True)
class Cached:
    surrogate: Surrogate
    report: dict[str, Any]
    path: Path


class SurrogateStore:
    """Surrogates under ``<root>/<scale>/``."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def paths(self, key: CacheKey) -> tuple[Path, Path]:
        folder = self.root / key.scale
        return folder / f"{key.stem}.npz", folder / f"{key.stem}.json"

    def load(self, key: CacheKey) -> Cached | None:
        """The cached surrogate fitted under exactly ``key``, or None (missing, stale or unreadable)."""
        arrays_path, meta_path = self.paths(key)
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(meta, dict) or meta.get("format") != FORMAT or meta.get("key") != key.to_dict():
            return None
        try:
            with np.load(arrays_path, allow_pickle=False) as archive:
                arrays = {name: archive[name] for name in archive.files}
            surrogate = Surrogate.from_arrays(arrays)
        except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError, DataError):
            return None
        return Cached(surrogate, dict(meta.get("report", {})), arrays_path)

    def save(self, key: CacheKey, surrogate: Surrogate, report: FitReport) -> Path:
        arrays_path, meta_path = self.paths(key)
        contents: dict[str, Any] = surrogate.to_arrays()
        with atomic_path(arrays_path) as tmp, tmp.open("wb") as handle:
            np.savez(handle, **contents)  # a file object: savez adds no suffix
        write_json_atomic(meta_path, {"format": FORMAT, "key": key.to_dict(), "report": report.to_dict()})
        return arrays_path
