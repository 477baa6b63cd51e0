"""GPT analytic metrics against HW-GPT-Bench's DeepSpeed-profiled params / FLOPs / MACs."""

from __future__ import annotations

import csv
import gzip
import itertools
from pathlib import Path

import pytest

from hwnas.metrics import analytic_metrics
from hwnas.spaces import get_space

ROWS_PER_SCALE = 300
BATCH = {"s": 8, "m": 4, "l": 1}  # sequences of 1024 tokens per profiled forward pass


def _rows(data_dir: Path, scale: str) -> list[dict[str, str]]:
    with gzip.open(data_dir / "hwgptbench" / f"hwgpt_{scale}.csv.gz", "rt", newline="") as handle:
        return list(itertools.islice(csv.DictReader(handle), ROWS_PER_SCALE))


@pytest.mark.parametrize("scale", sorted(BATCH))
def test_params_flops_macs_match_deepspeed(data_dir: Path, scale: str) -> None:
    space = get_space(f"gpt-{scale}")
    rows = _rows(data_dir, scale)
    assert {row["bias"] for row in rows} == {"0", "1"}
    for row in rows:
        genes = {
            "embed_dim": int(row["embed_dim"]),
            "n_layer": int(row["n_layer"]),
            "n_head": [int(h) for h in row["n_head"].split("-")],
            "mlp_ratio": [int(r) for r in row["mlp_ratio"].split("-")],
            "bias": row["bias"] == "1",
        }
        metrics = analytic_metrics(space.make(genes), space)
        assert metrics["params"] == int(row["params_ds"]), row["arch_id"]
        assert metrics["macs"] * BATCH[scale] == int(row["macs_ds"]), row["arch_id"]
        assert metrics["flops"] * BATCH[scale] == int(row["flops_ds"]), row["arch_id"]


def test_small_arch_by_hand() -> None:
    """gpt-s smallest without bias: d=192, 10 blocks of 4 heads (H=256), MLP ratio 2 (M=384)."""
    space = get_space("gpt-s")
    arch = space.make({**space.smallest().genes, "bias": False})
    metrics = analytic_metrics(arch, space)
    d, h, m, v, n = 192, 256, 384, 50254, 10
    block = 4 * d * h + 3 * d * m + 4 * d
    assert metrics["params_embed"] == v * d
    assert metrics["params_no_embed"] == n * block + 2 * d + v * d
    with_bias = analytic_metrics(arch.replace(bias=True), space)
    assert with_bias["params"] - metrics["params"] == n * (3 * h + 2 * m + 2 * d)
    assert with_bias["flops"] == metrics["flops"]  # DeepSpeed does not count bias adds
    assert metrics["macs"] == 1024 * (n * (4 * d * h + 3 * d * m) + d * v)
