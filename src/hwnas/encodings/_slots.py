"""The decision layout shared by the per-position encodings (padded vector, one-hot, NCode).

A space's decisions are laid out gene by gene, in the space's gene order: a scalar gene is one slot, a per-layer
gene is ``max_layers`` slots (layer 0 first). Every per-position encoding is a view of the same list of
*choice indices* (``None`` for a layer the arch does not use), so the encodings agree on order by construction
and each one only has to say how it writes one index.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from hwnas.core.arch import Arch, GeneValue
from hwnas.core.errors import InvalidArchError
from hwnas.core.space import Gene, SearchSpace


@dataclass(frozen=True)
class Slot:
    """One decision position: a scalar gene (``layer is None``) or one layer of a per-layer gene."""

    gene: Gene
    layer: int | None

    @property
    def label(self) -> str:
        return self.gene.name if self.layer is None else f"{self.gene.name}[{self.layer}]"


def slots(space: SearchSpace) -> list[Slot]:
    out: list[Slot] = []
    for gene in space.genes:
        if gene.per_layer is None:
            out.append(Slot(gene, None))
        else:
            out.extend(Slot(gene, layer) for layer in range(space.max_layers(gene)))
    return out


def is_categorical(gene: Gene) -> bool:
    """Strings and booleans are categories (``Gene.numeric`` counts bools as numbers, since bool is an int)."""
    return any(isinstance(c, str | bool) for c in gene.choices)


def choice_indices(arch: Arch, space: SearchSpace) -> list[int | None]:
    """The index of the chosen option at every slot (``None`` for layers beyond the layer count)."""
    space.validate(arch)
    out: list[int | None] = []
    for slot in slots(space):
        value = arch[slot.gene.name]
        if slot.layer is None:
            out.append(slot.gene.index(value))  # type: ignore[arg-type]
            continue
        assert isinstance(value, tuple)
        out.append(slot.gene.index(value[slot.layer]) if slot.layer < len(value) else None)
    return out


def used_layers(space: SearchSpace, scalar_indices: dict[str, int], gene: Gene) -> int:
    """How many layers a per-layer gene uses, given the already-decoded scalar genes."""
    assert gene.per_layer is not None
    count_gene = space.gene(gene.per_layer)
    return int(count_gene.choices[scalar_indices[count_gene.name]])


# Given (position, slot), the field name, the raw value read there and the allowed values, for error messages.
Explain = Callable[[int, Slot], tuple[str, object, str]]


def _default_explain(slot: Slot, index: int | None) -> tuple[str, object, str]:
    return slot.label, index, f"an option index in 0..{len(slot.gene.choices) - 1}"


def arch_from_indices(indices: Sequence[int | None], space: SearchSpace, *, explain: Explain | None = None) -> Arch:
    """Inverse of :func:`choice_indices`: entries for unused layers are ignored, used ones must be valid.

    Count genes come before their followers (the space format guarantees it), so one pass in slot order
    knows every layer count by the time it needs it. ``explain`` lets an encoding word the error in its own
    terms (the digit or number it read rather than the index it failed to map to).
    """
    layout = slots(space)
    if len(indices) != len(layout):
        raise InvalidArchError(space.name, "(number of positions)", len(indices), f"exactly {len(layout)}")
    scalar_indices: dict[str, int] = {}
    genes: dict[str, Any] = {gene.name: [] for gene in space.genes if gene.per_layer is not None}
    for position, (slot, index) in enumerate(zip(layout, indices, strict=True)):
        gene = slot.gene
        if slot.layer is not None and slot.layer >= used_layers(space, scalar_indices, gene):
            continue
        if index is None or not 0 <= index < len(gene.choices):
            field, value, allowed = explain(position, slot) if explain else _default_explain(slot, index)
            raise InvalidArchError(space.name, field, value, allowed)
        if slot.layer is None:
            scalar_indices[gene.name] = index
            genes[gene.name] = gene.choices[index]
        else:
            genes[gene.name].append(gene.choices[index])
    return space.make(genes)


def gene_value_text(value: GeneValue) -> str:
    """How an option is written in legends and error messages (YAML-like: true/false, bare strings)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
