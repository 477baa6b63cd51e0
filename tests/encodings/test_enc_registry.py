from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from hwnas.core.arch import Arch
from hwnas.core.errors import InvalidArchError, UnknownNameError
from hwnas.encodings import (
    encoder_names,
    get_encoder,
    hat_features,
    hat_features_normalised,
    one_hot,
    padded_vector,
    register_encoder,
)
from hwnas.encodings import registry as registry_module
from hwnas.spaces import builtin_names, get_space

Sampler = Callable[..., list[Arch]]


def test_known_names() -> None:
    assert {"hat10", "hat10-raw", "padded", "onehot"} <= set(encoder_names())


@pytest.mark.parametrize("space_name", builtin_names())
@pytest.mark.parametrize(("name", "per_arch"), [("padded", padded_vector), ("onehot", one_hot)])
def test_generic_encoders_stack_rows(space_name: str, name: str, per_arch: Callable, sample_archs: Sampler) -> None:
    space = get_space(space_name)
    archs = sample_archs(space, n=5)
    matrix = get_encoder(name)(archs, space)
    np.testing.assert_array_equal(matrix, np.vstack([per_arch(a, space) for a in archs]))
    empty = get_encoder(name)([], space)
    assert empty.shape == (0, matrix.shape[1])


def test_hat10_is_normalised_and_raw_is_not(sample_archs: Sampler) -> None:
    space = get_space("hat-wmt14ende")
    archs = sample_archs(space, n=5)
    np.testing.assert_array_equal(get_encoder("hat10")(archs, space), [hat_features_normalised(a) for a in archs])
    np.testing.assert_array_equal(get_encoder("hat10-raw")(archs, space), [hat_features(a) for a in archs])
    assert get_encoder("hat10")([], space).shape == (0, 10)
    with pytest.raises(InvalidArchError):
        get_encoder("hat10")([get_space("nb201").smallest()], get_space("nb201"))


def test_unknown_name_lists_known_ones() -> None:
    with pytest.raises(UnknownNameError, match=r"unknown encoding 'one-hot'; known: hat10, hat10-raw, onehot"):
        get_encoder("one-hot")


def test_register_refuses_to_shadow(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry_module, "_ENCODERS", dict(registry_module._ENCODERS))
    with pytest.raises(ValueError, match="already registered"):
        register_encoder("padded", get_encoder("onehot"))
    register_encoder("ones", lambda archs, space: np.ones((len(archs), 1)))
    assert get_encoder("ones")([get_space("nb201").smallest()], get_space("nb201")).shape == (1, 1)
