"""Latency in search: two evaluators for the search registry.

- ``latency``: measured on a device, arch by arch, with the space family's protocol (HAT's for MT), through a
  :class:`~hwnas.hardware.busy.LoadGuard` (waits on a busy machine). Honest but slow (seconds per arch on a CPU),
  so it is not cheap: for small searches, or to check a final front.
- ``latency-model``: predicted by a saved latency predictor (``--latency-model PATH``), or, without one, by the
  default predictor shipped with the embedded dataset of the space and device. Microseconds per arch, so it is
  *cheap*: ``--constraint 'latency<=150'`` is checked before anything expensive, and searchers redraw candidates
  that break it (HAT's latency-constrained evolution).

Both report ``latency`` in milliseconds (encoder + decoder for MT, one forward pass for GPT).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from hwnas.contracts.predictor import DeviceId, Predictor
from hwnas.core.arch import Arch
from hwnas.core.errors import DataError
from hwnas.core.space import SearchSpace
from hwnas.hardware.busy import LoadGuard


def auto_device(device: str | None) -> str:
    """``auto`` (or None) -> cuda when torch sees one, else cpu."""
    if device and device != "auto":
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


class MeasuredLatencyEvaluator:
    """Measures each arch (standalone model, random weights) with the family's protocol on ``device``; latency is
    the settings' estimator (the minimum of the timed runs by default)."""

    cheap = False

    def __init__(
        self,
        space: SearchSpace,
        *,
        device: str | None = None,
        threads: int | None = None,
        warmup: int = 3,
        runs: int = 10,
        dtype: str = "fp32",
        guard: LoadGuard | None = None,
    ) -> None:
        from hwnas.hardware.protocols import protocol_for

        self.space = space
        protocol = protocol_for(space)
        self.settings = protocol.default_settings(
            space, device=auto_device(device), threads=threads, warmup=warmup, runs=runs, dtype=dtype
        )
        # a protocol timing several phases (HAT's encoder and decoder) also reports each one
        phases = tuple(f"latency_{p}" for p in protocol.phases) if len(protocol.phases) > 1 else ()
        self.metrics: tuple[str, ...] = ("latency", *phases, "peak_memory_mb")
        self.guard = guard or LoadGuard(threads=self.settings.threads)  # one guard: quiet looks are reused

    def evaluate(self, archs: Sequence[Arch]) -> list[dict[str, float]]:
        from hwnas.hardware.protocols import measure_guarded

        results = []
        estimator = self.settings.estimator
        for arch in archs:
            m = measure_guarded(arch, self.space, self.settings, self.guard)
            peak = float("nan") if m.peak_memory_mb is None else m.peak_memory_mb
            values = {"latency": m.latency_ms, "peak_memory_mb": peak}
            if len(m.phases) > 1:
                values.update({f"latency_{n}": s.estimate(estimator) for n, s in m.phases.items()})
            results.append(values)
        return results


def _load_predictor(path: Path, space: SearchSpace) -> Predictor:
    """The arch-level predictor saved at ``path``, bound to the evaluator's space."""
    if not path.exists():
        raise DataError(f"latency model {str(path)!r} does not exist; fit one with `hwnas latency fit`")
    from hwnas.predictors import load_predictor

    return load_predictor(path, space=space)


def default_predictor_path(space: SearchSpace, device: str | None) -> Path:
    """The predictor shipped for (space, device id). ``device`` is ``auto`` (this machine's kind), a kind (``cpu``,
    ``cuda``, ``cuda:N``) or ``kind/hardware`` (e.g. ``cpu/AMD EPYC``); without hardware, one measured on this
    machine's own hardware comes first, then any of the kind. None shipped: an UnknownNameError listing those that
    are."""
    from hwnas.hardware.device import this_device_id
    from hwnas.hardware.embedded import shipped_predictor

    wanted = DeviceId.parse(auto_device(device))
    preferred = (this_device_id(wanted.kind), wanted) if wanted.hardware is None else (wanted,)
    return shipped_predictor(space.name, preferred)


class PredictedLatencyEvaluator:
    """``latency`` from a saved predictor: cheap, so latency constraints filter candidates before evaluation."""

    cheap = True
    metrics: tuple[str, ...] = ("latency",)

    def __init__(self, space: SearchSpace, *, predictor: Predictor) -> None:
        self.space, self.predictor = space, predictor

    @classmethod
    def from_path(cls, space: SearchSpace, path: str | Path) -> PredictedLatencyEvaluator:
        return cls(space, predictor=_load_predictor(Path(path), space))

    def evaluate(self, archs: Sequence[Arch]) -> list[dict[str, float]]:
        if not archs:
            return []
        for arch in archs:
            self.space.validate(arch)
        return [{"latency": float(v)} for v in self.predictor.predict(archs)]


def make_latency_model_evaluator(
    space: SearchSpace, *, latency_model: str | None = None, device: str | None = None
) -> PredictedLatencyEvaluator:
    """The ``latency-model`` evaluator (registered by :mod:`hwnas.hardware.components`) for a model file, or the
    shipped predictor of the space and ``device``."""
    path = Path(latency_model) if latency_model else default_predictor_path(space, device or "auto")
    return PredictedLatencyEvaluator.from_path(space, path)
