"""`SubnetDims`: the sizes of one encoder-decoder sub-network, decoded from a HAT-family `Arch`.

It is the single currency between the supernet (``set_active_dims``), extraction (the standalone model's config)
and analytic counts, so the gene names of the HAT spaces are read in exactly one place.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from hwnas.core.arch import Arch
from hwnas.core.errors import InvalidArchError

# HAT's decoder_arbitrary_ende_attn gene: -1 = last encoder layer only, 1 = last two, 2 = last three.
ENDE_GENE_TO_LAYERS: dict[int, int] = {-1: 1, 1: 2, 2: 3}


@dataclass(frozen=True)
class EncoderLayerDims:
    ffn_dim: int  # hidden width of the position-wise FFN
    heads: int  # self-attention heads (qkv dim fixed, so head_dim = qkv_dim / heads)


@dataclass(frozen=True, kw_only=True)
class DecoderLayerDims:
    ffn_dim: int  # hidden width of the position-wise FFN
    self_heads: int  # causal self-attention heads
    ende_heads: int  # encoder-decoder attention heads
    ende_layers: int  # attends to the concatenated outputs of the last 1, 2 or 3 encoder layers


@dataclass(frozen=True, kw_only=True)
class SubnetDims:
    encoder_embed_dim: int  # encoder hidden width (leading columns of the shared embedding table)
    decoder_embed_dim: int  # decoder hidden width (independent of the encoder's)
    encoder_layers: tuple[EncoderLayerDims, ...]
    decoder_layers: tuple[DecoderLayerDims, ...]

    def __post_init__(self) -> None:
        if not self.encoder_layers or not self.decoder_layers:
            raise ValueError("a sub-network needs at least one encoder and one decoder layer")

    @property
    def shared_embed_dim(self) -> int:
        """Width of the shared token table: each side reads its leading columns."""
        return max(self.encoder_embed_dim, self.decoder_embed_dim)

    @classmethod
    def from_arch(cls, arch: Arch) -> SubnetDims:
        """Decode the genes of a ``hat``-family arch (validate it with its space first)."""
        g = _GeneReader(arch)
        n_enc, n_dec = g.scalar("encoder_layer_num"), g.scalar("decoder_layer_num")
        enc_ffn, enc_heads = g.layers("encoder_ffn_embed_dim", n_enc), g.layers("encoder_self_attention_heads", n_enc)
        dec_ffn = g.layers("decoder_ffn_embed_dim", n_dec)
        dec_self, dec_ende = (
            g.layers("decoder_self_attention_heads", n_dec),
            g.layers("decoder_ende_attention_heads", n_dec),
        )
        ende = g.layers("decoder_arbitrary_ende_attn", n_dec)
        for i, value in enumerate(ende):
            if value not in ENDE_GENE_TO_LAYERS:
                raise InvalidArchError(
                    arch.space, f"decoder_arbitrary_ende_attn[{i}]", value, list(ENDE_GENE_TO_LAYERS)
                )
        return cls(
            encoder_embed_dim=g.scalar("encoder_embed_dim"),
            decoder_embed_dim=g.scalar("decoder_embed_dim"),
            encoder_layers=tuple(EncoderLayerDims(f, h) for f, h in zip(enc_ffn, enc_heads, strict=True)),
            decoder_layers=tuple(
                DecoderLayerDims(ffn_dim=f, self_heads=s, ende_heads=e, ende_layers=ENDE_GENE_TO_LAYERS[a])
                for f, s, e, a in zip(dec_ffn, dec_self, dec_ende, ende, strict=True)
            ),
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SubnetDims:
        return cls(
            encoder_embed_dim=int(data["encoder_embed_dim"]),
            decoder_embed_dim=int(data["decoder_embed_dim"]),
            encoder_layers=tuple(EncoderLayerDims(**layer) for layer in data["encoder_layers"]),
            decoder_layers=tuple(DecoderLayerDims(**layer) for layer in data["decoder_layers"]),
        )


class _GeneReader:
    """Reads int genes, raising `InvalidArchError` (naming the gene) when one is missing or malformed."""

    def __init__(self, arch: Arch) -> None:
        self.arch = arch

    def scalar(self, name: str) -> int:
        value = self.arch.get(name)
        if not isinstance(value, int) or isinstance(value, bool):
            raise InvalidArchError(self.arch.space, name, value if value is not None else "(missing)", "an integer")
        return value

    def layers(self, name: str, count: int) -> tuple[int, ...]:
        value = self.arch.get(name)
        if not isinstance(value, tuple) or len(value) != count or not all(isinstance(v, int) for v in value):
            shown = value if value is not None else "(missing)"
            raise InvalidArchError(self.arch.space, name, shown, f"a list of {count} integers (one per layer)")
        return tuple(int(v) for v in value)
