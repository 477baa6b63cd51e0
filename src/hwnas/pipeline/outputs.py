"""What each pipeline stage hands the later ones: one small frozen dataclass per stage, taken by the later stages as
typed arguments (:func:`hwnas.pipeline.pipeline.run_pipeline` wires them).

Each output is also the stage's ``stage.done`` marker: :meth:`to_marker` gives the JSON written when the stage
finishes, and ``from_marker`` reads it back when a resumed run skips the stage, so a run killed after a stage
goes on with exactly what the stage handed on. Markers written by older hwnas versions read too (keys added since
take their defaults).

A latency budget is a :class:`Budget`: the budget in ms and the constraint the search works under (predicted
latency at most the budget less the safety margin), built once as a :class:`~hwnas.core.objectives.Constraint`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from hwnas.core.objectives import Constraint
from hwnas.hardware.settings import MeasureSettings

LATENCY_METRIC = "latency"  # the search's predicted latency (ms), from its latency-model evaluator
Choice = dict[str, Any]  # a chosen arch: arch_id, arch, predicted_ms, measured_ms, within_budget, ... (JSON-able)


@dataclass(frozen=True)
class Budget:
    """One latency budget (ms) and the constraint the search gets for it."""

    budget_ms: float
    constraint: Constraint

    @classmethod
    def under(cls, budget_ms: float, limit_ms: float) -> Budget:
        return cls(float(budget_ms), Constraint(LATENCY_METRIC, "<=", float(limit_ms)))

    @property
    def limit_ms(self) -> float:
        return self.constraint.value


@dataclass(frozen=True)
class SupernetOutput:
    checkpoint: str
    steps: int | None = None
    last_loss: float | None = None
    reused: bool = False  # a checkpoint trained elsewhere (supernet.checkpoint)

    def to_marker(self) -> dict[str, Any]:
        return {"checkpoint": self.checkpoint, "steps": self.steps, "last_loss": self.last_loss, "reused": self.reused}

    @classmethod
    def from_marker(cls, data: Mapping[str, Any]) -> SupernetOutput:
        return cls(str(data["checkpoint"]), data.get("steps"), data.get("last_loss"), bool(data.get("reused", False)))


@dataclass(frozen=True)
class LatencyOutput:
    """Where latency figures come from: measured here (the CSV and the settings it was measured with), a given
    dataset, or a given predictor file."""

    source: str  # measure | dataset | predictor
    dataset: str | None = None
    predictor_file: str | None = None
    rows: int | None = None
    settings: MeasureSettings | None = None  # measured here: later measurements use the very same settings
    busy_policy: dict[str, Any] | None = None
    largest_ms: float | None = None  # measured here: the reference for budget_fractions and the speed-up goal

    @property
    def measured(self) -> bool:
        return self.source == "measure"

    def to_marker(self) -> dict[str, Any]:
        settings = None if self.settings is None else self.settings.to_dict()
        return {"source": self.source, "dataset": self.dataset, "predictor_file": self.predictor_file,
                "rows": self.rows, "settings": settings, "busy_policy": self.busy_policy,
                "largest_ms": self.largest_ms}  # fmt: skip

    @classmethod
    def from_marker(cls, data: Mapping[str, Any]) -> LatencyOutput:
        settings = data.get("settings")
        return cls(
            source=str(data["source"]),
            dataset=data.get("dataset"),
            predictor_file=data.get("predictor_file"),
            rows=data.get("rows"),
            settings=None if settings is None else MeasureSettings.from_dict(settings),
            busy_policy=data.get("busy_policy"),
            largest_ms=data.get("largest_ms"),
        )


@dataclass(frozen=True)
class PredictorOutput:
    """The latency predictor the search constrains with, its held-out check, the verdict on the latency data, and
    the budgets it resolved (tightest first)."""

    predictor_file: str
    budgets: tuple[Budget, ...]
    latency_margin: float
    check: dict[str, Any] | None = None  # held-out (or in-sample) scores; None for a reused predictor
    latency_reliability: dict[str, Any] | None = None  # Reliability.to_dict()
    predictor: str | None = None  # the fitted model's name and input encoding (None when reused)
    encoding: str | None = None
    predicted_range_ms: tuple[float, float] | None = None  # of the random archs behind quantile budgets
    largest: dict[str, Any] = field(default_factory=dict)  # the largest arch: predicted_ms, measured_ms

    def to_marker(self) -> dict[str, Any]:
        return {
            "predictor_file": self.predictor_file,
            "predictor": self.predictor,
            "encoding": self.encoding,
            "check": self.check,
            "latency_reliability": self.latency_reliability,
            "budgets_ms": [b.budget_ms for b in self.budgets],
            "predicted_range_ms": None if self.predicted_range_ms is None else list(self.predicted_range_ms),
            "largest": self.largest,
            "latency_margin": self.latency_margin,
            "search_limits_ms": [b.limit_ms for b in self.budgets],
        }

    @classmethod
    def from_marker(cls, data: Mapping[str, Any]) -> PredictorOutput:
        budgets = data["budgets_ms"]
        limits = data.get("search_limits_ms") or budgets  # runs made before the safety margin searched at the budget
        span = data.get("predicted_range_ms")
        return cls(
            predictor_file=str(data["predictor_file"]),
            budgets=tuple(Budget.under(b, limit) for b, limit in zip(budgets, limits, strict=True)),
            latency_margin=float(data.get("latency_margin") or 0.0),
            check=data.get("check"),
            latency_reliability=data.get("latency_reliability"),
            predictor=data.get("predictor"),
            encoding=data.get("encoding"),
            predicted_range_ms=None if span is None else (float(span[0]), float(span[1])),
            largest=dict(data.get("largest") or {}),
        )


@dataclass(frozen=True)
class BudgetSearch:
    """One budget's search: its folder and the arch chosen for the budget (None when no arch met it)."""

    budget: Budget
    search_dir: str
    best: Choice | None


@dataclass(frozen=True)
class SearchOutput:
    found: tuple[BudgetSearch, ...]  # one per budget, tightest first

    def to_marker(self) -> dict[str, Any]:
        return {"found": [{"budget_ms": s.budget.budget_ms, "limit_ms": s.budget.limit_ms, "search_dir": s.search_dir,
                           "best": s.best} for s in self.found]}  # fmt: skip

    @classmethod
    def from_marker(cls, data: Mapping[str, Any]) -> SearchOutput:
        found = data["found"]
        return cls(tuple(BudgetSearch(Budget.under(s["budget_ms"], s.get("limit_ms") or s["budget_ms"]),
                                      str(s["search_dir"]), s["best"]) for s in found))  # fmt: skip


@dataclass(frozen=True)
class BaselinesOutput:
    """Each baseline family's candidate table, its choice per budget, and the largest arch as the reference."""

    candidates: dict[str, Any]  # baseline name -> table (rule, what was measured, every candidate)
    per_budget: tuple[dict[str, Any], ...]  # budget_ms, limit_ms, baselines: {name: choice or None}
    reference: Choice | None

    def choices(self) -> list[Choice]:
        """Every arch this stage chose: the reference, then each budget's baselines."""
        found = [self.reference] + [c for item in self.per_budget for c in item["baselines"].values()]
        return [c for c in found if c is not None]

    def to_marker(self) -> dict[str, Any]:
        return {"candidates": self.candidates, "per_budget": list(self.per_budget), "reference": self.reference}

    @classmethod
    def from_marker(cls, data: Mapping[str, Any]) -> BaselinesOutput:
        return cls(dict(data.get("candidates") or {}), tuple(data["per_budget"]), data.get("reference"))


@dataclass(frozen=True)
class RetrainOutput:
    models: dict[str, str]  # arch_id -> its retrained checkpoint

    def to_marker(self) -> dict[str, Any]:
        return {"models": self.models}

    @classmethod
    def from_marker(cls, data: Mapping[str, Any]) -> RetrainOutput:
        return cls(dict(data["models"]))


@dataclass(frozen=True)
class EvaluateOutput:
    results: list[dict[str, Any]]  # one row per budget: the searched model, its baselines, BLEU, latencies
    reference: Choice | None
    goals: dict[str, Any]

    def to_marker(self) -> dict[str, Any]:
        return {"results": self.results, "reference": self.reference, "goals": self.goals}

    @classmethod
    def from_marker(cls, data: Mapping[str, Any]) -> EvaluateOutput:
        return cls(list(data["results"]), data.get("reference"), dict(data.get("goals") or {}))


@dataclass(frozen=True)
class ReportOutput:
    report: str  # the path of report.md

    def to_marker(self) -> dict[str, Any]:
        return {"report": self.report}

    @classmethod
    def from_marker(cls, data: Mapping[str, Any]) -> ReportOutput:
        return cls(str(data["report"]))


@dataclass(frozen=True)
class PipelineOutputs:
    """Every stage's output of one pipeline run (found in the run folder, or made by this call)."""

    supernet: SupernetOutput
    latency: LatencyOutput
    predictor: PredictorOutput
    search: SearchOutput
    baselines: BaselinesOutput
    retrain: RetrainOutput
    evaluate: EvaluateOutput
    report: ReportOutput
