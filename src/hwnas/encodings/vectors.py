"""Per-position vector encodings of an arch: a padded numeric vector and a one-hot vector.

Both lay decisions out gene by gene in the space's order, per-layer genes padded to their maximum layer count
(see ``_slots``). Both are exact: ``from_padded_vector(padded_vector(a, s), s) == a`` and likewise for one-hot.

* **Padded vector** -- one number per position. Numeric genes are written as their value; categorical genes
  (strings and booleans) as ``choice index + 1``; unused layers as 0. Decoding reads the layer counts first and
  ignores the padding, so a numeric gene whose choices include 0 is still decoded correctly.
* **One-hot** -- one block of ``len(choices)`` columns per position; unused layers are an all-zero block.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from hwnas.core.arch import Arch
from hwnas.core.errors import InvalidArchError
from hwnas.core.space import Gene, SearchSpace
from hwnas.encodings._slots import Slot, arch_from_indices, choice_indices, gene_value_text, is_categorical, slots

_PAD = 0.0


def padded_column_names(space: SearchSpace) -> list[str]:
    """One name per column of :func:`padded_vector`: ``gene`` or ``gene[layer]`` (layer from 0)."""
    return [slot.label for slot in slots(space)]


def _number(gene: Gene, index: int) -> float:
    return float(index + 1) if is_categorical(gene) else float(gene.choices[index])


def padded_vector(arch: Arch, space: SearchSpace) -> np.ndarray:
    """Every decision as a number (see the module docstring for the rules)."""
    layout = slots(space)
    values = [
        _PAD if index is None else _number(slot.gene, index)
        for slot, index in zip(layout, choice_indices(arch, space), strict=True)
    ]
    return np.asarray(values, dtype=np.float64)


def _index_of_number(gene: Gene, number: float) -> int | None:
    if not np.isfinite(number):
        return None
    if is_categorical(gene):
        index = round(number) - 1
        return index if abs(number - (index + 1)) < 1e-6 and 0 <= index < len(gene.choices) else None
    for i, choice in enumerate(gene.choices):
        if np.isclose(number, float(choice), rtol=1e-9, atol=1e-6):
            return i
    return None


def from_padded_vector(vec: Sequence[float] | np.ndarray, space: SearchSpace) -> Arch:
    """Inverse of :func:`padded_vector`; values at unused layers are ignored."""
    values = np.asarray(vec, dtype=np.float64).ravel()
    layout = slots(space)
    if values.size != len(layout):
        raise InvalidArchError(space.name, "(padded vector length)", values.size, f"exactly {len(layout)}")
    indices = [_index_of_number(slot.gene, float(number)) for slot, number in zip(layout, values, strict=True)]

    def explain(position: int, slot: Slot) -> tuple[str, object, str]:
        return slot.label, float(values[position]), _allowed_numbers(slot.gene)

    return arch_from_indices(indices, space, explain=explain)


def _allowed_numbers(gene: Gene) -> str:
    if is_categorical(gene):
        return ", ".join(f"{i + 1} ({gene_value_text(c)})" for i, c in enumerate(gene.choices))
    return ", ".join(gene_value_text(c) for c in gene.choices)


def one_hot_column_names(space: SearchSpace) -> list[str]:
    """One name per column of :func:`one_hot`: ``label=option``, e.g. ``decoder_ffn_embed_dim[2]=1024``."""
    return [f"{slot.label}={gene_value_text(c)}" for slot in slots(space) for c in slot.gene.choices]


def one_hot(arch: Arch, space: SearchSpace) -> np.ndarray:
    """One block per decision position, a single 1 at the chosen option; unused layers all zero."""
    blocks: list[np.ndarray] = []
    for slot, index in zip(slots(space), choice_indices(arch, space), strict=True):
        block = np.zeros(len(slot.gene.choices), dtype=np.float64)
        if index is not None:
            block[index] = 1.0
        blocks.append(block)
    return np.concatenate(blocks)


def from_one_hot(vec: Sequence[float] | np.ndarray, space: SearchSpace) -> Arch:
    """Inverse of :func:`one_hot`. A used position must hold exactly one 1 among 0s; unused ones are ignored."""
    values = np.asarray(vec, dtype=np.float64).ravel()
    layout = slots(space)
    width = sum(len(slot.gene.choices) for slot in layout)
    if values.size != width:
        raise InvalidArchError(space.name, "(one-hot vector length)", values.size, f"exactly {width}")
    offsets = np.cumsum([0] + [len(slot.gene.choices) for slot in layout]).tolist()
    indices: list[int | None] = []
    for slot, start in zip(layout, offsets, strict=False):
        block = values[start : start + len(slot.gene.choices)]
        is_one_hot = bool(np.all((block == 0.0) | (block == 1.0)) and block.sum() == 1.0)
        indices.append(int(np.argmax(block)) if is_one_hot else None)

    def explain(position: int, slot: Slot) -> tuple[str, object, str]:
        block = values[offsets[position] : offsets[position] + len(slot.gene.choices)]
        return slot.label, block.tolist(), "a block with exactly one 1 (the chosen option) and 0 elsewhere"

    return arch_from_indices(indices, space, explain=explain)


def choice_counts(space: SearchSpace) -> np.ndarray:
    """[positions] how many options each position of :func:`index_vector` has (its indices run 0..count-1)."""
    return np.array([len(slot.gene.choices) for slot in slots(space)], dtype=np.int64)


def index_vector(arch: Arch, space: SearchSpace) -> np.ndarray:
    """The chosen option's index at every position (0 at layers the arch does not use): the integer genome of
    genetic algorithms. Not one-to-one: archs ignore their unused layers, so several vectors decode to one arch."""
    return np.array([0 if i is None else i for i in choice_indices(arch, space)], dtype=np.int64)


def from_index_vector(vec: Sequence[int] | np.ndarray, space: SearchSpace) -> Arch:
    """Inverse of :func:`index_vector` (entries at unused layers are ignored; others must be valid indices)."""
    values = np.asarray(vec).ravel()
    if not np.all(np.isfinite(values)) or not np.all(values == np.round(values)):
        raise InvalidArchError(space.name, "(index vector)", list(values), "integers")
    return arch_from_indices([int(v) for v in values], space)
