"""What the run loop tells searchers: one :class:`~hwnas.contracts.record.Record` per arch (the contract, re-exported
here), built from an evaluation outcome by a `Scorer`."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from hwnas.contracts.record import Record, Status
from hwnas.core.arch import Arch
from hwnas.core.objectives import Constraint, Objective, total_violation

__all__ = ["Record", "Scorer", "Status"]


@dataclass(frozen=True)
class Scorer:
    """Turns raw metrics into a :class:`Record` for a fixed set of objectives and constraints."""

    objectives: tuple[Objective, ...]
    constraints: tuple[Constraint, ...] = field(default_factory=tuple)

    def record(self, arch: Arch, metrics: Mapping[str, float], error: str | None = None) -> Record:
        clean = {k: float(v) for k, v in metrics.items()}
        if error is None:
            error = self._missing_or_nan(clean)
        if error is not None:
            inf = (math.inf,) * len(self.objectives)
            return Record(arch, clean, "failed", inf, math.inf, error)
        values = tuple(o.to_min(clean[o.metric]) for o in self.objectives)
        violation = total_violation(self.constraints, clean)
        return Record(arch, clean, "ok" if violation == 0 else "infeasible", values, violation)

    def unevaluated(self, arch: Arch, metrics: Mapping[str, float]) -> Record:
        """An arch rejected on its cheap metrics before the expensive evaluation: infeasible by construction."""
        clean = {k: float(v) for k, v in metrics.items()}
        values = tuple(o.to_min(clean[o.metric]) if o.metric in clean else math.inf for o in self.objectives)
        known = [c for c in self.constraints if c.metric in clean]
        return Record(arch, clean, "infeasible", values, max(total_violation(known, clean), 1e-12))

    def _missing_or_nan(self, metrics: Mapping[str, float]) -> str | None:
        needed = [o.metric for o in self.objectives] + [c.metric for c in self.constraints]
        for name in needed:
            if name not in metrics:
                return f"metric {name!r} missing from the evaluation (got {sorted(metrics)})"
            if math.isnan(metrics[name]):
                return f"metric {name!r} is NaN"
        return None
