"""Analytic params / FLOPs / MACs of an architecture, from its genes alone (no model is built).

Cheap metrics come first in a search (DESIGN: cheap before expensive): they are exact, instant and deterministic,
so constraints such as ``params<=5e7`` or ``flops<=3e9`` are checked before anything is measured or trained.

The counting is the space family's (:class:`hwnas.contracts.family.SpaceFamily` ``counts``, found by name in
:data:`~hwnas.contracts.family.FAMILIES`); this module dispatches to it and checks the result. Every family's
counter returns at least :data:`ANALYTIC_METRICS`, each in the convention of the reference system that published
numbers for that family, so its figures can be compared with the published ones:

- ``hat`` (:mod:`hwnas.families.hat.counts`): HAT / LLM-PP, FLOPs = 2 x torchprofile MACs of one sentence;
- ``gpt`` (:mod:`hwnas.families.gpt`): HW-GPT-Bench, DeepSpeed FlopsProfiler counts for one sequence;
- ``nb201`` (:mod:`hwnas.families.nb201`): NAS-Bench-201's CIFAR-10 network, FLOPs as NAS-Bench-201 reports them
  (conv and linear multiply-accumulates);
- ``fbnet`` (:mod:`hwnas.families.fbnet`): the CIFAR-100 FBNet network of HW-NAS-Bench / NASFLAT, FLOPs as
  NASFLAT's proxy file counts them (ptflops-style).

FLOPs of different families follow different conventions, so compare them within a family only.

Values are Python floats holding whole numbers (exact below 2**53).
"""

from __future__ import annotations

from hwnas.contracts.family import FAMILIES, Counter, SpaceFamily, families_with
from hwnas.core.arch import Arch
from hwnas.core.errors import HwnasError
from hwnas.core.space import SearchSpace

MetricCounter = Counter

ANALYTIC_METRICS: tuple[str, ...] = ("params", "params_no_embed", "flops", "macs")
"""Keys every counter returns: all parameters, parameters without the embedding table, FLOPs and MACs."""


class UnsupportedFamilyError(HwnasError, ValueError):
    """A space family has no analytic metrics (a family registered without counts)."""

    def __init__(self, space: str, family: str) -> None:
        self.space, self.family = space, family
        supported = ", ".join(counted_families())
        super().__init__(
            f"space {space!r} (family {family!r}) has no analytic metrics; supported families: {supported}"
        )


def counted_families() -> list[str]:
    """The registered families that have analytic counts."""
    return families_with("counts")


def register_family(family: SpaceFamily) -> None:
    """Add (or replace) a space family, e.g. a user's own family of spaces with its counter (same as
    ``FAMILIES.register(family.name, family)``)."""
    FAMILIES.register(family.name, family)


def _counter(space: SearchSpace) -> Counter:
    counter = FAMILIES.get(space.family).counts if space.family in FAMILIES.names() else None
    if counter is None:
        raise UnsupportedFamilyError(space.name, space.family)
    return counter


def analytic_metrics(arch: Arch, space: SearchSpace) -> dict[str, float]:
    """Params, params without embeddings, FLOPs and MACs of ``arch`` (plus family-specific extras).

    The arch is validated against the space first, so a wrong gene gives an :class:`InvalidArchError` naming it.
    """
    counter = _counter(space)
    space.validate(arch)
    metrics = counter(arch, space)
    missing = [k for k in ANALYTIC_METRICS if k not in metrics]
    assert not missing, f"counter for family {space.family!r} did not return {missing}"
    return metrics
