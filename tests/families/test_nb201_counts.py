"""NAS-Bench-201 analytic counts: pinned to hand-computed values of the CIFAR-10 network, whose extremes are the
published NAS-Bench-201 figures (0.073306 / 1.531546 M params, 7.78305 / 220.11969 MFLOPs on CIFAR-10).

Hand arithmetic (C x C' weights, BN = 2 per channel, MACs = weights x output side^2):
- fixed parts: stem 3*16*9 = 432 + BN 32 = 464 params, 432*1024 = 442,368 MACs; reduction 16->32 (16x16 output)
  4608 + 9216 + 512 = 14,336 weights + 128 BN = 14,464 params, 14,336*256 = 3,670,016 MACs; reduction 32->64 (8x8)
  18,432 + 36,864 + 2,048 = 57,344 weights + 256 BN = 57,600 params, 57,344*64 = 3,670,016 MACs; final BN 128;
  linear 64*10 + 10 = 650 params, 640 MACs. Sum: 73,306 params, 7,783,040 MACs, FLOPs + 10 bias adds = 7,783,050.
- one nor_conv_3x3 edge over the 15 cells: params 5*((2304+32) + (9216+64) + (36864+128)) = 243,040;
  MACs 5*(2304*1024 + 9216*256 + 36864*64) = 5*3*2,359,296 = 35,389,440.
- one nor_conv_1x1 edge over the 15 cells: params 5*((256+32) + (1024+64) + (4096+128)) = 28,000;
  MACs 5*(256*1024 + 1024*256 + 4096*64) = 3,932,160.
"""

from __future__ import annotations

import pytest

from hwnas.contracts.family import family_of
from hwnas.families.nb201 import counts, from_string
from hwnas.metrics import analytic_metrics
from hwnas.spaces import get_space

ALL_CONV3 = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|"
ALL_NONE = "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"
MIXED = "|nor_conv_1x1~0|+|avg_pool_3x3~0|nor_conv_3x3~1|+|skip_connect~0|none~1|nor_conv_1x1~2|"

PINNED = {
    # 73,306 + 6 * 243,040; 7,783,050 + 6 * 35,389,440 (NAS-Bench-201: 1.531546 M, 220.11969 M)
    ALL_CONV3: (1_531_546, 220_119_690),
    # fixed parts only (NAS-Bench-201: 0.073306 M, 7.78305 M)
    ALL_NONE: (73_306, 7_783_050),
    # 73,306 + 243,040 + 2 * 28,000; 7,783,050 + 35,389,440 + 2 * 3,932,160 (pool and skip count nothing)
    MIXED: (372_346, 51_036_810),
}


@pytest.mark.parametrize("text", list(PINNED), ids=["all_conv3x3", "all_none", "mixed"])
def test_counts_match_the_hand_computed_values(text: str) -> None:
    params, flops = PINNED[text]
    got = counts(from_string(text), get_space("nb201"))
    assert got == {"params": params, "params_no_embed": params, "flops": flops, "macs": flops - 10}


def test_counts_are_the_family_capability_behind_analytic_metrics() -> None:
    space = get_space("nb201")
    arch = from_string(MIXED)
    assert family_of(space).counts is counts
    assert analytic_metrics(arch, space)["params"] == 372_346


def test_parameter_free_edges_count_nothing() -> None:
    space = get_space("nb201")
    free = [counts(from_string(ALL_NONE.replace("none", op)), space) for op in ("none", "skip_connect", "avg_pool_3x3")]
    assert free[0] == free[1] == free[2]
