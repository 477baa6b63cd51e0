"""Elastic containers: FFN, encoder layer and decoder layer built from elastic parts; they only delegate the verbs.

Each subclasses its plain counterpart from ``layers.py``, so the forward code is shared and ``extract()`` returns
that plain counterpart with copied slices and the active sub-network's dropout rates.
"""

from __future__ import annotations

from hwnas.models.elastic import ElasticAttention, ElasticLayerNorm, ElasticLinear
from hwnas.models.layers import DecoderLayer, EncoderLayer, FeedForward, LayerSettings


class ElasticFeedForward(FeedForward):
    fc1: ElasticLinear
    fc2: ElasticLinear

    def __init__(self, *, embed_dim: int, ffn_dim: int, activation_dropout: float) -> None:
        fc1, fc2 = ElasticLinear(embed_dim, ffn_dim), ElasticLinear(ffn_dim, embed_dim)
        super().__init__(fc1, fc2, activation_dropout=activation_dropout)  # a narrower subnet may scale it down

    def set_active(self, *, embed_dim: int, ffn_dim: int) -> None:
        self.fc1.set_active(in_features=embed_dim, out_features=ffn_dim)
        self.fc2.set_active(in_features=ffn_dim, out_features=embed_dim)

    def reset(self) -> None:
        self.fc1.reset()
        self.fc2.reset()

    def extract(self) -> FeedForward:
        return FeedForward(self.fc1.extract(), self.fc2.extract(), activation_dropout=self.activation_dropout)

    def num_active_params(self) -> int:
        return self.fc1.num_active_params() + self.fc2.num_active_params()


class ElasticEncoderLayer(EncoderLayer):
    self_attn: ElasticAttention
    ffn: ElasticFeedForward
    attn_norm: ElasticLayerNorm
    ffn_norm: ElasticLayerNorm

    def __init__(self, *, embed_dim: int, ffn_dim: int, heads: int, settings: LayerSettings) -> None:
        s = settings
        super().__init__(
            self_attn=ElasticAttention(
                query_dim=embed_dim,
                kv_dim=embed_dim,
                qkv_dim=s.qkv_dim,
                num_heads=heads,
                self_attention=True,
                dropout=s.attention_dropout,
            ),
            ffn=ElasticFeedForward(embed_dim=embed_dim, ffn_dim=ffn_dim, activation_dropout=s.activation_dropout),
            attn_norm=ElasticLayerNorm(embed_dim, eps=s.eps),
            ffn_norm=ElasticLayerNorm(embed_dim, eps=s.eps),
            normalize_before=s.normalize_before,
            dropout=s.dropout,
        )
        self.settings, self.super_sizes = settings, (embed_dim, ffn_dim, heads)

    def _set_dropout(self, embed_dim: int) -> None:
        rates = self.settings.rates(embed_dim, self.super_sizes[0])
        self.dropout, self.self_attn_residual_dropout = rates.residual, rates.encoder_self_attn
        self.ffn.activation_dropout = rates.activation

    def set_active(self, *, embed_dim: int, ffn_dim: int, heads: int) -> None:
        self.self_attn.set_active(query_dim=embed_dim, num_heads=heads)
        self.ffn.set_active(embed_dim=embed_dim, ffn_dim=ffn_dim)
        for norm in (self.attn_norm, self.ffn_norm):
            norm.set_active(normalized_dim=embed_dim)
        self._set_dropout(embed_dim)

    def reset(self) -> None:
        embed_dim, ffn_dim, heads = self.super_sizes
        self.set_active(embed_dim=embed_dim, ffn_dim=ffn_dim, heads=heads)

    def extract(self) -> EncoderLayer:
        return EncoderLayer(
            self_attn=self.self_attn.extract(),
            ffn=self.ffn.extract(),
            attn_norm=self.attn_norm.extract(),
            ffn_norm=self.ffn_norm.extract(),
            normalize_before=self.normalize_before,
            dropout=self.dropout,
            self_attn_residual_dropout=self.self_attn_residual_dropout,
        )

    def num_active_params(self) -> int:
        parts = (self.self_attn, self.ffn, self.attn_norm, self.ffn_norm)
        return sum(p.num_active_params() for p in parts)


class ElasticDecoderLayer(DecoderLayer, ElasticEncoderLayer):
    """Adds the elastic encoder-decoder attention (keys/values from the encoder's width) and the ende choice.

    ``forward`` comes from ``DecoderLayer``; self-attention, FFN, norms and dropout handling from
    ``ElasticEncoderLayer``. ``DecoderLayer.__init__`` is not run: its three extra attributes are set here.
    """

    cross_attn: ElasticAttention
    cross_attn_norm: ElasticLayerNorm

    def __init__(
        self,
        *,
        embed_dim: int,
        encoder_embed_dim: int,
        ffn_dim: int,
        heads: int,
        max_ende_layers: int,
        settings: LayerSettings,
    ) -> None:
        ElasticEncoderLayer.__init__(self, embed_dim=embed_dim, ffn_dim=ffn_dim, heads=heads, settings=settings)
        self.cross_attn = ElasticAttention(
            query_dim=embed_dim,
            kv_dim=encoder_embed_dim,
            qkv_dim=settings.qkv_dim,
            num_heads=heads,
            self_attention=False,
            dropout=settings.attention_dropout,
        )
        self.cross_attn_norm = ElasticLayerNorm(embed_dim, eps=settings.eps)
        self.ende_layers = self.max_ende_layers = max_ende_layers
        self.super_encoder_embed_dim = encoder_embed_dim

    def set_active(  # type: ignore[override]
        self,
        *,
        embed_dim: int,
        encoder_embed_dim: int,
        ffn_dim: int,
        self_heads: int,
        ende_heads: int,
        ende_layers: int,
    ) -> None:
        if not 0 < ende_layers <= self.max_ende_layers:
            raise ValueError(f"ende_layers={ende_layers} is outside 1..{self.max_ende_layers}")
        ElasticEncoderLayer.set_active(self, embed_dim=embed_dim, ffn_dim=ffn_dim, heads=self_heads)
        self.cross_attn.set_active(query_dim=embed_dim, kv_dim=encoder_embed_dim, num_heads=ende_heads)
        self.cross_attn_norm.set_active(normalized_dim=embed_dim)
        self.ende_layers = ende_layers

    def reset(self) -> None:
        embed_dim, ffn_dim, heads = self.super_sizes
        self.set_active(
            embed_dim=embed_dim,
            encoder_embed_dim=self.super_encoder_embed_dim,
            ffn_dim=ffn_dim,
            self_heads=heads,
            ende_heads=heads,
            ende_layers=self.max_ende_layers,
        )

    def extract(self) -> DecoderLayer:
        return DecoderLayer(
            self_attn=self.self_attn.extract(),
            cross_attn=self.cross_attn.extract(),
            ffn=self.ffn.extract(),
            attn_norm=self.attn_norm.extract(),
            cross_attn_norm=self.cross_attn_norm.extract(),
            ffn_norm=self.ffn_norm.extract(),
            ende_layers=self.ende_layers,
            normalize_before=self.normalize_before,
            dropout=self.dropout,
        )

    def num_active_params(self) -> int:
        return (
            ElasticEncoderLayer.num_active_params(self)
            + self.cross_attn.num_active_params()
            + 2 * self.cross_attn_norm.active_dim
        )
