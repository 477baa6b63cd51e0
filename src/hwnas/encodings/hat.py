"""HAT's 10-feature architecture vector: the input of HAT's latency MLP and the columns of its latency CSVs.

HAT summarises a SubTransformer by its embedding sizes, layer counts and the *averages* of every per-layer gene
over the layers in use. The arbitrary encoder-decoder attention gene is averaged after mapping -1 -> 1, 1 -> 2,
2 -> 3, i.e. as the number of encoder layers a decoder layer attends to (the CSV column ranges 1..3 confirm it).
Features are kept raw here; :data:`HAT_FEATURE_NORM` is the divisor HAT applies before its predictor.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from hwnas.core.arch import Arch
from hwnas.core.errors import DataError, InvalidArchError

HAT_FEATURE_NAMES: tuple[str, ...] = (
    "encoder_embed_dim",
    "encoder_layer_num",
    "encoder_ffn_embed_dim_avg",
    "encoder_self_attention_heads_avg",
    "decoder_embed_dim",
    "decoder_layer_num",
    "decoder_ffn_embed_dim_avg",
    "decoder_self_attention_heads_avg",
    "decoder_ende_attention_heads_avg",
    "decoder_arbitrary_ende_attn_avg",
)
HAT_FEATURE_NORM: tuple[float, ...] = (640, 6, 2048, 6, 640, 6, 2048, 6, 6, 2)

# -1 / 1 / 2 in HAT's configs mean "attend to the last 1 / 2 / 3 encoder layers".
ARBITRARY_ENDE_ATTN_LAYERS: dict[int, int] = {-1: 1, 1: 2, 2: 3}

# (feature, gene, layer-count gene or None for a scalar feature)
_FEATURE_SOURCES: tuple[tuple[str, str, str | None], ...] = (
    ("encoder_embed_dim", "encoder_embed_dim", None),
    ("encoder_layer_num", "encoder_layer_num", None),
    ("encoder_ffn_embed_dim_avg", "encoder_ffn_embed_dim", "encoder_layer_num"),
    ("encoder_self_attention_heads_avg", "encoder_self_attention_heads", "encoder_layer_num"),
    ("decoder_embed_dim", "decoder_embed_dim", None),
    ("decoder_layer_num", "decoder_layer_num", None),
    ("decoder_ffn_embed_dim_avg", "decoder_ffn_embed_dim", "decoder_layer_num"),
    ("decoder_self_attention_heads_avg", "decoder_self_attention_heads", "decoder_layer_num"),
    ("decoder_ende_attention_heads_avg", "decoder_ende_attention_heads", "decoder_layer_num"),
    ("decoder_arbitrary_ende_attn_avg", "decoder_arbitrary_ende_attn", "decoder_layer_num"),
)


def _layer_values(arch: Arch, gene: str, count_gene: str) -> list[float]:
    values = arch[gene]
    count = arch[count_gene]
    if not isinstance(values, tuple) or not isinstance(count, int) or count < 1:
        raise InvalidArchError(arch.space, gene, values, f"a non-empty per-layer list ({count_gene}={count!r})")
    used = values[:count]
    if gene != "decoder_arbitrary_ende_attn":
        return [float(v) for v in used]
    for v in used:
        if isinstance(v, bool) or v not in ARBITRARY_ENDE_ATTN_LAYERS:
            raise InvalidArchError(arch.space, gene, v, list(ARBITRARY_ENDE_ATTN_LAYERS))
    return [float(ARBITRARY_ENDE_ATTN_LAYERS[v]) for v in used]  # type: ignore[index]


def hat_features(arch: Arch) -> np.ndarray:
    """The 10 raw features, in the column order of HAT's latency CSVs (see :data:`HAT_FEATURE_NAMES`)."""
    missing = [gene for _, gene, _ in _FEATURE_SOURCES if gene not in arch]
    if missing:
        raise InvalidArchError(arch.space, missing[0], "(missing)", "the genes of a HAT encoder-decoder space")
    out = np.empty(len(_FEATURE_SOURCES), dtype=np.float64)
    for i, (_, gene, count_gene) in enumerate(_FEATURE_SOURCES):
        if count_gene is None:
            out[i] = float(arch[gene])  # type: ignore[arg-type]
        else:
            out[i] = float(np.mean(_layer_values(arch, gene, count_gene)))
    return out


def hat_features_normalised(arch: Arch) -> np.ndarray:
    """The features divided by :data:`HAT_FEATURE_NORM`, exactly what HAT's latency predictor consumes."""
    return hat_features(arch) / np.asarray(HAT_FEATURE_NORM, dtype=np.float64)


def hat_features_from_row(row: Mapping[str, Any]) -> np.ndarray:
    """The feature columns of one HAT latency-CSV row (e.g. a ``csv.DictReader`` row), as :func:`hat_features`
    would compute them, so measured rows and candidate archs live in one feature space."""
    out = np.empty(len(HAT_FEATURE_NAMES), dtype=np.float64)
    for i, name in enumerate(HAT_FEATURE_NAMES):
        if name not in row:
            raise DataError(f"HAT latency row lacks column {name!r}; expected columns: {', '.join(HAT_FEATURE_NAMES)}")
        try:
            out[i] = float(row[name])
        except (TypeError, ValueError):
            raise DataError(f"HAT latency row: column {name!r} holds {row[name]!r}, not a number") from None
    return out
