"""Archs to query, read from a file (``hwnas bench query --archs FILE``): a CSV in the HW-GPT-Bench table's arch
columns, or a JSONL of arch files.

- CSV (``.csv``, or gzipped ``.csv.gz``): the columns ``embed_dim``, ``n_layer``, ``n_head``, ``mlp_ratio``,
  ``bias`` as the table writes them (per-layer values ``-``-joined, ``bias`` 0/1); other columns are ignored, so the
  table itself, or rows cut from it, can be given as they are.
- JSONL (``.jsonl``, or ``.jsonl.gz``): one arch per line, in the arch-file format every ``--arch FILE`` option
  reads (:mod:`hwnas.encodings.archfile`): ``{"space": ..., "genes": {...}}`` or a bare genes mapping.

Every arch is validated against the space; an error names the file, the line and what is wrong.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hwnas.core.arch import Arch
from hwnas.core.errors import ConfigError, DataError, InvalidArchError
from hwnas.core.space import SearchSpace

ARCH_COLUMNS = ("embed_dim", "n_layer", "n_head", "mlp_ratio", "bias")
_SUFFIXES = {".csv": "csv", ".csv.gz": "csv", ".jsonl": "jsonl", ".jsonl.gz": "jsonl"}
_BIAS = {"0": False, "1": True, "false": False, "true": True}


def _kind(path: Path, flag: str) -> str:
    name = path.name.lower()
    for suffix, kind in _SUFFIXES.items():
        if name.endswith(suffix):
            return kind
    raise ConfigError(f"{flag} {str(path)!r}: unknown file type; allowed: {', '.join(_SUFFIXES)}")


def _text(path: Path, flag: str) -> str:
    """The file's text, gunzipped when it starts with gzip's magic bytes."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"{flag} {str(path)!r}: file not found") from None
    except IsADirectoryError:
        raise DataError(f"{flag} {str(path)!r} is a folder, not a file") from None
    try:
        return (gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw).decode("utf-8")
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise DataError(f"{flag} {str(path)!r} is not readable text: {exc}") from None


def read_query_archs(path: str | Path, space: SearchSpace, *, flag: str = "--archs") -> list[Arch]:
    """The archs of ``path`` (CSV or JSONL, see the module doc), in file order, each valid in ``space``."""
    path = Path(path)
    kind = _kind(path, flag)
    text = _text(path, flag)
    items = _csv_items(text, f"{flag} {str(path)!r}") if kind == "csv" else _jsonl_items(text, f"{flag} {str(path)!r}")
    archs = [_arch(genes, space, f"{flag} {str(path)!r} line {line}") for line, genes in items]
    if not archs:
        raise DataError(f"{flag} {str(path)!r} holds no archs")
    return archs


def _csv_items(text: str, where: str) -> list[tuple[int, dict[str, Any]]]:
    rows = csv.reader(io.StringIO(text))
    header = next(rows, None)
    missing = [c for c in ARCH_COLUMNS if c not in (header or [])]
    if header is None or missing:
        raise DataError(f"{where} lacks column(s) {', '.join(missing)}; a CSV needs {', '.join(ARCH_COLUMNS)}")
    at = {c: header.index(c) for c in ARCH_COLUMNS}
    items = []
    for line, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise DataError(f"{where} line {line} has {len(row)} cells; the header has {len(header)}")
        items.append((line, _genes({c: row[at[c]].strip() for c in ARCH_COLUMNS}, f"{where} line {line}")))
    return items


def _genes(cells: Mapping[str, str], where: str) -> dict[str, Any]:
    """One CSV row's cells as genes (ints, per-layer int lists, a bool)."""
    genes: dict[str, Any] = {}
    for column in ("embed_dim", "n_layer"):
        genes[column] = _integers(cells[column], column, where)[0]
    for column in ("n_head", "mlp_ratio"):
        genes[column] = _integers(cells[column], column, where)
    bias = _BIAS.get(cells["bias"].lower())
    if bias is None:
        raise DataError(f"{where} column 'bias' is {cells['bias']!r}; allowed: 0, 1")
    genes["bias"] = bias
    return genes


def _integers(cell: str, column: str, where: str) -> list[int]:
    try:
        return [int(part) for part in cell.split("-")]
    except ValueError:
        raise DataError(f"{where} column {column!r} is {cell!r}; need an integer ('-'-joined per layer)") from None


def _jsonl_items(text: str, where: str) -> list[tuple[int, Any]]:
    items = []
    for line, content in enumerate(text.splitlines(), start=1):
        if not content.strip():
            continue
        try:
            items.append((line, json.loads(content)))
        except ValueError as exc:
            raise DataError(f"{where} line {line} is not valid JSON: {exc}") from None
    return items


def _arch(data: Any, space: SearchSpace, where: str) -> Arch:
    """An arch file's mapping (``{space, genes}`` or bare genes) as an arch of ``space``."""
    if not isinstance(data, Mapping):
        raise DataError(f"{where}: expected an arch ({{space, genes}} or a genes mapping), got {data!r}")
    genes: Any = data.get("genes", data)
    named = data.get("space", space.name) if "genes" in data else space.name
    if named != space.name:
        raise DataError(f"{where}: the arch is for space {named!r}, not {space.name!r}")
    if not isinstance(genes, Mapping):
        raise DataError(f"{where}: 'genes' must be a mapping of gene name to value, got {genes!r}")
    try:
        return space.make(genes)
    except (InvalidArchError, TypeError) as exc:
        raise DataError(f"{where}: {exc}") from None
