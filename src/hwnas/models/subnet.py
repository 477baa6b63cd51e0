"""`SubnetDims`: the sizes of one encoder-decoder sub-network, which the ``hat`` family decodes an `Arch` into.

It is the single currency between the supernet (``set_active``), extraction (the standalone model's config), the
measurement protocol and the analytic counts; the gene names of the HAT spaces are read in one place, the family
(:mod:`hwnas.families.hat.decode`), which :func:`subnet_dims` reaches by name (models sit below the families).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from hwnas.contracts.family import family_of
from hwnas.core.arch import Arch
from hwnas.core.errors import ConfigError
from hwnas.core.space import SearchSpace


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


def subnet_dims(arch: Arch, space: SearchSpace) -> SubnetDims:
    """The sizes of an arch of ``space`` (validate it first), decoded by the space's family."""
    dims = family_of(space).decode(arch, space)
    if not isinstance(dims, SubnetDims):
        raise ConfigError(f"space {space.name!r} (family {space.family!r}) has no encoder-decoder sizes; need 'hat'")
    return dims
