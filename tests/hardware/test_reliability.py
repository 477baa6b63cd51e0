"""The verdict on latency data: noise is called noise (held-out error, order against FLOPs, the largest arch
measured fast, a busy machine), quiet data passes, and nothing measured is 'not assessed'."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np

from hwnas.core.space import SearchSpace
from hwnas.hardware.collector import collect
from hwnas.hardware.dataset_files import read_latency_dataset, sidecar_path
from hwnas.hardware.reliability import assess, assess_dataset, row_busy_shares
from hwnas.hardware.settings import MeasureSettings

FLOPS = np.arange(1.0, 21.0)


def test_quiet_data_is_reliable() -> None:
    verdict = assess(latency_ms=FLOPS * 2 + 1, flops=FLOPS, busy_share=[0.02] * 20, heldout_mape=0.04, largest_ms=45)
    assert verdict.reliable is True and verdict.reasons == ()
    assert verdict.figures["spearman_latency_flops"] == 1.0
    assert verdict.sentence().startswith("latency data: no sign of noise")


def test_the_busy_quickstart_is_called_unreliable_with_every_reason() -> None:
    rng = np.random.default_rng(0)
    noise = rng.permutation(FLOPS)  # latency unrelated to cost, as on the busy 2-core machine
    verdict = assess(latency_ms=noise, flops=FLOPS, busy_share=[1.0] * 20, heldout_mape=0.71, largest_ms=3.0)
    assert verdict.reliable is False and len(verdict.reasons) == 4
    line = verdict.sentence()
    assert line.startswith("latency data UNRELIABLE: the predictor's held-out MAPE is 71% (limit 20%)")
    assert "unlike their FLOPs" in line and "largest arch was measured faster" in line and "100% of the CPU" in line
    assert "not assessable" in line and "\n" not in line


def test_each_sign_alone_is_enough_and_nothing_measured_is_not_assessed() -> None:
    good = {"latency_ms": FLOPS, "flops": FLOPS}
    assert assess(**good, heldout_mape=0.25).reliable is False
    assert assess(**good, largest_ms=5.0).reliable is False  # median arch 10.5 ms
    assert assess(**good, busy_share=[0.5, np.nan, 0.6]).reliable is False
    assert assess(latency_ms=FLOPS[::-1], flops=FLOPS).reliable is False
    assert assess(latency_ms=[3.0, 1.0, 2.0], flops=[1.0, 2.0, 3.0]).figures["spearman_latency_flops"] is None
    assert assess(latency_ms=[], flops=[]).reliable is None


def test_rows_before_contention_was_recorded_are_judged_by_their_load_average() -> None:
    rows = [{"contention": "0.1", "load_1m": "6.0"}, {"contention": "", "load_1m": "6.2"}, {"load_1m": ""}]
    shares = row_busy_shares(rows, cores=2, threads=1)
    assert shares[0] == 0.1 and shares[1] == (6.2 - 1) / 2 and np.isnan(shares[2])


def test_a_collected_dataset_is_judged_from_its_rows(
    tiny: SearchSpace, fast_settings: MeasureSettings, tmp_path: Path
) -> None:
    out = tmp_path / "lat.csv"
    collect(tiny, settings=fast_settings, n=3, out=out)
    verdict = assess_dataset(out, tiny, heldout_mape=0.05)
    assert verdict.figures["median_busy_share"] == 0.0 and verdict.figures["heldout_mape"] == 0.05
    rows = read_latency_dataset(out).rows
    with out.open("w", encoding="utf-8", newline="") as handle:  # the same rows, timed on a busy machine
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows({**row, "contention": "0.9"} for row in rows)
    busy = assess_dataset(out, tiny)
    assert busy.reliable is False and busy.figures["median_busy_share"] == 0.9
    sidecar_path(out).write_text(json.dumps({"format": "not-ours"}))
    assert assess_dataset(out, tiny, heldout_mape=0.5).reasons[0].startswith("the predictor's held-out MAPE")


def test_the_docs_state_the_limits_the_code_uses() -> None:
    from hwnas.hardware.busy import DEFAULT_MAX_LOAD, DEFAULT_MAX_WAIT_S, MAX_REMEASURES
    from hwnas.hardware.reliability import MAX_HELDOUT_MAPE, MIN_COST_SPEARMAN

    text = (Path(__file__).resolve().parents[2] / "docs" / "latency.md").read_text(encoding="utf-8")
    assert f"| `--max-load` | {DEFAULT_MAX_LOAD} |" in text and f"| `--max-wait` | {DEFAULT_MAX_WAIT_S:.0f} |" in text
    assert f"(at most {MAX_REMEASURES} times)" in text
    assert f"held-out MAPE is above {MAX_HELDOUT_MAPE:.0%}" in text and f"(Spearman below {MIN_COST_SPEARMAN})" in text
    assert f"more than {DEFAULT_MAX_LOAD:.0%} of the CPU busy elsewhere" in text
