"""Measurement protocols: how one arch of a space family is built and timed on a device.

- ``hat`` family -> :class:`HatMTProtocol` (HAT's latency protocol). The standalone model of the arch
  (:class:`hwnas.models.TransformerModel`, random weights) encodes one ``src_len``-token sentence (timed: the
  encoder); the encoder output is repeated for ``beam`` hypotheses once (untimed, as in HAT), then one decoder run
  is ``tgt_len`` incremental steps on those hypotheses with the key/value cache, each step including the output
  projection — the calls HAT times, without beam bookkeeping (top-k, reordering), which HAT does not time either.
  Each decoder run starts from a fresh encoder output and a fresh cache, so it does all the work of a translation:
  the concatenated memory of a layer attending to the last k encoder layers and the encoder-decoder keys/values
  are computed at its first step (once per translation, as hwnas's beam search does; HAT concatenates at every
  step) and never carried over from an earlier run.
- ``gpt`` family -> :class:`LMForwardProtocol` (HW-GPT-Bench's setting): one forward pass of a ``batch x seq_len``
  batch through :class:`hwnas.models.gpt.GPTModel`, wall-clock.

Both run the model in eval mode under ``torch.inference_mode`` (how a deployed model runs: no dropout, no autograd
bookkeeping; HAT's script times the model in training mode with autograd on), with fixed threads (one by default
on a CPU), in the settings' dtype, and record peak memory, energy (where available), the machine's load and the
contention during the timed runs (:mod:`hwnas.hardware.load`), and the device description. Register a protocol for
another family in :data:`PROTOCOLS`.
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable
from typing import Any, Protocol

import torch
from torch import nn

from hwnas.core.arch import Arch
from hwnas.core.errors import UnknownNameError
from hwnas.core.space import SearchSpace
from hwnas.hardware.busy import LoadGuard
from hwnas.hardware.device import describe_device, resolve_device, resolve_dtype, set_threads
from hwnas.hardware.load import LoadProbe, between, resolve_probe
from hwnas.hardware.meters import EnergyMeter, PeakMemory
from hwnas.hardware.settings import DEFAULT_CPU_THREADS, HAT_BEAM, HWGPT_BATCH, MeasureSettings
from hwnas.hardware.timing import Measurement, TimedPhase, sum_energy, time_phase

FIRST_REGULAR_TOKEN = 4  # ids 0-3 are pad / unk / bos / eos (hwnas.models.vocab)


class MeasurementProtocol(Protocol):
    name: str

    def default_settings(self, space: SearchSpace, **overrides: Any) -> MeasureSettings:
        """The protocol's settings for this space (sequence lengths from its constants), with overrides."""
        ...

    def build(self, arch: Arch, space: SearchSpace) -> nn.Module:
        """The standalone model of ``arch`` with random weights (on the current default device)."""
        ...

    def run_phases(self, model: nn.Module, space: SearchSpace, settings: MeasureSettings) -> dict[str, TimedPhase]:
        """Time the protocol's phases on a built model (already on its device and in its dtype)."""
        ...


def _tokens(shape: tuple[int, ...], vocab: int, generator: torch.Generator, device: torch.device) -> torch.Tensor:
    return torch.randint(FIRST_REGULAR_TOKEN, vocab, shape, generator=generator).to(device)


def with_defaults(values: dict[str, Any], overrides: dict[str, Any]) -> MeasureSettings:
    """A protocol's values with the given overrides (None = not given), one thread on a CPU unless told."""
    values = {**values, **{k: v for k, v in overrides.items() if v is not None}}
    if values.get("threads") is None and str(values.get("device", "cpu")).startswith("cpu"):
        values["threads"] = DEFAULT_CPU_THREADS
    return MeasureSettings(**values)


def _phase(fn: Callable[[], object], settings: MeasureSettings, device: torch.device) -> TimedPhase:
    energy = EnergyMeter(device)
    return time_phase(fn, device=device, warmup=settings.warmup, runs=settings.runs, energy=energy)


class HatMTProtocol:
    name = "hat-mt"

    def default_settings(self, space: SearchSpace, **overrides: Any) -> MeasureSettings:
        values: dict[str, Any] = {
            "protocol": self.name,
            "src_len": int(space.constants.get("src_len", 30)),
            "tgt_len": int(space.constants.get("tgt_len", 30)),
            "beam": HAT_BEAM,
            "batch": 1,
        }
        return with_defaults(values, overrides)

    def build(self, arch: Arch, space: SearchSpace) -> nn.Module:
        from hwnas.models import TransformerConfig, TransformerModel
        from hwnas.models.subnet import subnet_dims

        space.validate(arch)
        config = TransformerConfig(
            vocab_size=int(space.constants["vocab_size"]),
            dims=subnet_dims(arch, space),
            qkv_dim=int(space.constants.get("qkv_dim", 512)),
        )
        return TransformerModel(config)

    def run_phases(self, model: nn.Module, space: SearchSpace, settings: MeasureSettings) -> dict[str, TimedPhase]:
        from hwnas.models import DECODER_START_ID
        from hwnas.models.encdec import EncoderOut

        assert settings.src_len and settings.tgt_len and settings.beam
        device = next(model.parameters()).device
        vocab = int(space.constants["vocab_size"])
        generator = torch.Generator().manual_seed(settings.seed)
        src = _tokens((settings.batch, settings.src_len), vocab, generator, device)  # [B,S]
        hyps = settings.batch * settings.beam
        prefix = _tokens((hyps, settings.tgt_len), vocab, generator, device)  # [B*beam,T]
        prefix[:, 0] = DECODER_START_ID
        encoder = _phase(lambda: model.encode(src, None), settings, device)  # type: ignore[operator]
        order = torch.arange(settings.batch, device=device).repeat_interleave(settings.beam)  # [B*beam]
        beams = model.encode(src, None).reorder(order)  # type: ignore[operator]

        def decoder_run() -> None:
            enc_out = EncoderOut(beams.states, beams.padding_mask)  # nothing derived from it is carried over
            cache = model.new_cache()  # type: ignore[operator]
            for step in range(settings.tgt_len or 0):
                model.decode_step(prefix[:, : step + 1], enc_out, cache)  # type: ignore[operator]  # [B*beam,V]

        decoder = _phase(decoder_run, settings, device)
        return {"encoder": encoder, "decoder": decoder}


class LMForwardProtocol:
    name = "lm-forward"

    def default_settings(self, space: SearchSpace, **overrides: Any) -> MeasureSettings:
        values: dict[str, Any] = {
            "protocol": self.name,
            "seq_len": int(space.constants.get("block_size", 1024)),
            "batch": HWGPT_BATCH.get(space.name, 1),
        }
        return with_defaults(values, overrides)

    def build(self, arch: Arch, space: SearchSpace) -> nn.Module:
        from hwnas.contracts.family import family_of
        from hwnas.models.gpt import GPTModel

        space.validate(arch)
        return GPTModel(family_of(space).decode(arch, space))  # type: ignore[arg-type]

    def run_phases(self, model: nn.Module, space: SearchSpace, settings: MeasureSettings) -> dict[str, TimedPhase]:
        assert settings.seq_len
        device = next(model.parameters()).device
        generator = torch.Generator().manual_seed(settings.seed)
        vocab = int(space.constants.get("vocab_size", 50254))
        tokens = _tokens((settings.batch, settings.seq_len), vocab, generator, device)  # [B,T]
        return {"forward": _phase(lambda: model(tokens), settings, device)}


PROTOCOLS: dict[str, MeasurementProtocol] = {"hat": HatMTProtocol(), "gpt": LMForwardProtocol()}


def protocol_for(space: SearchSpace) -> MeasurementProtocol:
    """The protocol of the space's family."""
    if space.family not in PROTOCOLS:
        raise UnknownNameError(
            f"measurement protocol for family of space {space.name!r}", space.family, list(PROTOCOLS)
        )
    return PROTOCOLS[space.family]


def measure_arch(
    arch: Arch, space: SearchSpace, settings: MeasureSettings, *, probe: LoadProbe | None = None
) -> Measurement:
    """Build ``arch``'s standalone model on the settings' device and dtype and measure it (see module doc);
    ``probe`` reads the machine's load (default: this machine's)."""
    protocol = protocol_for(space)
    device = resolve_device(settings.device)
    dtype = resolve_dtype(settings.dtype, device)
    threads = set_threads(settings.threads)
    memory = PeakMemory(device)
    gc.collect()
    memory.start()
    torch.manual_seed(settings.seed)
    with torch.device(device):
        model = protocol.build(arch, space)
    model = model.to(dtype=dtype).eval()
    memory.reset_peak()
    probe = resolve_probe(probe)
    before = probe.counters()
    with torch.inference_mode():
        phases = protocol.run_phases(model, space, settings)
    load = between(probe, before, probe.counters())
    peak = memory.peak_mb()
    del model
    return Measurement(
        arch_id=arch.arch_id,
        phases={name: phase.stats for name, phase in phases.items()},
        peak_memory_mb=peak,
        energy_mj=sum_energy(list(phases.values())),
        load_1m=load.load_1m,
        contention=load.others,
        settings=settings,
        device_info=describe_device(device, dtype=settings.dtype, threads=threads),
    )


def measure_guarded(arch: Arch, space: SearchSpace, settings: MeasureSettings, guard: LoadGuard | None) -> Measurement:
    """:func:`measure_arch` on a quiet machine: ``guard`` (default: wait up to 5 minutes, then refuse) checks the
    load first and repeats a measurement taken under contention (:mod:`hwnas.hardware.busy`)."""
    guard = guard or LoadGuard(threads=settings.threads)
    return guard.measure(functools.partial(measure_arch, arch, space, settings, probe=guard.probe))
