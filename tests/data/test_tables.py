"""Benchmark table loaders: HAT latency CSVs, LLM-PP seed archs, HW-GPT-Bench, NASFLAT proxies."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from hwnas.core.errors import DataError, UnknownNameError
from hwnas.data.hwgpt_table import load_hwgptbench, read_hwgptbench_csv
from hwnas.data.tables import (
    HAT_FEATURES,
    HAT_TARGETS,
    load_hat_latency,
    load_hat_latency_csv,
    load_llmpp_seedarchs,
    load_nasflat_zcp,
)

ROW = "640,6,1877.3,5.3,512,6,1536.0,4.6,4.3,-1.0,5.8,246.4,0.05,10.6"


def _hat_csv(tmp_path: Path, *rows: str, header: tuple[str, ...] = HAT_FEATURES + HAT_TARGETS) -> Path:
    path = tmp_path / "hat.csv"
    path.write_text("\n".join([",".join(header), *rows]) + "\n")
    return path


def test_hat_csv_parses_features_and_target(tmp_path: Path) -> None:
    table = load_hat_latency_csv(_hat_csv(tmp_path, ROW, ROW.replace("5.8,", "7.0,")))
    assert len(table) == 2 and table.features.shape == (2, 10)
    assert table.features[0, 9] == -1.0  # arbitrary-attention average may be negative; only latency must be > 0
    assert table.latency.tolist() == pytest.approx([5.8 + 246.4, 7.0 + 246.4])


def test_hat_csv_rejects_missing_columns(tmp_path: Path) -> None:
    path = _hat_csv(tmp_path, ROW, header=(*HAT_FEATURES, *HAT_TARGETS[:-1]))
    with pytest.raises(DataError, match="lacks column\\(s\\) latency_std_decoder"):
        load_hat_latency_csv(path)


@pytest.mark.parametrize(
    ("cell", "column"), [("nan", "latency_mean_encoder"), ("0", "latency_mean_encoder"), ("-3", "latency_mean_encoder")]
)
def test_hat_csv_rejects_bad_latency_naming_row_and_column(tmp_path: Path, cell: str, column: str) -> None:
    path = _hat_csv(tmp_path, ROW, ROW.replace("5.8,", f"{cell},"))
    with pytest.raises(DataError, match=rf"row 2 \(line 3\) column '{column}' is '{cell}'"):
        load_hat_latency_csv(path)


def test_hat_csv_rejects_text_in_a_feature(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"row 1 .*'encoder_embed_dim' is 'big'"):
        load_hat_latency_csv(_hat_csv(tmp_path, ROW.replace("640,", "big,", 1)))


def test_real_hat_tables(data_dir: Path) -> None:
    gpu = load_hat_latency("titanxp")
    assert len(gpu) == 2000
    assert gpu.features[0].tolist()[:2] == [640.0, 6.0]
    assert gpu.latency[0] == pytest.approx(5.8006539940834045 + 246.40701866149902)
    rpi = load_hat_latency("raspberrypi")
    assert np.median(rpi.latency_mean_encoder[:200]) > 3 * np.median(rpi.latency_mean_encoder[200:])  # README quirk
    with pytest.raises(UnknownNameError, match="known: raspberrypi, titanxp, xeon"):
        load_hat_latency("jetson")


def test_llmpp_seedarchs(data_dir: Path) -> None:
    train = load_llmpp_seedarchs(123, "wmt14ende", "train")
    test = load_llmpp_seedarchs(123, "wmt14ende", "test")
    assert (len(train), len(test)) == (10, 20)
    first = test[0]["scratch"]
    assert first["valid_BLEU"] == 24.65 and first["total_flops"] == 2409953448
    assert len(first["arch_info"]) == 10 and "sockeye_dir" not in first
    archs = {tuple(r["scratch"]["arch_info"]) for r in train + test}
    other_seed = {
        tuple(r["scratch"]["arch_info"]) for s in ("train", "test") for r in load_llmpp_seedarchs(789, "wmt14ende", s)
    }
    assert len(archs) == 30 and archs == other_seed  # same 30 archs, different 10/20 split
    with pytest.raises(UnknownNameError, match="known: 123, 456, 789"):
        load_llmpp_seedarchs(1, "wmt14ende", "train")


def test_hwgptbench_synthetic_parse(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text(
        "arch_id,embed_dim,n_layer,n_head,mlp_ratio,bias,lat_ms_h100_mean,ppl_owt\n3,192,2,4-8,2-4,1,1.5,\n"
    )
    table = read_hwgptbench_csv(path, scale="s")
    assert table.arch(0) == {"embed_dim": 192, "n_layer": 2, "n_head": [4, 8], "mlp_ratio": [2, 4], "bias": True}
    assert table.column("lat_ms_h100_mean").tolist() == [1.5]
    assert math.isnan(table.column("ppl_owt")[0])
    assert table.latency_devices == ["h100"]
    with pytest.raises(UnknownNameError, match="lat_ms_h100_mean"):
        table.column("lat_ms_h200_mean")
    path.write_text("arch_id,embed_dim,n_layer,n_head,mlp_ratio,bias\n3,192,2,4-8-8,2-4,1\n")
    with pytest.raises(DataError, match="line 2 column 'n_head' is '4-8-8'; need 2"):
        read_hwgptbench_csv(path)


def test_real_hwgptbench(data_dir: Path) -> None:
    table = load_hwgptbench("s")
    assert len(table) == 8000 and len(table.metrics) == 99
    assert table.arch(0) == {
        "embed_dim": 768,
        "n_layer": 10,
        "n_head": [4, 12, 12, 4, 4, 12, 12, 8, 4, 12],
        "mlp_ratio": [2, 2, 4, 4, 3, 3, 3, 4, 4, 2],
        "bias": False,
    }
    assert table.column("lat_ms_a100_mean")[0] == pytest.approx(23.6405)
    assert all(len(h) == n for h, n in zip(table.n_head, table.n_layer, strict=True))
    assert np.isnan(table.column("lat_ms_cpu_amd_7513_std")).all()  # 1 repetition: no spread (README)
    assert len(table.latency_devices) == 14
    with pytest.raises(UnknownNameError, match="known: l, m, s"):
        load_hwgptbench("xl")


def test_nasflat_keys_are_the_help_fbnet_archs(data_dir: Path) -> None:
    from hwnas.data.help_pt import load_help_archs

    proxies = load_nasflat_zcp()
    assert len(proxies) == 5000
    assert set(proxies) == {tuple(a) for a in load_help_archs("fbnet")}
    assert len(next(iter(proxies.values()))) == 13
