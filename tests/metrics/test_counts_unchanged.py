"""The family dispatcher counts exactly what the per-family counters counted before the counting moved into
hwnas.families: ``analytic_counts_before.jsonl`` holds, for the smallest, the largest and three seeded random archs
of every hat and gpt space, the metrics ``analytic_metrics`` returned at commit dcbca4c (captured before the move).
Floats are compared with ``==`` and the keys as a set, so one changed bit or one lost metric fails."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hwnas.metrics import analytic_metrics
from hwnas.spaces import get_space

BEFORE = Path(__file__).with_name("analytic_counts_before.jsonl")
RECORDS = [json.loads(line) for line in BEFORE.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_the_capture_covers_every_counted_space() -> None:
    assert {r["space"] for r in RECORDS} == {"tiny", "gpt-s", "gpt-m", "gpt-l"} | {
        "hat-iwslt14deen", "hat-wmt14ende", "hat-wmt14ende-wide", "hat-wmt14enfr", "hat-wmt19ende",
    }  # fmt: skip
    assert len(RECORDS) == 9 * 5


@pytest.mark.parametrize("record", RECORDS, ids=lambda r: r["space"])
def test_counts_equal_the_captured_ones_to_the_bit(record: dict[str, object]) -> None:
    space = get_space(str(record["space"]))
    metrics = analytic_metrics(space.make(record["genes"]), space)  # type: ignore[arg-type]
    assert metrics == record["metrics"]
