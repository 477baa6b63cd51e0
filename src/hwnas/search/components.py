"""What the search package implements, registered by name: the searchers (evolution, evolution-rs, random, local,
pareto-local, nsga2, morea, ehvi; lm-searcher, implemented in :mod:`hwnas.llm.lm_searcher`),
the ``analytic`` evaluator and the executors (serial, process, ray). The registries (in :mod:`hwnas.contracts`) import
this module on their first read; entries are ``"module:attribute"`` strings, so nothing is imported until asked for."""

from __future__ import annotations

from hwnas.contracts.evaluator import EVALUATORS
from hwnas.contracts.executor import EXECUTORS
from hwnas.contracts.searcher import SEARCHERS

SEARCHERS.register(
    "evolution",
    "hwnas.search.evolution:EvolutionSearcher",
    options="hwnas.search.evolution:EvolutionOptions",
    summary="HAT's evolutionary search: the best parents kept, mutants and crossover children (constraint-aware)",
)
SEARCHERS.register(
    "evolution-rs",
    "hwnas.search.evolution:EvolutionSearcher",
    options="hwnas.search.evolution:ScalarisedEvolutionOptions",
    summary="HAT's evolution keeping parents by random scalarisations (one random weight vector per parent slot)",
)
SEARCHERS.register(
    "random",
    "hwnas.search.random_search:RandomSearcher",
    summary="uniform random archs that meet the cheap constraints (the baseline every searcher must beat)",
)
SEARCHERS.register(
    "nsga2",
    "hwnas.search.nsga2:NSGA2Searcher",
    options="hwnas.search.nsga2:NSGA2Options",
    summary="NSGA-II (pymoo): integer genome, SBX + polynomial mutation, rank-and-crowding survival (multi-objective)",
)
SEARCHERS.register(
    "morea",
    "hwnas.search.morea:MOREASearcher",
    options="hwnas.search.morea:MOREAOptions",
    summary="MO-REA: aging evolution, tournament parents by Pareto rank and crowding, one-decision mutations",
)
SEARCHERS.register(
    "pareto-local",
    "hwnas.search.pareto_local:ParetoLocalSearcher",
    options="hwnas.search.pareto_local:ParetoLocalOptions",
    summary="Pareto local search: one-decision neighbours of every archive (non-dominated) arch, random restarts",
)
SEARCHERS.register(
    "ehvi",
    "hwnas.search.ehvi:EHVISearcher",
    options="hwnas.search.ehvi:EHVIOptions",
    summary="Bayesian optimisation (Optuna's GP sampler): log expected hypervolume improvement, noise-aware GP",
)
SEARCHERS.register(
    "local",
    "hwnas.search.local:LocalSearcher",
    summary="steepest-ascent hill climbing over one-decision moves, with random restarts",
)
SEARCHERS.register(
    "lm-searcher",
    "hwnas.llm.lm_searcher:LMSearcher",
    options="hwnas.llm.lm_searcher:LMSearcherOptions",
    summary="LM-Searcher: an LLM picks each trial from a pool of unseen NCode candidates, given the scored history",
)
EVALUATORS.register(
    "analytic",
    "hwnas.search.analytic:AnalyticEvaluator",
    summary="params and FLOPs/MACs from the arch alone (cheap)",
)
EXECUTORS.register(
    "serial",
    "hwnas.search.executors:SerialExecutor",
    summary="evaluates each batch in this process, one after the other (the default)",
)
EXECUTORS.register(
    "process",
    "hwnas.search.process_pool:ProcessPoolExecutor",
    options="hwnas.search.process_pool:ProcessOptions",
    summary="a local pool of worker processes, each keeping its evaluators across batches; batches run in parallel",
)
EXECUTORS.register(
    "ray",
    "hwnas.search.ray_executor:RayExecutor",
    options="hwnas.search.ray_executor:RayOptions",
    summary='actors of a Ray cluster (pip install "hwnas[ray]"), each keeping its evaluators; device pools; '
    "a batch whose actor dies is re-run elsewhere",
)
