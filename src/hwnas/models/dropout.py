"""The dropout rates a sub-network trains with: HAT scales most of them by its active width over the super width.

HAT (``fairseq/models/transformer_super.py``, ``calc_dropout``) multiplies the configured dropout by active embed
width / super embed width of the same side (encoder or decoder) on the embeddings, on sublayer outputs before the
residual add and after the FFN's activation, whenever a SubTransformer is sampled: in supernet training and when it
retrains one SubTransformer inside the supernet. Two sites keep the configured rate: the attention probabilities
(``multihead_attention_super.py``) and, in the encoder only, the self-attention output (its layer reads the
unscaled ``args.dropout``). These are the rules a supernet and a from-scratch model share, in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from hwnas.core.errors import ConfigError

# "hat": HAT's rule above. "all": every site but the attention probabilities scaled (hwnas's supernet rule before
# this option). "none": the configured rates as they are (hwnas's from-scratch rule before this option).
DropoutScaling = Literal["hat", "all", "none"]
DROPOUT_SCALINGS: tuple[DropoutScaling, ...] = ("hat", "all", "none")


@dataclass(frozen=True)
class DropoutRates:
    """The rates of one side (encoder or decoder) of one sub-network."""

    embed: float  # on sqrt(d) * token embedding + positions
    residual: float  # on sublayer outputs before the residual add (every decoder sublayer, the encoder's FFN)
    encoder_self_attn: float  # on the encoder's self-attention output (HAT leaves it unscaled)
    activation: float  # after the FFN's ReLU


def dropout_rates(
    *, dropout: float, activation_dropout: float, scaling: DropoutScaling, active_dim: int, super_dim: int
) -> DropoutRates:
    """The rates of a side whose active embed width is ``active_dim`` in a supernet of width ``super_dim``."""
    ratio = 1.0 if scaling == "none" else active_dim / super_dim
    scaled = dropout * ratio
    return DropoutRates(
        embed=scaled,
        residual=scaled,
        encoder_self_attn=dropout if scaling == "hat" else scaled,
        activation=activation_dropout * ratio,
    )


def check_dropout_scaling(owner: str, value: object) -> None:
    if value not in DROPOUT_SCALINGS:
        raise ConfigError(f"{owner}.dropout_scaling = {value!r}; allowed: {', '.join(DROPOUT_SCALINGS)}")


def legacy_dropout_scaling(*, supernet: bool) -> DropoutScaling:
    """What a model saved before ``dropout_scaling`` existed trained with: a supernet scaled every site but the
    attention probabilities ("all"); a from-scratch model used the configured rates ("none")."""
    return "all" if supernet else "none"
