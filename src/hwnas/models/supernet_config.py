"""`SuperTransformerConfig`: the largest sizes and the training-time settings of a SuperTransformer, from a
``hat``-family space (its largest arch, decoded by the family) or a saved checkpoint's JSON."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from typing import Any

from hwnas.core.errors import ConfigError
from hwnas.core.space import SearchSpace
from hwnas.models.dropout import DropoutScaling, check_dropout_scaling, legacy_dropout_scaling
from hwnas.models.encdec import EncoderFinalNorm, check_encoder_final_norm, with_saved_encoder_final_norm
from hwnas.models.subnet import DecoderLayerDims, EncoderLayerDims, SubnetDims, subnet_dims
from hwnas.models.transformer import TransformerConfig
from hwnas.models.vocab import PAD_ID
from hwnas.spaces.registry import get_space


@dataclass(frozen=True, kw_only=True)
class SuperTransformerConfig:
    vocab_size: int  # joint source/target vocabulary: one table feeds encoder, decoder and output projection
    encoder_embed_dim: int  # largest encoder width; a subnet uses the leading slice
    decoder_embed_dim: int  # largest decoder width, independent of the encoder's
    encoder_ffn_dim: int  # largest encoder FFN width (per-layer elastic)
    decoder_ffn_dim: int  # largest decoder FFN width (per-layer elastic)
    encoder_heads: int  # most encoder self-attention heads (per-layer elastic)
    decoder_heads: int  # most decoder self- and cross-attention heads (per-layer elastic)
    encoder_layers: int  # encoder depth (HAT keeps all 6; a subnet may use fewer first layers)
    decoder_layers: int  # largest decoder depth; a subnet uses the first n layers
    qkv_dim: int = 512  # fixed q/k/v width: heads split it, so projections never shrink with heads (HAT)
    max_ende_layers: int = 3  # a decoder layer attends to the last 1..3 encoder layers (HAT)
    normalize_before: bool = False  # HAT's WMT models are post-norm; pre-norm is steadier at high learning rates
    encoder_final_norm: EncoderFinalNorm = "last"  # pre-norm: final encoder norm on the last output only (HAT)
    dropout: float = 0.3  # on embeddings and sublayer outputs (HAT WMT'14 En-De)
    attention_dropout: float = 0.1  # on attention probabilities (HAT)
    activation_dropout: float = 0.0  # after the FFN's ReLU (fairseq default)
    dropout_scaling: DropoutScaling = "hat"  # HAT: most of a subnet's rates * active / super width (dropout.py)
    layer_norm_eps: float = 1e-5  # layer-norm epsilon (fairseq / PyTorch default)
    pad_id: int = PAD_ID  # padding token: zero embedding row, masked keys

    def __post_init__(self) -> None:
        check_encoder_final_norm("SuperTransformerConfig", self.encoder_final_norm)
        check_dropout_scaling("SuperTransformerConfig", self.dropout_scaling)
        for f in fields(self):
            value = getattr(self, f.name)
            if f.type == "int" and f.name != "pad_id" and value <= 0:
                raise ConfigError(f"SuperTransformerConfig.{f.name} = {value}; allowed: a positive integer")
        for name in ("dropout", "attention_dropout", "activation_dropout"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise ConfigError(f"SuperTransformerConfig.{name} = {getattr(self, name)}; allowed: 0 <= p < 1")
        for name in ("encoder_heads", "decoder_heads"):
            if self.qkv_dim % getattr(self, name):
                raise ConfigError(
                    f"SuperTransformerConfig.{name} = {getattr(self, name)}; must divide qkv_dim={self.qkv_dim}"
                )

    @classmethod
    def from_space(cls, space: SearchSpace | str, **overrides: Any) -> SuperTransformerConfig:
        """Largest choice of every gene of a ``hat``-family space; ``overrides`` (e.g. a tokenizer's vocab_size)
        replace any field."""
        space = get_space(space) if isinstance(space, str) else space
        if space.family != "hat":
            raise ConfigError(f"space {space.name!r} has family {space.family!r}; the SuperTransformer needs 'hat'")

        dims = subnet_dims(space.largest(), space)  # every gene at its largest choice
        enc, dec = dims.encoder_layers, dims.decoder_layers
        values: dict[str, Any] = {
            "vocab_size": int(space.constants["vocab_size"]),
            "qkv_dim": int(space.constants["qkv_dim"]),
            "encoder_embed_dim": dims.encoder_embed_dim,
            "decoder_embed_dim": dims.decoder_embed_dim,
            "encoder_ffn_dim": max(layer.ffn_dim for layer in enc),
            "decoder_ffn_dim": max(layer.ffn_dim for layer in dec),
            "encoder_heads": max(layer.heads for layer in enc),
            "decoder_heads": max(max(layer.self_heads, layer.ende_heads) for layer in dec),
            "encoder_layers": len(enc),
            "decoder_layers": len(dec),
            "max_ende_layers": max(layer.ende_layers for layer in dec),
        }
        return cls(**{**values, **overrides})

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> SuperTransformerConfig:
        """A saved config; one saved before ``dropout_scaling`` has ``scale_dropout`` (true: hwnas's old rule)."""
        data = with_saved_encoder_final_norm(json.loads(text))
        if "dropout_scaling" not in data:
            data["dropout_scaling"] = legacy_dropout_scaling(supernet=bool(data.pop("scale_dropout", True)))
        return cls(**data)

    def subnet_config(self, dims: SubnetDims) -> TransformerConfig:
        """The standalone config of the sub-network ``dims`` (the super widths kept as its base widths)."""
        return TransformerConfig(
            vocab_size=self.vocab_size,
            dims=dims,
            qkv_dim=self.qkv_dim,
            encoder_position_base_dim=self.encoder_embed_dim,
            decoder_position_base_dim=self.decoder_embed_dim,
            normalize_before=self.normalize_before,
            encoder_final_norm=self.encoder_final_norm,
            dropout=self.dropout,
            attention_dropout=self.attention_dropout,
            activation_dropout=self.activation_dropout,
            dropout_scaling=self.dropout_scaling,
            layer_norm_eps=self.layer_norm_eps,
            pad_id=self.pad_id,
        )

    def largest_dims(self) -> SubnetDims:
        return SubnetDims(
            encoder_embed_dim=self.encoder_embed_dim,
            decoder_embed_dim=self.decoder_embed_dim,
            encoder_layers=(EncoderLayerDims(self.encoder_ffn_dim, self.encoder_heads),) * self.encoder_layers,
            decoder_layers=(
                DecoderLayerDims(
                    ffn_dim=self.decoder_ffn_dim,
                    self_heads=self.decoder_heads,
                    ende_heads=self.decoder_heads,
                    ende_layers=self.max_ende_layers,
                ),
            )
            * self.decoder_layers,
        )
