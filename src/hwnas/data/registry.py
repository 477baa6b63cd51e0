"""Dataset registry (minimal first cut; the data helper extends it with sha256, URLs, licences, downloads).

`resolve(dataset, relpath)` returns the local path of one file of a registered dataset, looked up under
``$HWNAS_DATA_DIR/<folder>/<relpath>``.
"""

from __future__ import annotations

import os
from pathlib import Path

from hwnas.core.errors import DataError

_FOLDERS = {
    "hat_latency": "hat_latency_dataset",
    "llmpp_seedarchs": "llmpp_seedarchs",
    "hwgptbench": "hwgptbench",
    "help": "help",
    "nasflat": "nasflat",
    "mt": "mt",
}


def resolve(dataset: str, relpath: str) -> Path:
    if dataset not in _FOLDERS:
        raise DataError(f"unknown dataset {dataset!r}; known: {', '.join(sorted(_FOLDERS))}")
    root = os.environ.get("HWNAS_DATA_DIR")
    if not root:
        raise DataError(f"dataset {dataset!r} needs HWNAS_DATA_DIR set to a folder holding {_FOLDERS[dataset]}/")
    path = Path(root) / _FOLDERS[dataset] / relpath
    if not path.is_file():
        raise DataError(f"dataset {dataset!r}: file {str(path)!r} not found")
    return path
