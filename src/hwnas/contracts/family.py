"""`SpaceFamily`: everything hwnas knows about one family of search spaces (``hat``, ``gpt``, ``nb201``, ``fbnet``),
in one module per family under :mod:`hwnas.families`, found by name through :data:`FAMILIES`.

A space names its family in its YAML (``family: hat``). What the family knows:

- **decoding**: the one reader of its genes, an arch -> the family's typed sizes (``SubnetDims`` for ``hat``,
  ``GPTConfig`` for ``gpt``, the op of each edge / layer for ``nb201`` / ``fbnet``); models, counts and graphs are
  built from that, never from genes read a second time;
- **analytic counts** (or None): params / FLOPs / MACs from the arch alone, in the family's reference convention;
- **the measurement protocol** (or None): how one arch is built and timed on a device;
- **the collected-dataset columns** (or None): the family's columns of a latency CSV;
- **the graph encoding** (or None): adjacency + op one-hot rows for GNN predictors, and back.

Low layers (metrics, encodings, models, hardware) reach a family's implementation through :func:`family_of`; the
built-in entries are ``"module:attribute"`` strings, so naming a family is not importing :mod:`hwnas.families`
(which sits above them). Register a family of one's own with ``FAMILIES.register(name, family)`` (e.g. from a
module named in ``HWNAS_PLUGINS``). Types owned by higher layers (torch modules, ``MeasureSettings``, timed phases)
are ``Any`` here: this package imports only :mod:`hwnas.core`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

from hwnas.contracts.registry import Registry
from hwnas.core.arch import Arch
from hwnas.core.errors import UnknownNameError
from hwnas.core.space import SearchSpace

Graph = tuple[np.ndarray, np.ndarray, tuple[str, ...]]
"""``(adjacency [n, n], ops_onehot [n, len(op_names)], op_names)``: node-as-op DAG, ``adjacency[i, j] = 1`` when
node i feeds node j, ``op_names = ("input", <op choices>, "output")``."""

Counter = Callable[[Arch, SearchSpace], dict[str, float]]
"""Analytic counts of a validated arch: at least params, params_no_embed, flops and macs (whole-number floats)."""


class MeasurementProtocol(Protocol):
    """How an arch of one family is built and timed (hardware's driver, :func:`hwnas.hardware.measure_arch`, does
    the device, dtype, threads, memory and load bookkeeping around it)."""

    @property
    def name(self) -> str:
        """Recorded in every measurement's settings and every dataset sidecar (``hat-mt``, ``lm-forward``)."""
        ...

    @property
    def phases(self) -> tuple[str, ...]:
        """The timed phases in order; an arch's latency is their sum. With more than one, each is also reported
        on its own (``latency_<phase>`` metrics and ``latency_<stat>_<phase>`` dataset columns)."""
        ...

    @property
    def required_settings(self) -> tuple[str, ...]:
        """``MeasureSettings`` fields this protocol needs (positive integers), e.g. ``src_len``, ``seq_len``."""
        ...

    def default_settings(self, space: SearchSpace, **overrides: Any) -> Any:
        """The protocol's ``MeasureSettings`` for this space (sizes from its constants); None overrides are unset."""
        ...

    def build(self, arch: Arch, space: SearchSpace) -> Any:
        """The standalone torch model of ``arch`` with random weights, on the current default device."""
        ...

    def run_phases(self, model: Any, space: SearchSpace, settings: Any) -> dict[str, Any]:
        """Time each phase on a built model (already on its device, in its dtype): phase -> ``TimedPhase``."""
        ...


class DatasetLayout(Protocol):
    """The family's columns of a collected latency CSV (hardware appends the columns every file shares)."""

    @property
    def columns(self) -> tuple[str, ...]:
        """In file order: the arch's own columns and the latency statistics of each protocol phase (named
        ``latency_<stat>`` for one phase, ``latency_<stat>_<phase>`` for several; stat: mean, std, median, min)."""
        ...

    def arch_values(self, arch: Arch, space: SearchSpace) -> dict[str, float]:
        """The arch's own columns (e.g. HAT's 10 averaged features, or params and FLOPs)."""
        ...


class GraphEncoding(Protocol):
    """An arch as a graph for GNN latency predictors, and back (the topology is fixed per family)."""

    def to_graph(self, arch: Arch, space: SearchSpace) -> Graph: ...

    def from_graph(self, ops_onehot: np.ndarray, space: SearchSpace) -> Arch: ...


class SpaceFamily(Protocol):
    """What one family knows; a capability the family lacks is None."""

    @property
    def name(self) -> str: ...

    def decode(self, arch: Arch, space: SearchSpace) -> object:
        """The family's typed sizes of an arch valid in ``space`` (raises ``InvalidArchError`` on malformed genes)."""
        ...

    @property
    def counts(self) -> Counter | None: ...

    @property
    def protocol(self) -> MeasurementProtocol | None: ...

    @property
    def dataset(self) -> DatasetLayout | None: ...

    @property
    def graph(self) -> GraphEncoding | None: ...


FAMILIES: Registry[SpaceFamily] = Registry("space family")
FAMILIES.register("hat", "hwnas.families.hat:FAMILY", summary="HAT encoder-decoder MT SubTransformers")
FAMILIES.register("gpt", "hwnas.families.gpt:FAMILY", summary="HW-GPT-Bench decoder-only GPT subnets")
FAMILIES.register("nb201", "hwnas.families.nb201:FAMILY", summary="NAS-Bench-201 cells (6 edge operations)")
FAMILIES.register("fbnet", "hwnas.families.fbnet:FAMILY", summary="FBNet chains (one block type per layer)")


def family_of(space: SearchSpace) -> SpaceFamily:
    """The family a space names; an unregistered one (e.g. ``generic``) raises :class:`UnknownNameError`."""
    return FAMILIES.get(space.family)


def families_with(capability: str) -> list[str]:
    """Names of the registered families whose ``capability`` (counts, protocol, dataset, graph) is not None."""
    return [name for name in FAMILIES.names() if getattr(FAMILIES.get(name), capability) is not None]


def capability(space: SearchSpace, name: str, what: str) -> Any:
    """The family's ``name`` capability for ``space``; a family without it (or no registered family) raises
    :class:`UnknownNameError` naming ``what`` and the families that have it."""
    found = getattr(FAMILIES.get(space.family), name) if space.family in FAMILIES.names() else None
    if found is None:
        raise UnknownNameError(f"{what} for space family", space.family, families_with(name))
    return found


def measurement_protocols() -> dict[str, MeasurementProtocol]:
    """Protocol name -> protocol, over the registered families that have one."""
    found = (FAMILIES.get(name).protocol for name in FAMILIES.names())
    return {protocol.name: protocol for protocol in found if protocol is not None}
