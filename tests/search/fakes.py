"""Test doubles for the search tests: a known objective on genes, a cheap gene constraint, and a counting
evaluator that can be told to fail, so loop behaviour is checked without depending on real metrics."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from hwnas.core.arch import Arch
from hwnas.core.objectives import Constraint, Objective
from hwnas.search.records import Record, Scorer


def width(arch: Arch) -> float:
    """A known objective: total FFN width plus embedding sizes (maximised by the space's largest arch)."""
    return float(
        sum(arch["encoder_ffn_embed_dim"])  # type: ignore[arg-type]
        + sum(arch["decoder_ffn_embed_dim"])  # type: ignore[arg-type]
        + arch["encoder_embed_dim"]  # type: ignore[operator]
        + arch["decoder_embed_dim"]
    )


def small_decoder(arch: Arch) -> bool:
    """A cheap constraint on genes alone: at most 2 decoder layers and a 512 encoder."""
    return arch["decoder_layer_num"] <= 2 and arch["encoder_embed_dim"] == 512  # type: ignore[operator]


def score(archs: Sequence[Arch], constraints: tuple[Constraint, ...] = ()) -> list[Record]:
    scorer = Scorer((Objective("width", "max"),), constraints)
    return [scorer.record(a, {"width": width(a), "layers": float(a["decoder_layer_num"])}) for a in archs]  # type: ignore[arg-type]


class CountingEvaluator:
    """Metrics ``width`` and ``layers`` (decoder layers); raises for archs ``fails`` accepts; records every arch it
    returned metrics for, so tests can check that nothing is evaluated twice."""

    metrics = ("width", "layers")
    cheap = False

    def __init__(self, fails: Callable[[Arch], bool] = lambda arch: False) -> None:
        self.fails = fails
        self.returned: list[str] = []
        self.calls = 0

    def evaluate(self, archs: Sequence[Arch]) -> list[dict[str, float]]:
        self.calls += 1
        for arch in archs:
            if self.fails(arch):
                raise RuntimeError(f"cannot evaluate {arch.arch_id}")
        self.returned.extend(a.arch_id for a in archs)
        return [{"width": width(a), "layers": float(a["decoder_layer_num"])} for a in archs]  # type: ignore[arg-type]


class WidthEvaluator:
    """Reports ``width`` under the name ``metric`` with ``fitness_direction`` ``direction``: two of them with
    opposite directions make a fitness schedule whose phases pull the search opposite ways, so which phase ranked
    what is visible in the result. Records every arch it evaluated, in order."""

    cheap = True

    def __init__(self, metric: str, direction: str) -> None:
        self.metrics = (metric,)
        self.fitness_direction = direction
        self.returned: list[str] = []

    def evaluate(self, archs: Sequence[Arch]) -> list[dict[str, float]]:
        self.returned.extend(a.arch_id for a in archs)
        return [{self.metrics[0]: width(a)} for a in archs]
