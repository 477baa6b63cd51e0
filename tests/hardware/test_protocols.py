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
    assert m.settings.estimator == "min"  # the default: the figure least moved by other processes
    assert m.latency_ms == pytest.approx(m.phases["encoder"].min + m.phases["decoder"].min)
    assert m.latency_by("trimmed-mean") == pytest.approx(m.phases["encoder"].mean + m.phases["decoder"].mean)
    assert m.contention == 0.0 and m.load_1m == 0.0  # the tests' quiet machine (tests/conftest.py)
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


def _spy_timed_calls(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Record, at every encode / decoder step, the model's parameter dtypes and mode, the output dtype and
    whether autograd was off."""
    seen: list[dict[str, Any]] = []
    encode, decode_step = TransformerModel.encode, TransformerModel.decode_step

    def record(self: TransformerModel, phase: str, out: torch.Tensor) -> None:
        seen.append(
            {
                "phase": phase,
                "params": {p.dtype for p in self.parameters()},
                "out": out.dtype,
                "training": self.training,
                "inference_mode": torch.is_inference_mode_enabled(),
            }
        )

    def spy_encode(self: TransformerModel, src: torch.Tensor, mask: Any = None) -> Any:
        out = encode(self, src, mask)
        record(self, "encoder", out.states[0])
        return out

    def spy_step(self: TransformerModel, prev: torch.Tensor, enc: Any, cache: Any) -> torch.Tensor:
        logits = decode_step(self, prev, enc, cache)
        record(self, "decoder", logits)
        return logits

    monkeypatch.setattr(TransformerModel, "encode", spy_encode)
    monkeypatch.setattr(TransformerModel, "decode_step", spy_step)
    return seen


@pytest.mark.parametrize(("dtype", "torch_dtype"), [("bf16", torch.bfloat16), ("fp32", torch.float32)])
def test_timed_runs_use_the_settings_dtype_in_eval_and_inference_mode(
    tiny: SearchSpace, monkeypatch: pytest.MonkeyPatch, dtype: str, torch_dtype: torch.dtype
) -> None:
    """bf16 on CPU: weights and activations really are bf16 while timed (not fp32 labelled bf16), in eval mode
    without autograd (how a deployed model runs), and the record says so."""
    seen = _spy_timed_calls(monkeypatch)
    settings = protocol_for(tiny).default_settings(tiny, threads=1, warmup=1, runs=2, dtype=dtype)
    m = measure_arch(tiny.largest(), tiny, settings)
    assert {call["phase"] for call in seen} == {"encoder", "decoder"} and set(m.phases) == {"encoder", "decoder"}
    assert all(call["params"] == {torch_dtype} and call["out"] == torch_dtype for call in seen)
    assert not any(call["training"] for call in seen) and all(call["inference_mode"] for call in seen)
    assert all(stats.runs == 2 and stats.min > 0 for stats in m.phases.values())
    assert m.settings.dtype == dtype and m.device_info["dtype"] == dtype and m.to_dict()["settings"]["dtype"] == dtype


def test_every_timed_decoder_run_recomputes_the_concatenated_encoder_memory(
    tiny: SearchSpace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A decoder layer attending to the last 2 encoder layers needs cat(states) [B,2S,E]: each decoder run (a
    translation) must compute it, once, instead of reusing the one an earlier run computed."""
    from hwnas.models.encdec import EncoderOut

    arch = tiny.largest()
    assert max(arch.genes["decoder_arbitrary_ende_attn"]) >= 1  # attends to more than the last encoder layer
    memories: list[torch.Tensor] = []  # kept alive, so identities are not reused
    memory = EncoderOut.memory

    def spy_memory(self: EncoderOut, layers: int) -> Any:
        out = memory(self, layers)
        if min(layers, len(self.states)) > 1:
            memories.append(out[0])
        return out

    monkeypatch.setattr(EncoderOut, "memory", spy_memory)
    settings = protocol_for(tiny).default_settings(tiny, threads=1, warmup=1, runs=3)
    measure_arch(arch, tiny, settings)
    per_run = len(memories) // 4  # warm-up + 3 timed runs, same number of lookups each
    runs = [memories[i * per_run : (i + 1) * per_run] for i in range(4)]
    assert per_run >= 12 and len(memories) == 4 * per_run
    assert all(all(t is run[0] for t in run) for run in runs)  # computed once per translation
    assert len({id(run[0]) for run in runs}) == 4  # and anew in every run


def test_protocols_default_to_one_thread_on_cpu(tiny: SearchSpace, tiny_gpt: SearchSpace) -> None:
    for space in (tiny, tiny_gpt):
        assert protocol_for(space).default_settings(space).threads == 1
        assert protocol_for(space).default_settings(space, threads=2).threads == 2


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
    """Order, not time: the two archs are measured in turn three times and each keeps its fastest decoder run, so
    other processes on a shared test machine (which only ever add time) cannot flip the order by one bad stretch."""
    settings = protocol_for(tiny).default_settings(tiny, threads=1, warmup=2, runs=5)
    fastest = {"small": np.inf, "large": np.inf}
    for _ in range(3):
        for name, arch in (("small", tiny.smallest()), ("large", tiny.largest())):
            fastest[name] = min(fastest[name], measure_arch(arch, tiny, settings).phases["decoder"].min)
    assert np.isfinite(fastest["small"]) and fastest["large"] > fastest["small"]
