"""Read and write architecture files, the one format every `--arch FILE` option accepts.

Accepted: ``{"space": ..., "genes": {...}}`` (what :meth:`Arch.to_dict` and ``hwnas spaces sample`` write), a bare
mapping of genes, or a HAT SubTransformer YAML (keys ending in ``-subtransformer``, as in HAT's published
``configs/<task>/subtransformer/*.yml``). JSON or YAML. A file that names no space is read in the space the caller
gives (``--space``, a checkpoint's, a config's), else in the one built-in space that accepts it. (It lives with the
encodings, above the spaces, because it reads HAT's YAML.)
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from hwnas.configio import parse_yaml, read_text_file
from hwnas.core.arch import Arch
from hwnas.core.errors import DataError, HwnasError, InvalidArchError
from hwnas.core.space import SearchSpace
from hwnas.encodings.hat_yaml import from_hat_yaml, is_hat_yaml
from hwnas.spaces.registry import builtin_names, get_space


def _parse_text(text: str, path: Path) -> Any:
    """JSON for ``.json`` files, YAML otherwise (YAML also reads most JSON)."""
    if path.suffix.lower() != ".json":
        return parse_yaml(text, source=f"arch file {str(path)!r}", error=DataError)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(f"arch file {str(path)!r}: malformed JSON, {exc}") from None


def read_arch_mapping(path: str | Path) -> Mapping[str, Any]:
    path = Path(path)
    data = _parse_text(read_text_file(path, what="arch file", error=DataError), path)
    if not isinstance(data, Mapping):
        raise DataError(f"arch file {str(path)!r}: expected a mapping of genes or {{space, genes}}, got {data!r}")
    return data


def load_arch_file(path: str | Path, space: SearchSpace | None = None) -> Arch:
    """Read an arch file and validate it against ``space`` (or the space the file names, or the one built-in space
    that accepts its genes: HAT's own SubTransformer files name no space)."""
    data = read_arch_mapping(path)
    where = f"arch file {str(path)!r}"
    if space is None:
        space = _space_of(data, where)
    return _arch_in(data, space, where)


def _arch_in(data: Mapping[str, Any], space: SearchSpace, where: str) -> Arch:
    if is_hat_yaml(data):
        return from_hat_yaml(data, space)
    genes: Any = data
    if "genes" in data:
        named = data.get("space", space.name)
        if named != space.name:
            raise DataError(f"{where} is for space {named!r}, not {space.name!r}")
        genes = data["genes"]
        if not isinstance(genes, Mapping):
            raise DataError(f"{where}: 'genes' must be a mapping of gene name to value")
    try:
        return space.make(genes)
    except TypeError as exc:  # e.g. a nested mapping where a gene value should be
        raise DataError(f"{where}: {exc}") from None


def _space_of(data: Mapping[str, Any], where: str) -> SearchSpace:
    """The space the file names, else the one built-in space whose genes it fits; none or several is an error that
    says how to give the space."""
    if "space" in data:
        return get_space(str(data["space"]))
    fits, first_error = [], None
    for name in builtin_names():
        try:
            _arch_in(data, get_space(name), where)
        except (HwnasError, TypeError, ValueError) as exc:
            first_error = first_error or (exc if isinstance(exc, InvalidArchError) else None)
            continue
        fits.append(name)
    if len(fits) == 1:
        return get_space(fits[0])
    if fits:
        raise DataError(f"{where} names no space and fits {len(fits)}: {', '.join(fits)}; choose one with --space NAME")
    detail = f" (e.g. {first_error})" if first_error else ""
    raise DataError(f"{where} names no space and fits no built-in space{detail}; give the space with --space NAME")


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
