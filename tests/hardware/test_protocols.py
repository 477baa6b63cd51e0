"""Measurement protocols on tiny archs on CPU: what is timed, the stats, and the provenance of each record."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

from hwnas.core.space import SearchSpace
from hwnas.hardware.protocols import measure_arch, protocol_for
from hwnas.hardware.settings import MeasureSettings
from hwnas.models import TransformerModel


def _check_stats(stats: Any, runs: int) -> None:
    assert stats.runs == runs
    assert 0 < stats.min <= stats.median
    assert stats.min <= stats.mean and stats.std >= 0


def test_hat_protocol_times_encoder_and_decoder_with_provenance(tiny: SearchSpace, fast_settings: MeasureSettings):
    arch = tiny.largest()
    m = measure_arch(arch, tiny, fast_settings)
    assert set(m.phases) == {"encoder", "decoder"}
    for stats in m.phases.values():
        _check_stats(stats, runs=3)
    assert m.latency_ms == pytest.approx(m.phases["encoder"].mean + m.phases["decoder"].mean)
    assert m.phases["decoder"].mean > m.phases["encoder"].mean  # 12 steps x 5 hypotheses vs one pass
    assert m.peak_memory_mb is None or m.peak_memory_mb >= 0
    assert m.energy_mj is None  # no energy counter on a CPU
    record = m.to_dict()
    assert record["arch_id"] == arch.arch_id
    assert record["settings"]["src_len"] == 12 and record["settings"]["beam"] == 5
    assert record["device_info"]["threads"] == 1 and torch.get_num_threads() == 1
    assert record["device_info"]["torch"] == torch.__version__ and record["device_info"]["dtype"] == "fp32"


def test_hat_protocol_runs_beam_hypotheses_through_cached_incremental_steps(
    tiny: SearchSpace, fast_settings: MeasureSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[str, tuple[int, ...], int]] = []
    encode, decode_step = TransformerModel.encode, TransformerModel.decode_step

    def spy_encode(self: TransformerModel, src: torch.Tensor, mask: Any = None) -> Any:
        calls.append(("encode", tuple(src.shape), 0))
        return encode(self, src, mask)

    def spy_step(self: TransformerModel, prev: torch.Tensor, enc: Any, cache: Any) -> torch.Tensor:
        assert cache is not None, "decoder steps must use the key/value cache"
        logits = decode_step(self, prev, enc, cache)
        calls.append(("step", tuple(prev.shape), cache.length))
        return logits

    monkeypatch.setattr(TransformerModel, "encode", spy_encode)
    monkeypatch.setattr(TransformerModel, "decode_step", spy_step)
    measure_arch(tiny.smallest(), tiny, fast_settings)
    encodes = [c for c in calls if c[0] == "encode"]
    steps = [c for c in calls if c[0] == "step"]
    assert len(encodes) == 4 + 1 and all(shape == (1, 12) for _, shape, _ in encodes)  # warm-up + runs + 1 for beams
    assert len(steps) == 4 * 12  # (warm-up + runs) decoder runs of tgt_len steps
    assert [shape for _, shape, _ in steps[:12]] == [(5, t + 1) for t in range(12)]
    assert [length for _, _, length in steps[:12]] == list(range(1, 13))  # one new position cached per step


def test_hat_protocol_in_bf16(tiny: SearchSpace) -> None:
    settings = protocol_for(tiny).default_settings(tiny, threads=1, warmup=0, runs=2, dtype="bf16")
    m = measure_arch(tiny.smallest(), tiny, settings)
    assert m.latency_ms > 0 and m.device_info["dtype"] == "bf16"


def test_lm_forward_protocol_on_a_tiny_gpt(tiny_gpt: SearchSpace) -> None:
    settings = protocol_for(tiny_gpt).default_settings(tiny_gpt, threads=1, warmup=1, runs=4, batch=2)
    assert settings.protocol == "lm-forward" and settings.seq_len == 16
    m = measure_arch(tiny_gpt.largest(), tiny_gpt, settings)
    assert set(m.phases) == {"forward"}
    _check_stats(m.phases["forward"], runs=4)
    assert m.to_dict()["settings"]["batch"] == 2


def test_hw_gpt_bench_batches_are_the_defaults() -> None:
    from hwnas.spaces import get_space

    batches = {}
    for name in ("gpt-s", "gpt-m", "gpt-l"):
        space = get_space(name)
        settings = protocol_for(space).default_settings(space)
        batches[name] = (settings.batch, settings.seq_len)
    assert batches == {"gpt-s": (8, 1024), "gpt-m": (4, 1024), "gpt-l": (1, 1024)}


def test_bigger_archs_measure_slower(tiny: SearchSpace) -> None:
    settings = protocol_for(tiny).default_settings(tiny, threads=1, warmup=2, runs=5)
    small = measure_arch(tiny.smallest(), tiny, settings).phases["decoder"].min
    large = measure_arch(tiny.largest(), tiny, settings).phases["decoder"].min
    assert np.isfinite(small) and large > small
