"""The weight-sharing SuperTransformer (HAT): one encoder-decoder whose every sub-network shares its weights.

Build it from a ``hat``-family search space (``SuperTransformer.from_space``), pick a sub-network with
``set_active_arch(arch)``, then run ``forward`` / ``encode`` / ``decode_step`` exactly as the extracted standalone
model would (same code, ``EncoderDecoder``). A sub-network uses the leading slices of every weight.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from typing import Any, cast

from torch import nn

from hwnas.core.arch import Arch
from hwnas.core.errors import ConfigError, InvalidArchError
from hwnas.core.space import SearchSpace
from hwnas.models.dropout import DropoutScaling, check_dropout_scaling, legacy_dropout_scaling
from hwnas.models.elastic import Elastic, ElasticEmbedding, ElasticLayerNorm
from hwnas.models.elastic_blocks import ElasticDecoderLayer, ElasticEncoderLayer
from hwnas.models.encdec import (
    EncoderDecoder,
    EncoderFinalNorm,
    StackView,
    check_encoder_final_norm,
    with_saved_encoder_final_norm,
)
from hwnas.models.layers import LayerSettings
from hwnas.models.subnet import DecoderLayerDims, EncoderLayerDims, SubnetDims, subnet_dims
from hwnas.models.transformer import TransformerConfig, TransformerModel
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


class SuperTransformer(EncoderDecoder):
    """HAT's SuperTransformer. Verbs: ``set_active_arch`` / ``set_active`` / ``reset`` / ``extract``."""

    embed_tokens: ElasticEmbedding
    encoder_norm: ElasticLayerNorm | None
    decoder_norm: ElasticLayerNorm | None

    def __init__(self, config: SuperTransformerConfig, *, space: SearchSpace | None = None) -> None:
        super().__init__()
        c = self.config = config
        self.space, self.pad_id = space, c.pad_id
        s = self.settings = LayerSettings(
            qkv_dim=c.qkv_dim,
            normalize_before=c.normalize_before,
            dropout=c.dropout,
            attention_dropout=c.attention_dropout,
            activation_dropout=c.activation_dropout,
            dropout_scaling=c.dropout_scaling,
            eps=c.layer_norm_eps,
        )
        shared_dim = max(c.encoder_embed_dim, c.decoder_embed_dim)
        self.embed_tokens = ElasticEmbedding(c.vocab_size, shared_dim, padding_idx=c.pad_id)
        self.encoder_layers = nn.ModuleList(
            ElasticEncoderLayer(
                embed_dim=c.encoder_embed_dim, ffn_dim=c.encoder_ffn_dim, heads=c.encoder_heads, settings=s
            )
            for _ in range(c.encoder_layers)
        )
        self.decoder_layers = nn.ModuleList(
            ElasticDecoderLayer(
                embed_dim=c.decoder_embed_dim,
                encoder_embed_dim=c.encoder_embed_dim,
                ffn_dim=c.decoder_ffn_dim,
                heads=c.decoder_heads,
                max_ende_layers=c.max_ende_layers,
                settings=s,
            )
            for _ in range(c.decoder_layers)
        )
        self.encoder_norm = ElasticLayerNorm(c.encoder_embed_dim, eps=c.layer_norm_eps) if c.normalize_before else None
        self.decoder_norm = ElasticLayerNorm(c.decoder_embed_dim, eps=c.layer_norm_eps) if c.normalize_before else None
        self.active_dims = c.largest_dims()
        self.reset()

    @classmethod
    def from_space(cls, space: SearchSpace | str, **overrides: Any) -> SuperTransformer:
        space = get_space(space) if isinstance(space, str) else space
        return cls(SuperTransformerConfig.from_space(space, **overrides), space=space)

    # verbs ------------------------------------------------------------------------------------------------------
    def set_active_arch(self, arch: Arch) -> SubnetDims:
        """Validate ``arch`` with its space (this supernet's, or the registry's for another ``hat`` space) and make
        it the active sub-network. Returns its decoded sizes."""
        space = self.space if self.space is not None and self.space.name == arch.space else get_space(arch.space)
        space.validate(arch)
        dims = subnet_dims(arch, space)
        self._check_fits(dims, arch.space)
        self.set_active(dims)
        return dims

    def set_active(self, dims: SubnetDims) -> None:
        self._check_fits(dims, self.space.name if self.space is not None else "(sizes)")
        self.embed_tokens.set_active(embedding_dim=dims.shared_embed_dim)
        enc, dec = dims.encoder_embed_dim, dims.decoder_embed_dim
        for layer, e in zip(self._elastic_encoder_layers(), dims.encoder_layers, strict=False):
            layer.set_active(embed_dim=enc, ffn_dim=e.ffn_dim, heads=e.heads)
        for layer, d in zip(self._elastic_decoder_layers(), dims.decoder_layers, strict=False):
            layer.set_active(
                embed_dim=dec,
                encoder_embed_dim=enc,
                ffn_dim=d.ffn_dim,
                self_heads=d.self_heads,
                ende_heads=d.ende_heads,
                ende_layers=d.ende_layers,
            )
        if self.encoder_norm is not None and self.decoder_norm is not None:
            self.encoder_norm.set_active(normalized_dim=enc)
            self.decoder_norm.set_active(normalized_dim=dec)
        self.active_dims = dims

    def reset(self) -> None:
        """Back to the largest sub-network (the whole supernet)."""
        self.set_active(self.config.largest_dims())

    def extract(self) -> TransformerModel:
        """A standalone model holding copies of the active sub-network's weights (:mod:`hwnas.models.extraction`)."""
        dims = self.active_dims
        n_enc, n_dec = len(dims.encoder_layers), len(dims.decoder_layers)
        return TransformerModel.from_parts(
            self.config.subnet_config(dims),
            embed_tokens=self.embed_tokens.extract(),
            encoder_layers=[layer.extract() for layer in self._elastic_encoder_layers()[:n_enc]],
            decoder_layers=[layer.extract() for layer in self._elastic_decoder_layers()[:n_dec]],
            encoder_norm=None if self.encoder_norm is None else self.encoder_norm.extract(),
            decoder_norm=None if self.decoder_norm is None else self.decoder_norm.extract(),
        )

    def num_active_params(self) -> int:
        return self.num_params()

    def num_params(self, *, include_embeddings: bool = True) -> int:
        """Parameters of the active sub-network (the tied table counted once), computed from the active slices."""
        d = self.active_dims
        parts: list[Elastic] = [*self._elastic_encoder_layers()[: len(d.encoder_layers)]]
        parts += self._elastic_decoder_layers()[: len(d.decoder_layers)]
        parts += [n for n in (self.encoder_norm, self.decoder_norm) if n is not None]
        total = sum(p.num_active_params() for p in parts)
        return total + (self.embed_tokens.num_active_params() if include_embeddings else 0)

    def _elastic_encoder_layers(self) -> list[ElasticEncoderLayer]:
        return [cast(ElasticEncoderLayer, layer) for layer in self.encoder_layers]

    def _elastic_decoder_layers(self) -> list[ElasticDecoderLayer]:
        return [cast(ElasticDecoderLayer, layer) for layer in self.decoder_layers]

    # views for the shared forward ---------------------------------------------------------------------------
    def _encoder_view(self) -> StackView:
        d, c = self.active_dims, self.config
        return StackView(
            embed_dim=d.encoder_embed_dim,
            position_base_dim=c.encoder_embed_dim,
            dropout=self.settings.rates(d.encoder_embed_dim, c.encoder_embed_dim).embed,
            layers=tuple(self.encoder_layers)[: len(d.encoder_layers)],
            final_norm=self.encoder_norm,
            final_norm_scope=c.encoder_final_norm,
        )

    def _decoder_view(self) -> StackView:
        d, c = self.active_dims, self.config
        return StackView(
            embed_dim=d.decoder_embed_dim,
            position_base_dim=c.decoder_embed_dim,
            dropout=self.settings.rates(d.decoder_embed_dim, c.decoder_embed_dim).embed,
            layers=tuple(self.decoder_layers)[: len(d.decoder_layers)],
            final_norm=self.decoder_norm,
        )

    def _check_fits(self, dims: SubnetDims, space: str) -> None:
        c = self.config
        checks: list[tuple[str, int, int]] = [
            ("encoder_embed_dim", dims.encoder_embed_dim, c.encoder_embed_dim),
            ("decoder_embed_dim", dims.decoder_embed_dim, c.decoder_embed_dim),
            ("encoder_layer_num", len(dims.encoder_layers), c.encoder_layers),
            ("decoder_layer_num", len(dims.decoder_layers), c.decoder_layers),
        ]
        for i, e in enumerate(dims.encoder_layers):
            checks += [(f"encoder_ffn_embed_dim[{i}]", e.ffn_dim, c.encoder_ffn_dim)]
            checks += [(f"encoder_self_attention_heads[{i}]", e.heads, c.encoder_heads)]
        for i, d in enumerate(dims.decoder_layers):
            checks += [(f"decoder_ffn_embed_dim[{i}]", d.ffn_dim, c.decoder_ffn_dim)]
            checks += [(f"decoder_self_attention_heads[{i}]", d.self_heads, c.decoder_heads)]
            checks += [(f"decoder_ende_attention_heads[{i}]", d.ende_heads, c.decoder_heads)]
            checks += [(f"decoder_arbitrary_ende_attn[{i}] (layers)", d.ende_layers, c.max_ende_layers)]
        for gene, value, limit in checks:
            if not 0 < value <= limit:
                raise InvalidArchError(space, gene, value, f"1..{limit} (this supernet's size)")
        for gene, heads in [(f"heads of layer {i}", h) for i, h in enumerate(_all_heads(dims))]:
            if c.qkv_dim % heads:
                raise InvalidArchError(space, gene, heads, f"a divisor of qkv_dim={c.qkv_dim}")


def _all_heads(dims: SubnetDims) -> list[int]:
    heads = [e.heads for e in dims.encoder_layers]
    return heads + [h for d in dims.decoder_layers for h in (d.self_heads, d.ende_heads)]
