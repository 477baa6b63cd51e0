"""Read and write architecture files, the one format every `--arch FILE` option accepts.

Accepted: ``{"space": ..., "genes": {...}}`` (what :meth:`Arch.to_dict` and ``hwnas spaces sample`` write), a bare
mapping of genes, or a HAT SubTransformer YAML (keys ending in ``-subtransformer``). JSON or YAML.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from hwnas.core.arch import Arch
from hwnas.core.errors import DataError
from hwnas.core.space import SearchSpace


def _parse_text(text: str, path: Path) -> Any:
    """JSON for ``.json`` files, YAML otherwise (YAML also reads most JSON)."""
    try:
        if path.suffix.lower() == ".json":
            return json.loads(text)
        return yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        kind = "JSON" if path.suffix.lower() == ".json" else "YAML"
        detail = " ".join(str(exc).split())
        raise DataError(f"arch file {str(path)!r}: malformed {kind}: {detail}") from None


def read_arch_mapping(path: str | Path) -> Mapping[str, Any]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DataError(f"cannot read arch file {str(path)!r}: {exc.strerror or exc}") from None
    data = _parse_text(text, path)
    if not isinstance(data, Mapping):
        raise DataError(f"arch file {str(path)!r}: expected a mapping of genes or {{space, genes}}, got {data!r}")
    return data


def load_arch_file(path: str | Path, space: SearchSpace | None = None) -> Arch:
    """Read an arch file and validate it against ``space`` (or the space the file names)."""
    data = read_arch_mapping(path)
    if space is None:
        from hwnas.spaces.registry import get_space

        if "space" not in data:
            raise DataError(f"arch file {str(path)!r} names no space: add 'space: NAME' or pass the space")
        space = get_space(str(data["space"]))
    if any(str(k).endswith("-subtransformer") for k in data):
        from hwnas.encodings import from_hat_yaml

        return from_hat_yaml(data, space)
    genes: Any = data
    if "genes" in data:
        named = data.get("space", space.name)
        if named != space.name:
            raise DataError(f"arch file {str(path)!r} is for space {named!r}, not {space.name!r}")
        genes = data["genes"]
        if not isinstance(genes, Mapping):
            raise DataError(f"arch file {str(path)!r}: 'genes' must be a mapping of gene name to value")
    try:
        return space.make(genes)
    except TypeError as exc:  # e.g. a nested mapping where a gene value should be
        raise DataError(f"arch file {str(path)!r}: {exc}") from None


def write_arch_file(arch: Arch, path: str | Path) -> None:
    """Write ``{space, genes}`` as YAML (or JSON for a ``.json`` path)."""
    path = Path(path)
    data = arch.to_dict()
    text = (
        json.dumps(data, indent=2)
        if path.suffix.lower() == ".json"
        else yaml.safe_dump(data, sort_keys=False, default_flow_style=None)
    )
    path.write_text(text, encoding="utf-8")
