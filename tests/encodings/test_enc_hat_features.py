from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from hwnas.core.errors import DataError, InvalidArchError
from hwnas.encodings import (
    HAT_FEATURE_NAMES,
    HAT_FEATURE_NORM,
    hat_features,
    hat_features_from_row,
    hat_features_normalised,
)
from hwnas.spaces import builtin_names, get_space

HAT_SPACES = [name for name in builtin_names() if get_space(name).family == "hat"]


def _known_arch():
    return get_space("hat-wmt14ende").make(
        {
            "encoder_embed_dim": 512,
            "encoder_layer_num": 6,
            "encoder_ffn_embed_dim": [3072, 2048, 1024, 3072, 2048, 1024],
            "encoder_self_attention_heads": [8, 4, 8, 4, 8, 4],
            "decoder_embed_dim": 640,
            "decoder_layer_num": 3,
            # HAT files carry 6 entries; only the first 3 count
            "decoder_ffn_embed_dim": [3072, 1024, 2048, 1024, 1024, 1024],
            "decoder_self_attention_heads": [8, 8, 4],
            "decoder_ende_attention_heads": [4, 4, 4],
            "decoder_arbitrary_ende_attn": [-1, 1, 2],
        }
    )


def test_known_averages() -> None:
    expected = [512, 6, 2048, 6, 640, 3, 2048, 20 / 3, 4, 2]
    np.testing.assert_allclose(hat_features(_known_arch()), expected)


@pytest.mark.parametrize(("attn", "expected"), [([-1, -1], 1.0), ([1, 1], 2.0), ([2, 2], 3.0), ([-1, 2], 2.0)])
def test_arbitrary_attention_counts_attended_encoder_layers(attn: list[int], expected: float) -> None:
    arch = _known_arch()
    space = get_space("hat-wmt14ende")
    two_layers = space.make({**arch.genes, "decoder_layer_num": 2, "decoder_arbitrary_ende_attn": attn})
    assert hat_features(two_layers)[HAT_FEATURE_NAMES.index("decoder_arbitrary_ende_attn_avg")] == expected


def test_normalised_divides_by_hat_norm() -> None:
    arch = _known_arch()
    assert HAT_FEATURE_NORM == (640, 6, 2048, 6, 640, 6, 2048, 6, 6, 2)
    np.testing.assert_allclose(hat_features_normalised(arch) * np.array(HAT_FEATURE_NORM), hat_features(arch))
    assert hat_features_normalised(arch)[0] == pytest.approx(512 / 640)


@pytest.mark.parametrize("space_name", HAT_SPACES)
def test_features_of_every_hat_space_are_finite_and_row_round_trips(space_name: str, sample_archs) -> None:
    for arch in sample_archs(get_space(space_name), n=10):
        features = hat_features(arch)
        assert features.shape == (10,) and np.all(np.isfinite(features))
        row = {name: str(value) for name, value in zip(HAT_FEATURE_NAMES, features, strict=True)}
        np.testing.assert_array_equal(hat_features_from_row(row), features)


def test_non_hat_arch_is_refused() -> None:
    gpt = get_space("gpt-s")
    with pytest.raises(InvalidArchError, match="encoder_embed_dim"):
        hat_features(gpt.smallest())


def test_row_errors_name_the_column() -> None:
    row = dict.fromkeys(HAT_FEATURE_NAMES, "1")
    del row["decoder_layer_num"]
    with pytest.raises(DataError, match="decoder_layer_num"):
        hat_features_from_row(row)
    with pytest.raises(DataError, match="not a number"):
        hat_features_from_row({**dict.fromkeys(HAT_FEATURE_NAMES, "1"), "encoder_embed_dim": "wide"})


def _csv_features(data_dir: Path) -> np.ndarray:
    files = sorted((data_dir / "hat_latency_dataset").glob("*.csv"))
    assert len(files) == 3
    rows = []
    for path in files:
        with path.open(newline="") as handle:
            rows.extend(hat_features_from_row(row) for row in csv.DictReader(handle))
    return np.vstack(rows)


def test_csv_rows_are_averages_of_valid_layer_values(data_dir: Path) -> None:
    """Known structure of HAT's rows: sums over layers are whole, and the ende-attn average lies in 1..3."""
    features = _csv_features(data_dir)
    assert features.shape == (6000, 10)
    col = {name: features[:, i] for i, name in enumerate(HAT_FEATURE_NAMES)}
    dec = col["decoder_layer_num"]
    assert set(np.unique(dec)) <= {1, 2, 3, 4, 5, 6}
    attn_sum = col["decoder_arbitrary_ende_attn_avg"] * dec
    np.testing.assert_allclose(attn_sum, np.round(attn_sum), atol=1e-6)
    assert np.all((attn_sum >= dec - 1e-6) & (attn_sum <= 3 * dec + 1e-6))
    heads_sum = col["encoder_self_attention_heads_avg"] * col["encoder_layer_num"]
    np.testing.assert_allclose(heads_sum, np.round(heads_sum), atol=1e-6)


def test_random_wide_archs_fall_inside_csv_ranges(data_dir: Path, sample_archs) -> None:
    features = _csv_features(data_dir)
    low, high = features.min(axis=0), features.max(axis=0)
    archs = sample_archs(get_space("hat-wmt14ende-wide"), n=300, seed=3)[2:]  # the extremes are rarer than any row
    ours = np.vstack([hat_features(a) for a in archs])
    outside = (ours < low - 1e-9) | (ours > high + 1e-9)
    assert not outside.any(), [HAT_FEATURE_NAMES[j] for j in np.where(outside.any(axis=0))[0]]
