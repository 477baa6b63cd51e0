"""Constrained (multi-)objective architecture search: searchers (ask / tell), evaluators, executors, the one run
loop, the resumable run journal and `SearchResult`. The contracts (Searcher, Evaluator, Record, Executor) and their
registries live in :mod:`hwnas.contracts`; the names below are re-exported for convenience."""

from __future__ import annotations

from hwnas.search.base import Feasibility, FeasibleFn, Rescorable, Searcher, draw_feasible, draw_feasible_many
from hwnas.search.config import SearchConfig, build_config, load_config_file
from hwnas.search.evaluator import (
    AnalyticEvaluator,
    Evaluator,
    Outcome,
    build_evaluator,
    evaluator_names,
    fitness_direction,
    make_evaluator,
    register_evaluator,
)
from hwnas.search.loop import RunOutcome, RunPlan, execute, plan_search, run_search
from hwnas.search.ranking import best_record, pareto_records, rank_records
from hwnas.search.records import Record, Scorer
from hwnas.search.registry import get_searcher_class, register_searcher, searcher_names
from hwnas.search.result import SearchResult
from hwnas.search.rundir import resolve_config
from hwnas.search.schedule import PhaseSpec
from hwnas.search.seeding import SeededSearcher, load_init_archs

__all__ = [
    "AnalyticEvaluator",
    "Evaluator",
    "Feasibility",
    "FeasibleFn",
    "Outcome",
    "PhaseSpec",
    "Record",
    "Rescorable",
    "RunOutcome",
    "RunPlan",
    "Scorer",
    "SearchConfig",
    "SearchResult",
    "Searcher",
    "SeededSearcher",
    "best_record",
    "build_config",
    "build_evaluator",
    "draw_feasible",
    "draw_feasible_many",
    "evaluator_names",
    "execute",
    "fitness_direction",
    "get_searcher_class",
    "load_config_file",
    "load_init_archs",
    "make_evaluator",
    "pareto_records",
    "plan_search",
    "rank_records",
    "register_evaluator",
    "register_searcher",
    "resolve_config",
    "run_search",
    "searcher_names",
]
