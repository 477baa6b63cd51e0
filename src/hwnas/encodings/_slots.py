"""The decision layout shared by the per-position encodings (padded vector, one-hot, NCode).

A space's decisions are laid out gene by gene, in the space's gene order: a scalar gene is one slot, a per-layer
gene is ``max_layers`` slots (layer 0 first). Every per-position encoding is a view of the same list of
*choice indices* (``None`` for a layer the arch does not use), so the encodings agree on order by construction
and each one only has to say how it writes one index.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from hwnas.core.arch import Arch, GeneValue, Scalar
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
    return int(count_gene.choices[scalar_indices[count_gene.name]])  # type: ignore[call-overload]


def arch_from_indices(indices: Sequence[int | None], space: SearchSpace) -> Arch:
    """Inverse of :func:`choice_indices`: entries for unused layers are ignored, used ones must be set.

    Count genes come before their followers (the space format guarantees it), so one pass in slot order
    knows every layer count by the time it needs it.
    """
    layout = slots(space)
    if len(indices) != len(layout):
        raise InvalidArchError(space.name, "(number of positions)", len(indices), f"exactly {len(layout)}")
    scalar_indices: dict[str, int] = {}
    genes: dict[str, Any] = {}
    for slot, index in zip(layout, indices, strict=True):
        gene = slot.gene
        if slot.layer is not None and slot.layer >= used_layers(space, scalar_indices, gene):
            continue
        if index is None or not 0 <= index < len(gene.choices):
            raise InvalidArchError(space.name, slot.label, index, f"an option index in 0..{len(gene.choices) - 1}")
        value: Scalar = gene.choices[index]
        if slot.layer is None:
            scalar_indices[gene.name] = index
            genes[gene.name] = value
        else:
            genes.setdefault(gene.name, []).append(value)
    for gene in space.genes:  # per-layer genes whose count is 0 never got an entry
        genes.setdefault(gene.name, [])
    return space.make(genes)


def gene_value_text(value: GeneValue) -> str:
    """How an option is written in legends and error messages (YAML-like: true/false, bare strings)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
