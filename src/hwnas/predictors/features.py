"""Per-part cost features engineered from HAT's 10 averaged features.

HAT's CSVs keep only layer counts and per-layer *averages*, yet ``layers x average`` is the exact per-layer
*sum*, so the work of each part of the network can be recovered exactly (up to constant factors the fixed qkv
dim, sequence lengths, beam and vocabulary fold into a linear model's coefficients):

- encoder: FFN MACs ~ L_e d_e ffn_e, attention projections ~ L_e d_e (qkv dim fixed), per-layer overheads ~ L_e,
  head splits ~ L_e heads_e;
- decoder (every one of the 30 steps): FFN ~ L_d d_d ffn_d, self and cross projections ~ L_d d_d, overheads ~ L_d,
  heads ~ L_d heads_d and L_d heads_ende, cross-attention over k encoder layers: keys/values projected from the
  concatenated encoder outputs ~ L_d k d_e and attention length ~ L_d k; output projection ~ d_d (vocabulary fixed);
- embeddings ~ d_e, d_d, and a constant.

Every column is a product of HAT columns, so the features are also exact for full archs (computed via
:func:`hwnas.encodings.hat_features`).
"""

from __future__ import annotations

import numpy as np
from pydantic import Field, ValidationInfo, field_validator

from hwnas.core.errors import ConfigError, DataError
from hwnas.encodings.hat import HAT_FEATURE_NAMES
from hwnas.predictors.base import DEFAULT_ENCODING, PredictorOptions

COST_FEATURE_NAMES: tuple[str, ...] = (
    "constant",
    "enc_ffn_macs",
    "enc_proj_macs",
    "enc_layers",
    "enc_heads",
    "dec_ffn_macs",
    "dec_proj_macs",
    "dec_layers",
    "dec_self_heads",
    "dec_ende_heads",
    "dec_ende_kv_macs",
    "dec_ende_length",
    "dec_embed",
    "enc_embed",
)
FEATURE_SETS: tuple[str, ...] = ("auto", "raw", "cost", "raw+cost")


def cost_features(X: np.ndarray) -> np.ndarray:
    """[n, 14] cost columns (:data:`COST_FEATURE_NAMES`) from HAT's raw features [n, 10] (hat10-raw order)."""
    if X.ndim != 2 or X.shape[1] != len(HAT_FEATURE_NAMES):
        raise DataError(f"cost features need HAT's {len(HAT_FEATURE_NAMES)} raw features; got shape {X.shape}")
    de, le, ffn_e, heads_e, dd, ld, ffn_d, heads_d, heads_x, arb = X.T
    columns = (
        np.ones(len(X)),
        le * de * ffn_e,
        le * de,
        le,
        le * heads_e,
        ld * dd * ffn_d,
        ld * dd,
        ld,
        ld * heads_d,
        ld * heads_x,
        ld * arb * de,
        ld * arb,
        dd,
        de,
    )
    return np.stack(columns, axis=1)


def resolve_feature_set(features: str, encoding: str) -> str:
    """``auto`` -> ``raw+cost`` on HAT's raw features, else ``raw``; cost features need the hat10-raw layout."""
    if features not in FEATURE_SETS:
        raise ConfigError(f"feature set {features!r} is unknown; known: {', '.join(FEATURE_SETS)}")
    if features == "auto":
        return "raw+cost" if encoding == "hat10-raw" else "raw"
    if "cost" in features and encoding != "hat10-raw":
        raise ConfigError(f"feature set {features!r} needs encoding 'hat10-raw', not {encoding!r}; use 'raw'")
    return features


class FeatureSetOptions(PredictorOptions):
    """Options of a predictor that reads any encoding and, on HAT's raw features, can add the cost features."""

    features: str = Field("auto", description="auto | raw | cost | raw+cost (cost features need hat10-raw)")

    @field_validator("features")
    @classmethod
    def _resolvable(cls, value: str, info: ValidationInfo) -> str:
        resolve_feature_set(value, info.data.get("encoding", DEFAULT_ENCODING))  # its ConfigError is a ValueError
        return value

    def feature_set(self) -> str:
        return resolve_feature_set(self.features, self.encoding)


def transform(X: np.ndarray, feature_set: str) -> np.ndarray:
    """Apply a resolved feature set (``raw``, ``cost`` or ``raw+cost``)."""
    if feature_set == "raw":
        return X
    if feature_set == "cost":
        return cost_features(X)
    return np.concatenate([X, cost_features(X)[:, 1:]], axis=1)  # the constant column adds nothing to trees/MLPs
