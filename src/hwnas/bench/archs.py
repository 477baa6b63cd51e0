"""GPT archs as padded per-layer arrays: the one form the features, the table look-up and the surrogates read.

A query may hold 10^5 archs, so nothing here builds a Python object per arch beyond reading its genes once: genes
are gathered with ``np.fromiter`` and checked against the space's choices in whole-array operations. Only when a
check fails is the offending arch passed to :meth:`SearchSpace.make`, whose error names the gene, the value and the
allowed choices. Values are stored as indexes into the space's choices (``Grid``), so that features are one-hot
look-ups and two archs are equal exactly when their arrays are.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import chain
from operator import itemgetter
from typing import Any

import numpy as np

from hwnas.core.arch import Arch
from hwnas.core.errors import ConfigError, HwnasError
from hwnas.core.space import SearchSpace
from hwnas.data.hwgpt_table import HwGptBenchTable

GENES = ("embed_dim", "n_layer", "n_head", "mlp_ratio", "bias")


def _ints(space: SearchSpace, gene: str) -> tuple[int, ...]:
    return tuple(int(c) for c in space.gene(gene).choices)


@dataclass(frozen=True)
class Grid:
    """The choices of a gpt space (sorted ascending) and its constants."""

    space: str
    embed: tuple[int, ...]
    layers: tuple[int, ...]
    heads: tuple[int, ...]
    ratios: tuple[int, ...]
    head_size: int
    vocab_size: int
    block_size: int

    @classmethod
    def of(cls, space: SearchSpace) -> Grid:
        constants = space.constants
        return cls(
            space=space.name,
            embed=tuple(sorted(_ints(space, "embed_dim"))),
            layers=tuple(sorted(_ints(space, "n_layer"))),
            heads=tuple(sorted(_ints(space, "n_head"))),
            ratios=tuple(sorted(_ints(space, "mlp_ratio"))),
            head_size=int(constants.get("head_size", 64)),
            vocab_size=int(constants.get("vocab_size", 50254)),
            block_size=int(constants.get("block_size", 1024)),
        )

    @property
    def max_layers(self) -> int:
        return max(self.layers)


@dataclass(frozen=True)
class ArchArrays:
    """``n`` archs of one space; per-layer entries beyond an arch's ``n_layer`` are 0 and masked out."""

    embed: np.ndarray  # [n] int64: index into Grid.embed
    n_layer: np.ndarray  # [n] int64: the number of blocks (a value, not an index)
    heads: np.ndarray  # [n, L] int64: index into Grid.heads
    ratios: np.ndarray  # [n, L] int64: index into Grid.ratios
    mask: np.ndarray  # [n, L] bool: block i exists
    bias: np.ndarray  # [n] bool

    def __len__(self) -> int:
        return int(self.embed.shape[0])

    def take(self, rows: np.ndarray) -> ArchArrays:
        return ArchArrays(
            self.embed[rows], self.n_layer[rows], self.heads[rows], self.ratios[rows], self.mask[rows], self.bias[rows]
        )


def _index(values: np.ndarray, choices: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """(index of each value in ``choices``, whether it is one of them)."""
    grid = np.asarray(choices, dtype=np.int64)
    at = np.clip(np.searchsorted(grid, values), 0, len(grid) - 1)
    return at, grid[at] == values


def _pad(flat: np.ndarray, lengths: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-layer values concatenated over archs -> [n, width] (0-padded) and its mask; lengths <= width."""
    mask = np.arange(width)[None, :] < lengths[:, None]  # [n, width]
    padded = np.zeros(mask.shape, dtype=np.int64)
    padded[mask] = flat
    return padded, mask


def _first_bad(archs: Sequence[Any], space: SearchSpace, ok: np.ndarray) -> None:
    """Raise a :class:`ConfigError` for the first arch that failed the array checks, with the space's own words."""
    bad = int(np.flatnonzero(~ok)[0])
    item = archs[bad]
    where = f"query arch #{bad}"
    if not isinstance(item, Mapping):
        raise ConfigError(f"{where} is a {type(item).__name__}, not an Arch or a mapping of {', '.join(GENES)}")
    if isinstance(item, Arch) and item.space != space.name:
        raise ConfigError(f"{where} is an arch of space {item.space!r}, not {space.name!r}")
    try:
        space.make(dict(item))
    except (HwnasError, TypeError, ValueError, AttributeError) as exc:
        raise ConfigError(f"{where} is not valid in space {space.name!r}: {exc}") from None
    raise ConfigError(f"{where} is not valid in space {space.name!r}: it needs exactly the genes {', '.join(GENES)}")


@dataclass(frozen=True)
class _Genes:
    """The genes of n archs as read, before any check: per-layer values flat (cut to n_layer) with their arch."""

    embed: np.ndarray  # [n]
    n_layer: np.ndarray  # [n]
    heads: np.ndarray  # [sum of lengths]
    ratios: np.ndarray  # [sum of lengths]
    head_len: np.ndarray  # [n]
    ratio_len: np.ndarray  # [n]
    bias: np.ndarray  # [n] bool
    sound: np.ndarray  # [n] bool: of this space, exactly the 5 genes, a bool bias


_GET = itemgetter(*GENES)
_BOOL_TYPES = frozenset({bool, np.bool_})


def _cut(layers: tuple[Any, ...], n_layer: np.ndarray) -> tuple[list[Any], np.ndarray]:
    """Per-layer values cut to n_layer where longer (a non-canonical mapping), and their lengths [n]."""
    lengths = np.fromiter(map(len, layers), np.int64, len(layers))
    values = list(layers)
    for i in np.flatnonzero(lengths > n_layer):
        values[i] = values[i][: n_layer[i]]
    return values, np.minimum(lengths, n_layer)


def _read(archs: Sequence[Any], space: SearchSpace) -> _Genes:
    """Every arch's genes, gathered at C speed where possible (10^5 archs in ~0.2 s); raises (TypeError,
    KeyError...) on anything unreadable."""
    n = len(archs)
    embed, n_layer, heads, ratios, bias = zip(*map(_GET, archs), strict=True) if n else ((),) * 5
    layers = np.fromiter(n_layer, np.int64, n)
    heads_cut, head_len = _cut(heads, layers)
    ratios_cut, ratio_len = _cut(ratios, layers)
    flags = np.array(bias, dtype=object)
    sound = np.fromiter(map(_BOOL_TYPES.__contains__, map(type, bias)), bool, n)
    sound &= np.fromiter(map(len, archs), np.int64, n) == len(GENES)
    sound &= np.array([getattr(a, "space", space.name) for a in archs], dtype=object) == space.name
    return _Genes(
        embed=np.fromiter(embed, np.int64, n),
        n_layer=layers,
        heads=np.fromiter(chain.from_iterable(heads_cut), np.int64, int(head_len.sum())),
        ratios=np.fromiter(chain.from_iterable(ratios_cut), np.int64, int(ratio_len.sum())),
        head_len=head_len,
        ratio_len=ratio_len,
        bias=flags.astype(bool),
        sound=sound.astype(bool),
    )


def _layers_ok(values: np.ndarray, lengths: np.ndarray, choices: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """(index of each flat per-layer value, [n] whether all of an arch's values are choices)."""
    at, ok = _index(values, choices)
    owner = np.repeat(np.arange(lengths.shape[0]), lengths)  # [sum of lengths]: the arch of each value
    return at, np.bincount(owner[~ok], minlength=lengths.shape[0]) == 0


def encode(archs: Sequence[Arch | Mapping[str, Any]], space: SearchSpace, grid: Grid) -> ArchArrays:
    """Arrays of ``archs`` (Arch objects of ``space`` or mappings in HW-GPT-Bench's keys, per-layer lists longer
    than ``n_layer`` cut as :meth:`SearchSpace.make` does); an arch that is not valid in the space is a
    :class:`ConfigError` naming its position, the gene, the value and the choices."""
    try:
        genes = _read(archs, space)
    except (TypeError, ValueError, KeyError, IndexError, AttributeError):
        genes = None
    if genes is None:
        _first_bad(archs, space, np.array([_readable(a, space) for a in archs], dtype=bool))
        raise AssertionError("unreachable: an arch failed to read but passed the space's checks")
    embed_at, embed_ok = _index(genes.embed, grid.embed)
    _, layers_ok = _index(genes.n_layer, grid.layers)
    head_at, heads_ok = _layers_ok(genes.heads, genes.head_len, grid.heads)
    ratio_at, ratios_ok = _layers_ok(genes.ratios, genes.ratio_len, grid.ratios)
    lengths_ok = (genes.head_len == genes.n_layer) & (genes.ratio_len == genes.n_layer)
    ok = genes.sound & embed_ok & layers_ok & heads_ok & ratios_ok & lengths_ok
    if not ok.all():
        _first_bad(archs, space, ok)
    heads, mask = _pad(head_at, genes.n_layer, grid.max_layers)
    ratios, _ = _pad(ratio_at, genes.n_layer, grid.max_layers)
    return ArchArrays(embed_at, genes.n_layer, heads, ratios, mask, genes.bias)


def _readable(item: Any, space: SearchSpace) -> bool:
    try:
        _read([item], space)
    except (TypeError, ValueError, KeyError, IndexError, AttributeError):
        return False
    return True


def from_table(table: HwGptBenchTable, grid: Grid) -> ArchArrays:
    """The table's rows as arrays (the table's archs are valid in the space of its scale)."""
    heads = np.fromiter(chain.from_iterable(table.n_head), np.int64)
    ratios = np.fromiter(chain.from_iterable(table.mlp_ratio), np.int64)
    padded_heads, mask = _pad(_index(heads, grid.heads)[0], table.n_layer, grid.max_layers)
    padded_ratios, _ = _pad(_index(ratios, grid.ratios)[0], table.n_layer, grid.max_layers)
    embed_at, embed_ok = _index(table.embed_dim, grid.embed)
    assert embed_ok.all(), f"table of scale {table.scale} has embed_dim outside {grid.embed}"
    return ArchArrays(embed_at, table.n_layer.astype(np.int64), padded_heads, padded_ratios, mask, table.bias)


def arch_keys(arrays: ArchArrays) -> np.ndarray:
    """[n] uint64 hash keys, equal for equal archs (a polynomial hash of the per-layer indexes mixed with the scalar
    genes, wrapping modulo 2^64). Different archs may share a key (odds about n^2 / 2^64): :class:`RowIndex`
    confirms every match gene by gene."""
    powers = np.uint64(0x100000001B3) ** np.arange(arrays.heads.shape[1], dtype=np.uint64)  # [L], wraps
    scalars = (arrays.embed.astype(np.uint64) * np.uint64(1024) + arrays.n_layer.astype(np.uint64)) * np.uint64(2)
    with np.errstate(over="ignore"):
        heads = ((arrays.heads.astype(np.uint64) + np.uint64(1)) * powers).sum(axis=1, dtype=np.uint64)
        ratios = ((arrays.ratios.astype(np.uint64) + np.uint64(1)) * powers).sum(axis=1, dtype=np.uint64)
        mixed = heads * np.uint64(0x9E3779B97F4A7C15) ^ ratios * np.uint64(0xC2B2AE3D27D4EB4F)
        return np.asarray(mixed ^ (scalars + arrays.bias.astype(np.uint64)))


class RowIndex:
    """Finds archs among the rows of a table (or a user's measured CSV): sorted keys, each match confirmed."""

    def __init__(self, rows: ArchArrays) -> None:
        keys = arch_keys(rows)
        self._order = np.argsort(keys, kind="stable")  # [N]
        self._keys = keys[self._order]  # [N] sorted
        self._rows = rows

    def find(self, archs: ArchArrays) -> np.ndarray:
        """[n] int64: the row of each arch, -1 where it is not a row."""
        if len(self._rows) == 0 or len(archs) == 0:
            return np.full(len(archs), -1, dtype=np.int64)
        keys = arch_keys(archs)
        at = np.clip(np.searchsorted(self._keys, keys), 0, len(self._keys) - 1)
        rows = self._order[at]  # [n] candidate rows
        table = self._rows.take(rows)
        same = (self._keys[at] == keys) & (table.embed == archs.embed) & (table.n_layer == archs.n_layer)
        same &= (table.bias == archs.bias) & (table.heads == archs.heads).all(axis=1)
        same &= (table.ratios == archs.ratios).all(axis=1)
        return np.where(same, rows, -1)
