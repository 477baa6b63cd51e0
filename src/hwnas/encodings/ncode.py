"""NCode: LM-Searcher's numeric architecture code, one field per decision holding the chosen option's index.

Scheme (fixed per space, so every position can be decoded without separators):

* Decisions are laid out gene by gene in the space's gene order; a per-layer gene has one field for every
  *possible* layer (layer 1 first), so every arch of a space has the same code length.
* A field is the 0-based index of the chosen option in the gene's ``choices``. Genes with at most 10 options use
  one digit (LM-Searcher's case); a gene with more options uses a fixed-width zero-padded field of
  ``len(str(n_options - 1))`` digits (e.g. 12 options -> ``00``..``11``) for every one of its positions.
* Fields of layers beyond the arch's layer count are filler: written as ``0`` digits and ignored when decoding
  (any digit is accepted there), so e.g. 3- and 6-layer decoders share one layout.
* Codes are plain digit strings; surrounding whitespace is stripped. Positions in messages and in
  :func:`ncode_legend` count characters from 1.

Example (hat-wmt14ende, 40 digits): ``0`` encoder_embed_dim=640, ``0`` encoder_layer_num=6, six encoder FFN
digits, six encoder head digits, one decoder_embed_dim digit, one decoder_layer_num digit (``2`` = 3 layers), then
six digits per decoder per-layer gene of which only the first three count.
"""

from __future__ import annotations

from hwnas.core.arch import Arch
from hwnas.core.errors import InvalidArchError
from hwnas.core.space import Gene, SearchSpace
from hwnas.encodings._slots import Slot, arch_from_indices, choice_indices, gene_value_text, slots

FILLER_DIGIT = "0"


def field_width(gene: Gene) -> int:
    """Digits per field of ``gene``: 1 up to 10 options, more for larger genes."""
    return max(1, len(str(len(gene.choices) - 1)))


def ncode_length(space: SearchSpace) -> int:
    return sum(field_width(slot.gene) for slot in slots(space))


def to_ncode(arch: Arch, space: SearchSpace) -> str:
    parts: list[str] = []
    for slot, index in zip(slots(space), choice_indices(arch, space), strict=True):
        width = field_width(slot.gene)
        parts.append(FILLER_DIGIT * width if index is None else str(index).zfill(width))
    return "".join(parts)


def _options_text(gene: Gene) -> str:
    width = field_width(gene)
    return ", ".join(f"{str(i).zfill(width)}={gene_value_text(c)}" for i, c in enumerate(gene.choices))


def _span(start: int, width: int) -> str:
    """1-based character span of a field, e.g. ``7`` or ``7-8``."""
    return str(start + 1) if width == 1 else f"{start + 1}-{start + width}"


def from_ncode(code: str, space: SearchSpace) -> Arch:
    """Decode an NCode; a malformed code raises :class:`InvalidArchError` naming position, character, options."""
    if not isinstance(code, str):
        raise InvalidArchError(space.name, "(NCode)", code, "a string of digits")
    text = code.strip()
    expected = ncode_length(space)
    for position, char in enumerate(text):
        if not char.isascii() or not char.isdigit():
            raise InvalidArchError(space.name, f"NCode position {position + 1}", char, "digits 0-9 only")
    if len(text) != expected:
        raise InvalidArchError(space.name, "(NCode length)", len(text), f"exactly {expected} digits")
    layout = slots(space)
    starts: list[int] = []
    indices: list[int | None] = []
    offset = 0
    for slot in layout:
        width = field_width(slot.gene)
        starts.append(offset)
        indices.append(int(text[offset : offset + width]))
        offset += width

    def explain(position: int, slot: Slot) -> tuple[str, object, str]:
        start, width = starts[position], field_width(slot.gene)
        field = f"NCode position {_span(start, width)} ({slot.label})"
        return field, text[start : start + width], _options_text(slot.gene)

    return arch_from_indices(indices, space, explain=explain)


def _legend_line(space: SearchSpace, group: list[Slot], start: int) -> str:
    gene = group[0].gene
    width = field_width(gene)
    span = _span(start, width * len(group))
    digits = "" if width == 1 else f", {width} digits each"
    if gene.per_layer is None:
        return f"{span}: {gene.name}{digits} {{{_options_text(gene)}}}"
    layers = f"layers 1-{len(group)}" if len(group) > 1 else "layer 1"
    usage = f"only the first {gene.per_layer} count, write {FILLER_DIGIT} for the rest"
    return f"{span}: {gene.name}, {layers} ({usage}){digits} {{{_options_text(gene)}}}"


def ncode_legend(space: SearchSpace) -> str:
    """A compact description of every position, meant for humans and LLM prompts."""
    lines = [
        f"NCode for space {space.name!r}: {ncode_length(space)} digits. Each field is the 0-based index of the "
        "chosen option (positions count from 1).",
    ]
    offset = 0
    layout = slots(space)
    for gene in space.genes:
        group = [slot for slot in layout if slot.gene.name == gene.name]
        lines.append(_legend_line(space, group, offset))
        offset += field_width(gene) * len(group)
    return "\n".join(lines)
