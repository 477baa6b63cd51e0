"""HAT SubTransformer YAML import/export, and the ``arch_info`` lines of LLM-PP's seed-arch files.

HAT writes a SubTransformer as YAML keys such as ``encoder-embed-dim-subtransformer: 512`` and
``decoder-ffn-embed-dim-all-subtransformer: [3072, 3072, 3072]`` (the ``-all-`` keys hold one value per layer).
HAT's own files often carry 6 per-layer entries whatever the layer count; import keeps the first ``layer_num``.
Export writes exactly the layers in use, as LLM-PP's ``arch_info`` does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import yaml

from hwnas.core.arch import Arch
from hwnas.core.errors import DataError, InvalidArchError
from hwnas.core.space import SearchSpace

# gene -> HAT key, in the order HAT's latency features use
HAT_YAML_KEYS: dict[str, str] = {
    "encoder_embed_dim": "encoder-embed-dim-subtransformer",
    "encoder_layer_num": "encoder-layer-num-subtransformer",
    "encoder_ffn_embed_dim": "encoder-ffn-embed-dim-all-subtransformer",
    "encoder_self_attention_heads": "encoder-self-attention-heads-all-subtransformer",
    "decoder_embed_dim": "decoder-embed-dim-subtransformer",
    "decoder_layer_num": "decoder-layer-num-subtransformer",
    "decoder_ffn_embed_dim": "decoder-ffn-embed-dim-all-subtransformer",
    "decoder_self_attention_heads": "decoder-self-attention-heads-all-subtransformer",
    "decoder_ende_attention_heads": "decoder-ende-attention-heads-all-subtransformer",
    "decoder_arbitrary_ende_attn": "decoder-arbitrary-ende-attn-all-subtransformer",
}
_GENE_OF_KEY = {key: gene for gene, key in HAT_YAML_KEYS.items()}


def is_hat_yaml(data: Mapping[str, Any]) -> bool:
    """True for a mapping in HAT's SubTransformer format (a key ending in ``-subtransformer``), e.g. one of HAT's
    published ``configs/<task>/subtransformer/*.yml`` files loaded as YAML."""
    return any(str(key).endswith("-subtransformer") for key in data)


def hat_yaml_mapping(arch: Arch) -> dict[str, Any]:
    """The HAT keys and values of ``arch`` (per-layer genes as lists), ready for ``yaml.safe_dump``."""
    out: dict[str, Any] = {}
    for gene, key in HAT_YAML_KEYS.items():
        if gene not in arch:
            raise InvalidArchError(arch.space, gene, "(missing)", "the genes of a HAT encoder-decoder space")
        value = arch[gene]
        out[key] = list(value) if isinstance(value, tuple) else value
    return out


def to_hat_yaml(arch: Arch) -> str:
    """HAT SubTransformer YAML (per-layer lists inline, as in HAT's config files)."""
    return yaml.safe_dump(hat_yaml_mapping(arch), sort_keys=False, default_flow_style=None)


def _load_mapping(text_or_mapping: str | Mapping[str, Any]) -> Mapping[str, Any]:
    if isinstance(text_or_mapping, Mapping):
        return text_or_mapping
    try:
        data = yaml.safe_load(text_or_mapping)
    except yaml.YAMLError as exc:
        raise DataError(f"HAT SubTransformer YAML is malformed: {exc}".replace("\n", " ")) from None
    if not isinstance(data, Mapping):
        example = HAT_YAML_KEYS["encoder_embed_dim"]
        raise DataError(f"HAT SubTransformer YAML must be a mapping of keys such as {example!r}")
    return data


def from_hat_yaml(text_or_mapping: str | Mapping[str, Any], space: SearchSpace) -> Arch:
    """An arch of ``space`` from HAT SubTransformer YAML text or an already-loaded mapping.

    Keys other than the 10 SubTransformer keys (HAT merges training settings into the same files) are ignored,
    except unknown ``*-subtransformer`` keys, which are almost surely typos and are reported.
    """
    data = _load_mapping(text_or_mapping)
    for key in data:
        if str(key).endswith("-subtransformer") and key not in _GENE_OF_KEY:
            raise DataError(f"unknown HAT SubTransformer key {key!r}; known: {', '.join(_GENE_OF_KEY)}")
    genes: dict[str, Any] = {}
    for gene, key in HAT_YAML_KEYS.items():
        if key not in data:
            raise DataError(f"HAT SubTransformer YAML lacks key {key!r} (gene {gene!r})")
        genes[gene] = data[key]
    return space.make(genes)


def from_arch_info(lines: Iterable[str], space: SearchSpace) -> Arch:
    """An arch from LLM-PP's ``arch_info``: a list of ``"key: value"`` strings in HAT's SubTransformer keys."""
    if isinstance(lines, str):
        raise DataError("arch_info must be a list of 'key: value' strings, not one string")
    mapping: dict[str, Any] = {}
    for line in lines:
        key, sep, value = str(line).partition(":")
        if not sep or not key.strip():
            raise DataError(f"arch_info line {line!r} is not of the form 'key: value'")
        try:
            mapping[key.strip()] = yaml.safe_load(value)
        except yaml.YAMLError:
            raise DataError(f"arch_info line {line!r}: value {value.strip()!r} is not a number or a list") from None
    return from_hat_yaml(mapping, space)
