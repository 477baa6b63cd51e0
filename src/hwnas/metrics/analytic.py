"""Analytic params / FLOPs / MACs of an architecture, from its genes alone (no model is built).

Cheap metrics come first in a search (DESIGN: cheap before expensive): they are exact, instant and deterministic,
so constraints such as ``params<=5e7`` or ``flops<=3e9`` are checked before anything is measured or trained.

Each space family has its own counter, registered in :data:`FAMILY_COUNTERS` (family name -> function). Every
counter returns at least :data:`ANALYTIC_METRICS`; each follows the convention of the reference system that
published numbers for that family, so its figures can be compared with the published ones:

- ``hat`` (:mod:`hwnas.metrics.hat`): HAT / LLM-PP, FLOPs = 2 x torchprofile MACs of one sentence;
- ``gpt`` (:mod:`hwnas.metrics.gpt`): HW-GPT-Bench, DeepSpeed FlopsProfiler counts for one sequence.

Values are Python floats holding whole numbers (exact below 2**53).
"""

from __future__ import annotations

from collections.abc import Callable

from hwnas.core.arch import Arch
from hwnas.core.errors import HwnasError
from hwnas.core.space import SearchSpace
from hwnas.metrics.gpt import gpt_metrics
from hwnas.metrics.hat import hat_metrics

MetricCounter = Callable[[Arch, SearchSpace], dict[str, float]]

ANALYTIC_METRICS: tuple[str, ...] = ("params", "params_no_embed", "flops", "macs")
"""Keys every counter returns: all parameters, parameters without the embedding table, FLOPs and MACs."""

FAMILY_COUNTERS: dict[str, MetricCounter] = {"hat": hat_metrics, "gpt": gpt_metrics}


class UnsupportedFamilyError(HwnasError, ValueError):
    """A space family has no analytic metrics (e.g. cell-based nb201 or fbnet)."""

    def __init__(self, space: str, family: str) -> None:
        self.space, self.family = space, family
        supported = ", ".join(sorted(FAMILY_COUNTERS))
        super().__init__(
            f"space {space!r} (family {family!r}) has no analytic metrics; supported families: {supported}"
        )


def register_family(family: str, counter: MetricCounter) -> None:
    """Add (or replace) the counter of a space family, e.g. for a user's own family of spaces."""
    FAMILY_COUNTERS[family] = counter


def analytic_metrics(arch: Arch, space: SearchSpace) -> dict[str, float]:
    """Params, params without embeddings, FLOPs and MACs of ``arch`` (plus family-specific extras).

    The arch is validated against the space first, so a wrong gene gives an :class:`InvalidArchError` naming it.
    """
    counter = FAMILY_COUNTERS.get(space.family)
    if counter is None:
        raise UnsupportedFamilyError(space.name, space.family)
    space.validate(arch)
    metrics = counter(arch, space)
    missing = [k for k in ANALYTIC_METRICS if k not in metrics]
    assert not missing, f"counter for family {space.family!r} did not return {missing}"
    return metrics
