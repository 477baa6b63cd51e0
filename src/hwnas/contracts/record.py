"""The record contract: what the run loop tells searchers about one evaluated arch, and what results are built from.

A record is plain data (an arch, its metrics, a status and the objectives in minimisation form), so searchers,
rankings and reports written against it never depend on how the metrics were produced.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, TypeAlias

from hwnas.core.arch import Arch

Status: TypeAlias = Literal["ok", "infeasible", "failed"]


@dataclass(frozen=True)
class Record:
    """An evaluated arch. ``objectives`` are in minimisation form (inf when unavailable); ``violation`` is 0 when
    every constraint is met; ``error`` says why a failed record failed. Searchers rank records with
    :func:`hwnas.search.ranking.rank_records`."""

    arch: Arch
    metrics: Mapping[str, float]
    status: Status
    objectives: tuple[float, ...]
    violation: float
    error: str | None = None

    @property
    def feasible(self) -> bool:
        return self.status == "ok"
