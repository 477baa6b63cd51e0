"""LatencyDataset: both CSV layouts read, bad CSVs refused with the row and column named."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from hwnas.core.errors import DataError
from hwnas.hardware import load_latency_csv
from hwnas.predictors import drop_encoder_artefacts, hat_dataset


def _edit(path: Path, row: int, column: str, value: str) -> Path:
    """Set one cell (row counted from 1 after the header)."""
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    rows[row][rows[0].index(column)] = value
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    return path


def test_hat_layout_reads_features_and_total_latency(latency_csv: Callable[..., Path], synthetic_data: Any) -> None:
    X, y, _ = synthetic_data(60)
    dataset = load_latency_csv(latency_csv(60))
    assert len(dataset) == 60 and dataset.archs is None and dataset.default_encoding == "hat10-raw"
    np.testing.assert_allclose(dataset.latency, y)
    np.testing.assert_allclose(dataset.encode("hat10-raw"), X)
    np.testing.assert_allclose(dataset.latency_std, np.sqrt(0.001**2 + 0.009**2) * y)
    with pytest.raises(DataError, match="no 'arch' column"):
        dataset.encode("onehot")


def test_project_layout_with_archs_encodes_full_archs(latency_csv: Callable[..., Path]) -> None:
    dataset = load_latency_csv(latency_csv(20, with_archs=True))
    assert dataset.archs is not None and dataset.archs[0].space == "hat-wmt14ende"
    padded = dataset.encode("padded")
    assert padded.shape[0] == 20 and padded.shape[1] > 10
    assert dataset.subset([3, 1]).archs == (dataset.archs[3], dataset.archs[1])


def test_forward_layout(tmp_path: Path) -> None:
    arch = {"space": "gpt-s", "genes": {}}
    path = tmp_path / "gpt.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([["params", "latency_mean", "arch"], ["1", "12.5", json.dumps(arch)]])
    dataset = load_latency_csv(path)
    assert dataset.features is None and dataset.default_encoding == "padded" and dataset.latency.tolist() == [12.5]


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("latency_mean_decoder", "nan", r"row 3 \(line 4\) column 'latency_mean_decoder' is 'nan'"),
        ("latency_mean_encoder", "0", r"row 3 \(line 4\) column 'latency_mean_encoder' is '0'; need a number > 0"),
        ("latency_mean_decoder", "-4.0", r"row 3 \(line 4\) column 'latency_mean_decoder' is '-4.0'"),
        ("decoder_layer_num", "six", r"row 3 \(line 4\) column 'decoder_layer_num' is 'six'"),
        ("encoder_embed_dim", "", r"row 3 \(line 4\) column 'encoder_embed_dim' is ''"),
    ],
)
def test_bad_cells_are_named(latency_csv: Callable[..., Path], column: str, value: str, message: str) -> None:
    with pytest.raises(DataError, match=message):
        load_latency_csv(_edit(latency_csv(10), 3, column, value))


def test_missing_columns_are_named(tmp_path: Path) -> None:
    path = tmp_path / "few.csv"
    path.write_text("encoder_embed_dim,latency_mean_encoder\n512,3.0\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"lacks column\(s\) encoder_layer_num, .*latency_mean_decoder"):
        load_latency_csv(path)
    (tmp_path / "empty.csv").write_text(",".join(["a"]) + "\n", encoding="utf-8")
    with pytest.raises(DataError, match="no rows"):
        load_latency_csv(tmp_path / "empty.csv")
    with pytest.raises(DataError, match="does not exist"):
        load_latency_csv(tmp_path / "absent.csv")


def test_arch_column_is_checked(latency_csv: Callable[..., Path]) -> None:
    path = latency_csv(10, with_archs=True)
    with pytest.raises(DataError, match=r"row 2 \(line 3\) column 'arch' is not an arch"):
        load_latency_csv(_edit(path, 2, "arch", "{not json"))
    path = latency_csv(10, with_archs=True, name="mismatch.csv")
    with pytest.raises(DataError, match=r"row 5 \(line 6\) column 'decoder_layer_num' is 7.0 but its arch gives"):
        load_latency_csv(_edit(path, 5, "decoder_layer_num", "7.0"))


def test_artefact_rows_are_dropped(latency_csv: Callable[..., Path]) -> None:
    path = _edit(latency_csv(30), 2, "latency_mean_encoder", "1e6")
    dataset = load_latency_csv(path)
    clean = drop_encoder_artefacts(dataset)
    assert len(clean) == 29 and clean.latency.max() < 1e6


def test_hat_csvs(data_dir: Path) -> None:
    rpi = hat_dataset("raspberrypi")
    clean = drop_encoder_artefacts(rpi)
    assert len(rpi) == 2000 and 100 <= len(rpi) - len(clean) <= 120  # HAT's ~108 artefact rows
    assert hat_dataset("titanxp").encode("hat10").max() <= 1.5  # divided by HAT's feature norm
