"""syne-tune's multi-objective searchers on hwnas's problems, for ``benchmarks/mo_search.py``: the config space (one
``choice`` per decision of the hwnas space), the methods and why a method cannot run, and the ask/tell driver that
answers every suggestion with the same evaluators a ``hwnas bench run`` suite builds from the problem.

syne-tune is a peer installed only for this benchmark (``pip install -e ".[benchmarks]"``); this module imports it
only inside the functions that need it, so the hwnas side of the benchmark runs without it.

What syne-tune 0.16.0 (the only release installable beside numpy 2) offers, as found by importing it:

- MO-REA (``MultiObjectiveRegularizedEvolution``), EHVI (``ExpectedHyperVolumeImprovement``, BoTorch's
  qLogEHVI on a GP per objective) and ``MultiObjectiveRandomSearcher`` run; the ``RandomSearch`` baseline refuses
  two metrics (its searcher is single-objective), ``searcher_factory('random_search', is_multi_objective=True)``
  picks ``MultiObjectiveRandomSearcher``, which is what runs here.
- NSGA-II (``nsga2_searcher.NSGA2Searcher``, ``baselines.NSGA2`` in 0.13-0.15) is gone, and random-scalarisation
  BO (``MultiObjectiveMultiSurrogateSearcher``, ``baselines.MORandomScalarizationBayesOpt``) imports a module
  ``random_scalarization`` the wheel does not ship: both are recorded with the import error, not run.
- MO-ASHA is multi-fidelity (it stops trials at rungs of a training resource); the benchmark's answers are final
  metrics with no fidelity, so it has nothing to stop and is not run.

The driver (:func:`run_peer`): one searcher per (method, seed), seeded with the seed; numpy's and torch's global
generators are seeded too, because syne-tune 0.16 draws its random configs from numpy's global generator whatever
``random_seed`` says (``sample_random_config`` ignores its ``rng``). Each suggestion becomes an hwnas arch
(per-layer decisions beyond the arch's layer count are dropped, as the space canonicalises them); an arch not seen
before is evaluated and counts towards the budget, a repeat is answered from memory and does not (a ``hwnas bench
run`` counts distinct archs the same way). The searcher is told every answer as the problem's normalised objectives
(0 = best bound, 1 = worst, minimised), the units the hypervolume is scored in. A run stops at the budget, at
``max_suggestions`` or after ``max_repeat_streak`` repeats in a row (then it is short, and says why).

EHVI needs two adjustments to run at all or sensibly, both recorded with the results: botorch >= 0.18 computes
qLogEHVI with a fused C++ kernel (compiled on first use where ninja is installed) that needs one dtype, while
syne-tune 0.16 hands it float32 cell bounds and float64 GP samples (``RuntimeError: expected scalar type Double but
found Float``); the driver switches the kernel off, so botorch takes its pure-PyTorch path (the same quantity).
And syne-tune fixes EHVI's reference point at 2 in its negated (maximised) objective space, i.e. beyond every point
normalised objectives can reach, where every candidate's improvement is ~0; ``ehvi`` runs as shipped, ``ehvi-ref``
tells the searcher ``y - (r + 2)`` for the problem's reference point ``r``, which puts syne-tune's fixed reference
point on the problem's (its GPs standardise their targets, so the shift changes nothing else).
"""

from __future__ import annotations

import importlib
import json
import os
import random
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from hwnas.contracts.evaluator import Evaluator, evaluate_outcomes
from hwnas.core.arch import Arch
from hwnas.core.space import SearchSpace
from hwnas.search.evaluator import build_evaluator
from hwnas.spaces import get_space
from hwnas.studies.problem import Problem
from hwnas.studies.scoring import Evaluation

SAMPLE_SIZE = 5  # MO-REA's tournament, as hwnas's morea (syne-tune's default is 10)
EHVI_REFERENCE_SHIFT = 2.0  # syne-tune 0.16 fixes EHVI's reference point at +2 in its negated objective space


@dataclass(frozen=True)
class PeerMethod:
    """One syne-tune method: where its searcher lives (alternatives tried in order; the first found is used), its
    keyword arguments (from the suite's population), and what the benchmark does about it."""

    name: str
    title: str
    imports: tuple[tuple[str, str], ...]
    kwargs: Callable[[int], dict[str, Any]] = field(default=lambda population: {})
    bo: bool = False
    shift_reference: bool = False
    runnable: bool = True  # False: recorded (and tried, to record why), never driven
    note: str = ""


_MO = "syne_tune.optimizer.schedulers.multiobjective"
METHODS: dict[str, PeerMethod] = {
    m.name: m
    for m in (
        PeerMethod(
            "random",
            "random search",
            (("syne_tune.optimizer.schedulers.searchers.random_searcher", "MultiObjectiveRandomSearcher"),),
            note="what searcher_factory('random_search', is_multi_objective=True) builds; the RandomSearch "
            "baseline asserts a single metric",
        ),
        PeerMethod(
            "morea",
            "MO-REA",
            ((f"{_MO}.multi_objective_regularized_evolution", "MultiObjectiveRegularizedEvolution"),),
            kwargs=lambda population: {"population_size": population, "sample_size": SAMPLE_SIZE},
            note="population = the suite's population, tournament of 5 (hwnas morea's sizes; syne-tune's defaults "
            "100 / 10 would make it random search for the first 100 evaluations)",
        ),
        PeerMethod(
            "ehvi",
            "EHVI (as shipped)",
            ((f"{_MO}.expected_hyper_volume_improvement", "ExpectedHyperVolumeImprovement"),),
            bo=True,
            note="syne-tune's defaults (3 random configs, GP per objective on at most 200 observations, qLogEHVI "
            "optimised from 20 restarts of 200 raw samples, 128 MC samples); its fixed reference point 2 lies "
            "beyond every normalised objective",
        ),
        PeerMethod(
            "ehvi-ref",
            "EHVI (reference point moved onto the problem's)",
            ((f"{_MO}.expected_hyper_volume_improvement", "ExpectedHyperVolumeImprovement"),),
            bo=True,
            shift_reference=True,
            note="as ehvi, told y - (r + 2) so that syne-tune's fixed reference point is the problem's r",
        ),
        PeerMethod(
            "nsga2",
            "NSGA-II",
            (("syne_tune.optimizer.baselines", "NSGA2"), (f"{_MO}.nsga2_searcher", "NSGA2Searcher")),
            runnable=False,
            note="syne-tune 0.13-0.15's pymoo wrapper",
        ),
        PeerMethod(
            "rs-bo",
            "random-scalarisation BO",
            (
                ("syne_tune.optimizer.baselines", "MORandomScalarizationBayesOpt"),
                (f"{_MO}.multi_surrogate_multi_objective_searcher", "MultiObjectiveMultiSurrogateSearcher"),
            ),
            runnable=False,
            note="syne-tune 0.13-0.15's MultiObjectiveMultiSurrogateSearcher with random linear scalarisation",
        ),
    )
}
DEFAULT_METHODS = ("random", "morea", "ehvi", "ehvi-ref", "nsga2", "rs-bo")
NOT_APPLICABLE = {
    "mo-asha": "MO-ASHA is multi-fidelity: it stops trials at rungs of a training resource, and the benchmark's "
    "answers are final metrics with no fidelity, so it has nothing to stop (it would be random search)"
}


def _error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def method_status(method: PeerMethod) -> dict[str, Any]:
    """Whether ``method`` can run here: ``status`` ok (with the ``searcher`` found), unavailable (with every import
    attempt's error text) or not-driven (importable, but not the 0.16 searcher API this driver is written for)."""
    errors = []
    for module, attribute in method.imports:
        try:
            found = getattr(importlib.import_module(module), attribute)
        except (ImportError, AttributeError) as exc:
            errors.append(f"{module}.{attribute}: {_error(exc)}")
            continue
        where = f"{module}.{attribute}"
        if not method.runnable:
            return {"status": "not-driven", "searcher": where, "reason": "importable, but not 0.16's searcher API"}
        return {"status": "ok", "searcher": where, "class": found}
    return {"status": "unavailable", "errors": errors}


def library_facts() -> dict[str, Any]:
    """What the installed syne-tune says about itself: its version, and the RandomSearch baseline's refusal of two
    metrics (why ``random`` drives ``MultiObjectiveRandomSearcher``); None when syne-tune is not installed."""
    try:
        import syne_tune
        from syne_tune.config_space import choice
        from syne_tune.optimizer.baselines import RandomSearch
    except ImportError as exc:
        return {"installed": False, "error": _error(exc)}
    facts: dict[str, Any] = {"installed": True, "version": getattr(syne_tune, "__version__", None)}
    try:
        RandomSearch({"x": choice([1, 2])}, metrics=["a", "b"], random_seed=0)
        facts["random_search_baseline_two_metrics"] = "accepted"
    except Exception as exc:  # the assertion syne-tune 0.16 raises, recorded verbatim
        text = re.sub(r" object at 0x[0-9a-f]+", "", _error(exc))  # the message names an object by its address
        facts["random_search_baseline_two_metrics"] = text
    facts["not_applicable"] = NOT_APPLICABLE
    return facts


# the config space -------------------------------------------------------------------------------------------------
def config_keys(space: SearchSpace) -> list[tuple[str, str, int | None]]:
    """(key, gene, layer) of every decision: a scalar gene is one key, a per-layer gene one key per possible layer."""
    keys: list[tuple[str, str, int | None]] = []
    for gene in space.genes:
        if gene.per_layer is None:
            keys.append((gene.name, gene.name, None))
        else:
            keys += [(f"{gene.name}_{i}", gene.name, i) for i in range(space.max_layers(gene))]
    return keys


def config_space(space: SearchSpace) -> dict[str, Any]:
    """syne-tune's config space of ``space``: ``choice(options)`` per decision, the options as the space gives them."""
    from syne_tune.config_space import choice

    return {key: choice(list(space.gene(gene).choices)) for key, gene, _ in config_keys(space)}


def config_to_arch(space: SearchSpace, config: dict[str, Any]) -> Arch:
    """The (canonical) arch of a config: per-layer values beyond the layer count are dropped."""
    genes: dict[str, Any] = {}
    for key, gene, layer in config_keys(space):
        if layer is None:
            genes[gene] = config[key]
        else:
            genes.setdefault(gene, []).append(config[key])
    return space.make(genes)


def arch_to_config(space: SearchSpace, arch: Arch) -> dict[str, Any]:
    """A config of an arch (unused layers repeat the last layer's value): ``config_to_arch`` gives the arch back."""
    config: dict[str, Any] = {}
    for key, gene, layer in config_keys(space):
        value = arch[gene]
        if layer is None:
            config[key] = value
        else:
            assert isinstance(value, tuple)
            config[key] = value[min(layer, len(value) - 1)]
    return config


# the evaluators ---------------------------------------------------------------------------------------------------
class ProblemEvaluator:
    """The problem's evaluators (``problem.evaluator_blocks()``, built through the evaluator registry as a search
    run builds them), one arch at a time: its metrics from every evaluator merged, or the first error."""

    def __init__(self, problem: Problem) -> None:
        self.space = get_space(problem.space)
        self.evaluators: list[Evaluator] = [
            build_evaluator(block["name"], self.space, block.get("options")) for block in problem.evaluator_blocks()
        ]

    def evaluate(self, arch: Arch) -> tuple[dict[str, float], str | None]:
        metrics: dict[str, float] = {}
        for evaluator in self.evaluators:
            outcome = evaluate_outcomes(evaluator, [arch])[0]
            metrics |= dict(outcome.metrics)
            if outcome.error is not None:
                return metrics, outcome.error
        return metrics, None


# one run ---------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PeerSettings:
    evaluations: int
    population: int
    max_suggestions: int
    max_repeat_streak: int

    def header(self, problem: Problem, method: PeerMethod, seed: int) -> dict[str, Any]:
        """What a run file is for; a stored run with another header is not reused."""
        return {
            "kind": "header",
            "problem": problem.name,
            "method": method.name,
            "seed": seed,
            "evaluations": self.evaluations,
            "kwargs": method.kwargs(self.population),
            "shift_reference": method.shift_reference,
            "max_suggestions": self.max_suggestions,
            "max_repeat_streak": self.max_repeat_streak,
        }


@dataclass
class PeerRun:
    """A finished run: its distinct evaluations in first-evaluation order, and how it went."""

    evaluations: list[Evaluation]
    suggestions: int
    repeats: int  # suggestions of an arch already evaluated (not counted)
    config_repeats: int  # of those, suggestions of the very same config (the rest differ in unused layers only)
    stop: str  # budget | suggestion cap | repeat streak | exhausted
    wall_s: float
    new: bool  # run by this process (False: read back from its file)
    fallbacks: int  # suggestions the searcher fell back to at random (syne-tune logs them as warnings)
    load_1min: float  # the machine's 1-min load average when the run started
    suggest_s: list[float]  # seconds the searcher took for each suggestion


def read_run(path: Path, header: dict[str, Any]) -> PeerRun | None:
    """The finished run stored in ``path``, or None when there is none (missing, unfinished or torn: run it again).
    A finished run with another header is refused (choose another --out or the same arguments)."""
    if not path.is_file():
        return None
    lines = []
    for text in path.read_text(encoding="utf-8").splitlines():
        try:
            lines.append(json.loads(text))
        except ValueError:
            return None
    if not lines or lines[-1].get("kind") != "done":
        return None
    if lines[0] != header:
        raise SystemExit(f"{path} holds a run with other settings; choose another --out or give the same arguments")
    done = lines[-1]
    try:
        evaluations = [
            Evaluation(e["arch"], e["arch_id"], e["metrics"], e["error"]) for e in lines if e["kind"] == "eval"
        ]
        return PeerRun(evaluations, done["suggestions"], done["repeats"], done["config_repeats"], done["stop"],
                       done["wall_s"], False, done["fallbacks"], done["load_1min"],
                       done["suggest_s"])  # fmt: skip
    except KeyError:  # written by an older version of this script: run it again
        return None


def _seed_everything(seed: int) -> None:
    """syne-tune 0.16 draws random configs from numpy's global generator; BoTorch from torch's."""
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _fused_kernel_off() -> None:
    """botorch >= 0.18's fused qLogEHVI kernel refuses syne-tune 0.16's mixed float32 / float64 tensors."""
    try:
        logei = importlib.import_module("botorch.acquisition.multi_objective.logei")
    except ImportError:
        return
    if hasattr(logei, "_load_attempted"):
        logei._load_attempted = True
        logei._C = None


class _CountFallbacks:
    """Counts syne-tune's 'sampling randomly' warnings (EHVI's GP fit failed, so it suggested a random config)."""

    def __init__(self) -> None:
        import logging

        self.count = 0
        outer = self

        class Handler(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                if "sampling randomly" in record.getMessage():
                    outer.count += 1

        self.handler = Handler(level=logging.WARNING)
        self.logger = logging.getLogger()

    def __enter__(self) -> _CountFallbacks:
        self.logger.addHandler(self.handler)
        return self

    def __exit__(self, *exc: object) -> None:
        self.logger.removeHandler(self.handler)


def run_peer(
    problem: Problem,
    method: PeerMethod,
    seed: int,
    settings: PeerSettings,
    path: Path,
    *,
    evaluator: Callable[[], ProblemEvaluator] | None = None,
) -> PeerRun:
    """One (method, seed) run of at most ``settings.evaluations`` distinct archs, stored line by line in ``path``
    (JSONL: a header, one line per new arch, a final ``done`` line); a finished run is read back, not run again."""
    header = settings.header(problem, method, seed)
    stored = read_run(path, header)
    if stored is not None:
        return stored
    status = method_status(method)
    if status["status"] != "ok":
        raise RuntimeError(f"syne-tune method {method.name!r} cannot run: {status}")
    if method.bo:
        _fused_kernel_off()
    started, load = time.perf_counter(), os.getloadavg()[0]
    answers = (evaluator or (lambda: ProblemEvaluator(problem)))()  # built inside the timing, as a search run does
    space = answers.space
    _seed_everything(seed)
    searcher = status["class"](config_space(space), random_seed=seed, **method.kwargs(settings.population))
    shift = np.asarray(problem.reference, dtype=float) + EHVI_REFERENCE_SHIFT if method.shift_reference else None
    seen: dict[str, tuple[dict[str, float], str | None]] = {}
    configs: set[tuple[str, ...]] = set()
    evaluations: list[Evaluation] = []
    suggestions = repeats = config_repeats = streak = 0
    suggest_s: list[float] = []  # the searcher's time per suggestion (not the evaluation's)
    stop = "budget"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as journal, _CountFallbacks() as fallbacks:
        journal.write(json.dumps(header) + "\n")
        while len(evaluations) < settings.evaluations:
            if suggestions >= settings.max_suggestions:
                stop = "suggestion cap"
                break
            if streak >= settings.max_repeat_streak:
                stop = "repeat streak"
                break
            asked = time.perf_counter()
            config = searcher.suggest()
            suggest_s.append(time.perf_counter() - asked)
            if config is None:
                stop = "exhausted"
                break
            trial, suggestions = suggestions, suggestions + 1
            arch = config_to_arch(space, config)
            key = tuple(str(config[k]) for k in sorted(config))
            if arch.arch_id in seen:
                repeats, streak = repeats + 1, streak + 1
                config_repeats += key in configs
            else:
                streak = 0
                seen[arch.arch_id] = answers.evaluate(arch)
                metrics, error = seen[arch.arch_id]
                evaluations.append(Evaluation(arch.to_dict(), arch.arch_id, metrics, error))
                line = {"kind": "eval", "n": len(evaluations), "suggestion": trial, **_evaluation_json(evaluations[-1])}
                journal.write(json.dumps(line) + "\n")
            configs.add(key)
            metrics, error = seen[arch.arch_id]
            if error is not None or not _finite(problem, metrics):
                searcher.on_trial_error(trial)
                if hasattr(searcher, "cleanup_pending"):
                    searcher.cleanup_pending(trial)  # EHVI: otherwise fantasised as pending for ever
                continue
            told = problem.normalise([metrics])[0]
            if shift is not None:
                told = told - shift
            searcher.on_trial_complete(trial, config, [float(v) for v in told])
        wall = time.perf_counter() - started
        done = {"kind": "done", "evaluations": len(evaluations), "suggestions": suggestions, "repeats": repeats,
                "config_repeats": config_repeats, "stop": stop, "wall_s": wall,
                "fallbacks": fallbacks.count, "load_1min": load, "suggest_s": suggest_s}  # fmt: skip
        journal.write(json.dumps(done) + "\n")
    return PeerRun(evaluations, suggestions, repeats, config_repeats, stop, wall, True, fallbacks.count, load,
                   suggest_s)  # fmt: skip


def _evaluation_json(evaluation: Evaluation) -> dict[str, Any]:
    return {"arch": evaluation.arch, "arch_id": evaluation.arch_id, "metrics": evaluation.metrics,
            "error": evaluation.error}  # fmt: skip


def _finite(problem: Problem, metrics: dict[str, float]) -> bool:
    try:
        return bool(np.all(np.isfinite(problem.normalise([metrics]))))
    except KeyError:
        return False


# the same answers on both sides -----------------------------------------------------------------------------------
ANSWER_RTOL = 1e-9  # a batched surrogate query may differ from a single one in the last bits (BLAS summation order)


def answer_check(problem: Problem, evaluations: Sequence[Evaluation], limit: int = 5) -> dict[str, Any]:
    """The first ``limit`` archs an hwnas run evaluated, put through the peer's path (arch -> config -> arch, then the
    peer's evaluator, one arch at a time): the arch must come back unchanged, with the same metrics and error, each
    value equal up to ``ANSWER_RTOL`` (the run asked for it in a batch of ``population`` archs, which can move the
    surrogate's last bits); how many were bitwise equal and the largest relative difference are recorded."""
    answers = ProblemEvaluator(problem)
    checked, bitwise, largest, differences = 0, 0, 0.0, []
    for evaluation in list(evaluations)[:limit]:
        arch = Arch.from_dict(evaluation.arch)
        again = config_to_arch(answers.space, arch_to_config(answers.space, arch))
        metrics, error = answers.evaluate(again)
        checked += 1
        bitwise += metrics == evaluation.metrics and error == evaluation.error
        same_keys = set(metrics) == set(evaluation.metrics)
        relative = max(
            (abs(metrics[k] - v) / max(abs(v), 1e-300) for k, v in evaluation.metrics.items() if k in metrics),
            default=0.0,
        )
        largest = max(largest, relative)
        if again.arch_id != evaluation.arch_id or not same_keys or error != evaluation.error or relative > ANSWER_RTOL:
            differences.append({"arch_id": evaluation.arch_id, "same_arch": again.arch_id == evaluation.arch_id,
                                "same_metrics": same_keys, "max_relative_difference": relative})  # fmt: skip
    return {
        "archs": checked,
        "identical": checked > 0 and not differences,
        "rtol": ANSWER_RTOL,
        "bitwise_equal": bitwise,
        "max_relative_difference": largest,
        "differences": differences,
    }
