"""Vector encodings by name, so a predictor or a config can say ``encoding: onehot`` instead of importing code.

Each encoder maps a batch of archs of one space to a 2-D float array (one row per arch). Register new ones
with :func:`register_encoder`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from hwnas.core.arch import Arch
from hwnas.core.errors import UnknownNameError
from hwnas.core.space import SearchSpace
from hwnas.encodings._slots import slots
from hwnas.encodings.hat import HAT_FEATURE_NAMES, hat_features, hat_features_normalised
from hwnas.encodings.vectors import one_hot, padded_vector

BatchEncoder = Callable[[Sequence[Arch], SearchSpace], np.ndarray]
_PerArch = Callable[[Arch, SearchSpace], np.ndarray]


def _batched(per_arch: _PerArch, width: Callable[[SearchSpace], int]) -> BatchEncoder:
    """Lift a one-arch encoding to a batch; an empty batch still has the right number of columns."""

    def encode(archs: Sequence[Arch], space: SearchSpace) -> np.ndarray:
        rows = [per_arch(arch, space) for arch in archs]
        return np.vstack(rows) if rows else np.zeros((0, width(space)), dtype=np.float64)

    return encode


_ENCODERS: dict[str, BatchEncoder] = {
    # HAT's predictor input: the 10 averaged features divided by HAT's feature norm
    "hat10": _batched(lambda a, _s: hat_features_normalised(a), lambda _s: len(HAT_FEATURE_NAMES)),
    # the same 10 features unscaled (the units of HAT's latency CSVs)
    "hat10-raw": _batched(lambda a, _s: hat_features(a), lambda _s: len(HAT_FEATURE_NAMES)),
    "padded": _batched(padded_vector, lambda s: len(slots(s))),
    "onehot": _batched(one_hot, lambda s: sum(len(slot.gene.choices) for slot in slots(s))),
}


def encoder_names() -> list[str]:
    return sorted(_ENCODERS)


def get_encoder(name: str) -> BatchEncoder:
    """The batch encoder called ``name``; unknown names raise :class:`UnknownNameError` listing the known ones."""
    try:
        return _ENCODERS[name]
    except KeyError:
        raise UnknownNameError("encoding", name, encoder_names()) from None


def register_encoder(name: str, encoder: BatchEncoder, *, replace: bool = False) -> None:
    """Add an encoder (refusing to shadow an existing name unless ``replace``)."""
    if name in _ENCODERS and not replace:
        raise ValueError(f"encoding {name!r} is already registered; pass replace=True to override it")
    _ENCODERS[name] = encoder
