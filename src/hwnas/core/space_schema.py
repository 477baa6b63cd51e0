"""Parse and check the declarative space format (a mapping loaded from YAML).

Format::

    name: hat-wmt14ende           # unique name; archs carry it
    family: hat                   # which model/metric builders apply (hat, gpt, nb201, fbnet, generic)
    description: ...
    constants: {qkv_dim: 512}     # fixed properties of every arch in the space
    genes:                        # ordered: encodings and NCode follow this order
      decoder_layer_num: {choices: [1, 2, 3, 4, 5, 6]}
      decoder_ffn_embed_dim: {choices: [3072, 2048, 1024], per_layer: decoder_layer_num}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hwnas.core.errors import SpaceDefinitionError
from hwnas.core.space import Gene, SearchSpace

_TOP_KEYS = {"name", "family", "description", "constants", "genes", "reference"}
_GENE_KEYS = {"choices", "per_layer", "doc"}


def parse_space(data: Mapping[str, Any]) -> SearchSpace:
    if not isinstance(data, Mapping):
        raise SpaceDefinitionError("a search space must be a YAML mapping with keys 'name', 'family', 'genes'")
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise SpaceDefinitionError(f"unknown key {unknown[0]!r} in search space; allowed: {sorted(_TOP_KEYS)}")
    name = data.get("name")
    if not isinstance(name, str) or not name:
        raise SpaceDefinitionError("search space field 'name' must be a non-empty string")
    raw_genes = data.get("genes")
    if not isinstance(raw_genes, Mapping) or not raw_genes:
        raise SpaceDefinitionError(f"space {name!r}: field 'genes' must be a non-empty mapping of gene name to spec")
    genes: list[Gene] = []
    for gene_name, spec in raw_genes.items():
        genes.append(_parse_gene(name, str(gene_name), spec, genes))
    constants = data.get("constants") or {}
    if not isinstance(constants, Mapping):
        raise SpaceDefinitionError(f"space {name!r}: field 'constants' must be a mapping")
    return SearchSpace(
        name=name,
        family=str(data.get("family", "generic")),
        genes=tuple(genes),
        constants=dict(constants),
        description=str(data.get("description", "")).strip(),
    )


def _parse_gene(space: str, name: str, spec: Any, earlier: list[Gene]) -> Gene:
    where = f"space {space!r}, gene {name!r}"
    if not isinstance(spec, Mapping):
        raise SpaceDefinitionError(f"{where}: spec must be a mapping with 'choices' (and optional 'per_layer')")
    unknown = sorted(set(spec) - _GENE_KEYS)
    if unknown:
        raise SpaceDefinitionError(f"{where}: unknown key {unknown[0]!r}; allowed: {sorted(_GENE_KEYS)}")
    choices = spec.get("choices")
    if not isinstance(choices, list) or not choices:
        raise SpaceDefinitionError(f"{where}: 'choices' must be a non-empty list, got {choices!r}")
    if any(not isinstance(c, int | float | str | bool) for c in choices):
        raise SpaceDefinitionError(f"{where}: choices must be numbers, strings or booleans, got {choices!r}")
    kinds = {"bool" if isinstance(c, bool) else "str" if isinstance(c, str) else "num" for c in choices}
    if len(kinds) > 1:
        raise SpaceDefinitionError(f"{where}: choices mix types ({sorted(kinds)}): {choices!r}")
    if len({(type(c), c) for c in choices}) != len(choices):
        raise SpaceDefinitionError(f"{where}: choices repeat a value: {choices!r}")
    if any(g.name == name for g in earlier):
        raise SpaceDefinitionError(f"{where}: defined twice")
    per_layer = spec.get("per_layer")
    if per_layer is not None:
        count = next((g for g in earlier if g.name == per_layer), None)
        if count is None:
            raise SpaceDefinitionError(f"{where}: per_layer names {per_layer!r}, which is not an earlier gene")
        if count.per_layer is not None or not all(type(c) is int and c >= 0 for c in count.choices):
            raise SpaceDefinitionError(f"{where}: count gene {per_layer!r} must be a scalar gene of ints >= 0")
    return Gene(name=name, choices=tuple(choices), per_layer=per_layer, doc=str(spec.get("doc", "")))
