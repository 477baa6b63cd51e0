"""Measuring one arch: the driver around a space family's measurement protocol.

The protocol is the family's (:class:`hwnas.contracts.family.MeasurementProtocol`: ``hat`` -> ``hat-mt``, HAT's
encoder + cached beam-5 decoder steps, :mod:`hwnas.families.hat.protocol`; ``gpt`` -> ``lm-forward``, one forward
pass of a ``batch x seq_len`` batch, :mod:`hwnas.families.gpt`); it builds the model and times its phases. This
module does what every protocol shares: the model runs in eval mode under ``torch.inference_mode`` (how a deployed
model runs: no dropout, no autograd bookkeeping; HAT's script times the model in training mode with autograd on),
with fixed threads (one by default on a CPU), in the settings' dtype, and the measurement records peak memory,
energy (where available), the machine's load and the contention during the timed runs
(:mod:`hwnas.hardware.load`), and the device description. A family of one's own brings its protocol with it.
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable

import torch
from torch import nn

from hwnas.contracts.family import MeasurementProtocol, capability
from hwnas.core.arch import Arch
from hwnas.core.space import SearchSpace
from hwnas.hardware.busy import LoadGuard
from hwnas.hardware.device import describe_device, resolve_device, resolve_dtype, set_threads
from hwnas.hardware.load import LoadProbe, between, resolve_probe
from hwnas.hardware.meters import EnergyMeter, PeakMemory
from hwnas.hardware.settings import MeasureSettings
from hwnas.hardware.timing import Measurement, TimedPhase, sum_energy, time_phase

FIRST_REGULAR_TOKEN = 4  # ids 0-3 are pad / unk / bos / eos (hwnas.models.vocab)


def random_tokens(shape: tuple[int, ...], vocab: int, generator: torch.Generator, device: torch.device) -> torch.Tensor:
    """Token ids drawn from the regular vocabulary (no special ids), made on the CPU for reproducibility."""
    return torch.randint(FIRST_REGULAR_TOKEN, vocab, shape, generator=generator).to(device)


def timed(fn: Callable[[], object], settings: MeasureSettings, device: torch.device) -> TimedPhase:
    """One phase of a protocol: the settings' warm-up and timed runs of ``fn``, with energy where readable."""
    energy = EnergyMeter(device)
    return time_phase(fn, device=device, warmup=settings.warmup, runs=settings.runs, energy=energy)


def protocol_for(space: SearchSpace) -> MeasurementProtocol:
    """The measurement protocol of the space's family."""
    protocol: MeasurementProtocol = capability(space, "protocol", "measurement protocol")
    return protocol


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
        built: nn.Module = protocol.build(arch, space)
    model = built.to(dtype=dtype).eval()
    memory.reset_peak()
    probe = resolve_probe(probe)
    before = probe.counters()
    with torch.inference_mode():
        phases: dict[str, TimedPhase] = protocol.run_phases(model, space, settings)
    load = between(probe, before, probe.counters())
    peak = memory.peak_mb()
    del built, model
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
