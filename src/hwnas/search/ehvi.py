"""Bayesian optimisation with expected hypervolume improvement, through Optuna's GP sampler.

Why Optuna's ``GPSampler`` and not BoTorch's qNEHVI: it is a maintained implementation of the same idea (a GP per
objective with a Matern-5/2 ARD kernel, hyperparameters fitted by marginal likelihood with priors, a fitted noise
variance unless the objective is declared deterministic, and log-EHVI as the acquisition, constrained log-EHVI when
there are constraints), it treats integer parameters as integers when it optimises the acquisition, and it needs
only torch and scipy, which hwnas already has (BoTorch would add gpytorch, linear_operator and pyro).

The encoding is the arch's integer index vector (:func:`hwnas.encodings.index_vector`: one option index per
decision, per-layer decisions padded to the maximum depth), one integer parameter per position: the options of
a decision are ordered (widths, depths, ratios), so neighbouring indices are similar archs, which is what a
stationary kernel assumes. Positions an arch does not use are ignored when it is built (ARD learns they matter
little).

Loop: the first ``startup`` archs are random (from the run's generator); then each ask is one Optuna trial per
arch (``batch``, default 1: sequential BO), whose parameters become the arch. Every record the loop tells (asked
archs, seeds, re-evaluations) is added to the study as a finished trial with its objectives (minimisation form)
and, once any record breaks a constraint known only after evaluation, its total violation as Optuna's constraint
value; failed records are left out. A proposal that breaks a cheap constraint, or repeats an arch already
evaluated or proposed, is replaced by a random arch that does not (counted in ``replaced``). The sampler is seeded
from the run's generator, so a replayed run asks the same archs.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any, cast

import numpy as np
from pydantic import Field

from hwnas.contracts.options import Options
from hwnas.contracts.record import Record
from hwnas.contracts.searcher import FeasibleFn, SearchSettings
from hwnas.core.arch import Arch
from hwnas.core.space import SearchSpace
from hwnas.encodings.vectors import choice_counts, from_index_vector, index_vector
from hwnas.search.base import accept_all, draw_feasible_many, feasible_many

CONSTRAINTS_KEY = "constraints"  # where Optuna's samplers read a trial's constraint values


class EHVIOptions(Options):
    startup: int = Field(10, ge=1, description="random archs before the GP proposes")
    batch: int = Field(1, ge=1, description="archs proposed per ask (1: sequential BO, the strongest per evaluation)")
    noisy: bool = Field(True, description="fit a noise variance (False: the objectives are declared deterministic)")


class EHVISearcher:
    def __init__(
        self,
        space: SearchSpace,
        *,
        rng: np.random.Generator,
        feasible: FeasibleFn = accept_all,
        startup: int = 10,
        batch: int = 1,
        noisy: bool = True,
        max_retries: int = 1000,
    ) -> None:
        if startup < 1 or batch < 1:
            raise ValueError("ehvi needs startup >= 1 and batch >= 1")
        self.space, self.rng, self.feasible, self.max_retries = space, rng, feasible, max_retries
        self.startup, self.batch, self.noisy = startup, batch, noisy
        self.counts = choice_counts(space)
        self.study: Any = None  # created at the first tell, when the number of objectives is known
        self.constrained = False
        self.seen: set[str] = set()  # archs told or proposed
        self.completed = 0
        self.replaced = 0
        self._seed = 0  # the sampler's, drawn from ``rng`` when the study is created

    @classmethod
    def from_config(
        cls, space: SearchSpace, config: SearchSettings, *, rng: np.random.Generator, feasible: FeasibleFn
    ) -> EHVISearcher:
        options = cast(EHVIOptions, config.searcher_options())
        return cls(space, rng=rng, feasible=feasible, max_retries=config.max_retries, **options.model_dump())

    def ask(self, n: int) -> list[Arch]:
        if self.study is None or self.completed < self.startup:
            missing = n if self.study is None else min(n, self.startup - self.completed)
            return self._random(max(missing, 1))
        import optuna

        archs: list[Arch] = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for _ in range(self.batch):
                trial = self.study.ask(self._distributions())
                vector = [trial.params[f"x{i}"] for i in range(len(self.counts))]
                self.study.tell(trial, state=optuna.trial.TrialState.FAIL)  # a proposal: its record is added at tell
                archs.append(from_index_vector(vector, self.space))
        verdicts = feasible_many(self.feasible, archs)
        for i, (arch, ok) in enumerate(zip(archs, verdicts, strict=True)):
            if not ok or arch.arch_id in self.seen:
                self.replaced += 1
                archs[i] = self._random(1)[0]
            self.seen.add(archs[i].arch_id)
        return archs

    def tell(self, records: Sequence[Record]) -> None:
        import optuna

        usable = [r for r in records if r.status != "failed" and all(np.isfinite(r.objectives))]
        self.seen.update(r.arch.arch_id for r in records)
        if not usable:
            return
        if self.study is None:
            self.study = self._create(len(usable[0].objectives))
        if not self.constrained and any(r.violation > 0 for r in usable):
            self.constrained = True
            self.study.sampler = self._sampler()
        distributions = self._distributions()
        for record in usable:
            vector = index_vector(record.arch, self.space)
            self.study.add_trial(
                optuna.trial.create_trial(
                    params={f"x{i}": int(v) for i, v in enumerate(vector)},
                    distributions=distributions,
                    values=[float(v) for v in record.objectives],
                    system_attrs={CONSTRAINTS_KEY: [float(record.violation)]},
                )
            )
        self.completed += len(usable)

    def _random(self, n: int) -> list[Arch]:
        def propose() -> Arch:  # an arch not evaluated or proposed yet, where the space has one
            for _ in range(self.max_retries):
                arch = self.space.sample(self.rng)
                if arch.arch_id not in self.seen:
                    break
            return arch

        drawn = draw_feasible_many(propose, self.feasible, n, max_tries=self.max_retries, what="random arch")
        self.seen.update(a.arch_id for a in drawn)
        return drawn

    def _distributions(self) -> dict[str, Any]:
        import optuna

        return {f"x{i}": optuna.distributions.IntDistribution(0, int(c) - 1) for i, c in enumerate(self.counts)}

    def _sampler(self) -> Any:
        import optuna

        constraints = (lambda trial: trial.system_attrs.get(CONSTRAINTS_KEY, [0.0])) if self.constrained else None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Optuna marks some sampler options experimental
            return optuna.samplers.GPSampler(
                seed=self._seed, n_startup_trials=self.startup, deterministic_objective=not self.noisy,
                constraints_func=constraints,
            )  # fmt: skip

    def _create(self, objectives: int) -> Any:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)  # no line per trial
        self._seed = int(self.rng.integers(2**31 - 1))
        return optuna.create_study(directions=["minimize"] * objectives, sampler=self._sampler())
