"""The weight-sharing SuperTransformer (HAT): one encoder-decoder whose every sub-network shares its weights.

Build it from a ``hat``-family search space (``SuperTransformer.from_space``), pick a sub-network with
``set_active_arch(arch)``, then run ``forward`` / ``encode`` / ``decode_step`` exactly as the extracted standalone
model would (same code, ``EncoderDecoder``). A sub-network uses the leading slices of every weight.
"""

from __future__ import annotations

from typing import Any, cast

from torch import nn

from hwnas.core.arch import Arch
from hwnas.core.errors import InvalidArchError
from hwnas.core.space import SearchSpace
from hwnas.models.elastic import Elastic, ElasticEmbedding, ElasticLayerNorm
from hwnas.models.elastic_blocks import ElasticDecoderLayer, ElasticEncoderLayer
from hwnas.models.encdec import EncoderDecoder, StackView
from hwnas.models.layers import LayerSettings
from hwnas.models.subnet import SubnetDims, subnet_dims
from hwnas.models.supernet_config import SuperTransformerConfig
from hwnas.models.transformer import TransformerModel
from hwnas.spaces.registry import get_space


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


__all__ = ["SuperTransformer", "SuperTransformerConfig"]  # the config lives in supernet_config.py
