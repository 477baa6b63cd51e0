"""The one reader of HAT's genes: an arch of a ``hat``-family space -> :class:`~hwnas.models.subnet.SubnetDims`,
the sizes the supernet activates, extraction builds, the protocol measures and the counts count."""

from __future__ import annotations

from hwnas.core.arch import Arch
from hwnas.core.errors import InvalidArchError
from hwnas.core.space import SearchSpace
from hwnas.encodings.hat import ARBITRARY_ENDE_ATTN_LAYERS
from hwnas.families._genes import GeneReader
from hwnas.models.subnet import DecoderLayerDims, EncoderLayerDims, SubnetDims

ENDE_GENE = "decoder_arbitrary_ende_attn"  # -1 / 1 / 2: attend to the last 1 / 2 / 3 encoder layers
LAST_LAYER_ONLY = -1  # HAT's default, for spaces without the gene


def _ende_layers(genes: GeneReader, layers: int) -> tuple[int, ...]:
    """How many encoder layers each decoder layer attends to."""
    values = genes.layers(ENDE_GENE, layers) if ENDE_GENE in genes.arch else (LAST_LAYER_ONLY,) * layers
    for i, value in enumerate(values):
        if value not in ARBITRARY_ENDE_ATTN_LAYERS:
            raise InvalidArchError(genes.arch.space, f"{ENDE_GENE}[{i}]", value, list(ARBITRARY_ENDE_ATTN_LAYERS))
    return tuple(ARBITRARY_ENDE_ATTN_LAYERS[v] for v in values)


def decode(arch: Arch, space: SearchSpace) -> SubnetDims:
    """The sizes of an arch valid in ``space`` (validate it first); a malformed gene raises ``InvalidArchError``."""
    g = GeneReader(arch)
    n_enc, n_dec = g.scalar("encoder_layer_num"), g.scalar("decoder_layer_num")
    enc_ffn, enc_heads = g.layers("encoder_ffn_embed_dim", n_enc), g.layers("encoder_self_attention_heads", n_enc)
    dec_ffn = g.layers("decoder_ffn_embed_dim", n_dec)
    dec_self = g.layers("decoder_self_attention_heads", n_dec)
    dec_ende = g.layers("decoder_ende_attention_heads", n_dec)
    ende = _ende_layers(g, n_dec)
    return SubnetDims(
        encoder_embed_dim=g.scalar("encoder_embed_dim"),
        decoder_embed_dim=g.scalar("decoder_embed_dim"),
        encoder_layers=tuple(EncoderLayerDims(f, h) for f, h in zip(enc_ffn, enc_heads, strict=True)),
        decoder_layers=tuple(
            DecoderLayerDims(ffn_dim=f, self_heads=s, ende_heads=e, ende_layers=k)
            for f, s, e, k in zip(dec_ffn, dec_self, dec_ende, ende, strict=True)
        ),
    )
