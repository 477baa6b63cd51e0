"""``lm-searcher``: LM-Searcher's ranking search (2025) on the ask/tell loop, on any space and evaluator.

Every architecture is an NCode (one field per decision, :mod:`hwnas.encodings.ncode`). The first ``warmup``
trials are random. Each later trial shows the LLM the best ``history_cap`` trials so far with min-max normalised
scores (:mod:`hwnas.llm.lm_history`) and a pool of up to ``pool_size`` candidates never asked before, drawn without
replacement and meeting the cheap constraints, and takes the LLM's pick (:mod:`hwnas.llm.lm_choice`: log-likelihood
scoring, a constrained answer, or a free answer matched to the pool with bounded retries); when the LLM gives no
usable pick, the fallback does (:mod:`hwnas.llm.lm_fallback`: a ridge surrogate of the trials told so far, or a
random pool member). ``ask(n)`` fills ``n`` slots, each from its own pool.

The run ends cleanly ("exhausted") once ``trials`` archs were asked, or when no unseen feasible arch is left: a
space of at most ``ENUMERATE_LIMIT`` archs is enumerated, so its end is exact; a larger one counts as exhausted
after ``max_retries`` draws in a row found nothing new.

Resume: pools come from the run's generator (the fallbacks draw from generators of their own) and answers come
through the runner's disk cache, so a rebuilt searcher told the journal's records draws the same pools. A failed
request is not cached, though, and asked again it could be answered; so for every iteration the journal records,
the loop hands over its picks and counts (:meth:`LMSearcher.replay`) and the searcher takes them without asking the
LLM. The iteration a kill interrupted is asked again (its picks were not recorded): where one of them fell back, the
resumed run may pick another arch there than the killed one was evaluating.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, cast

import numpy as np
from pydantic import Field, field_validator, model_validator

from hwnas.contracts.options import Options
from hwnas.contracts.record import Record
from hwnas.contracts.searcher import FeasibleFn, SearchSettings, feasible_many
from hwnas.core.arch import Arch
from hwnas.core.errors import ConstraintError
from hwnas.core.space import SearchSpace
from hwnas.encodings.ncode import ncode_legend, ncode_length, to_ncode
from hwnas.llm.base import Sampling
from hwnas.llm.lm_choice import ChoiceCounts, ChoiceMode, Chooser, resolve_mode
from hwnas.llm.lm_fallback import Fallback, FallbackKind, fallback_seeds
from hwnas.llm.lm_history import Trial, shown_history, trial_value
from hwnas.llm.prompts import PromptTemplate, load_template
from hwnas.llm.runner import Runner

ENUMERATE_LIMIT = 50_000  # spaces this small are listed once, so exhaustion is exact


class LMSearcherOptions(Options):
    """LM-Searcher's defaults: 5 random trials, a history of 200, pools of 10, 192 trials. LLM client settings go
    under ``llm`` (the keys of :class:`hwnas.llm.clients.LLMSettings`; ``--searcher-opt llm.base_url=URL``)."""

    trials: int = Field(192, ge=1, description="archs asked in all; then the searcher ends the run")
    warmup: int = Field(5, ge=0, description="random trials before the LLM is asked")
    history_cap: int = Field(200, ge=1, description="best trials shown to the LLM")
    pool_size: int = Field(10, ge=1, le=200, description="candidates per pick (fewer when the space runs out)")
    choice: ChoiceMode = Field("auto", description="auto | loglik | constrained | generate (see hwnas.llm.lm_choice)")
    generate_retries: int = Field(3, ge=0, le=10, description="re-asks after an answer that names no candidate")
    fallback: FallbackKind = Field(
        "surrogate", description="who picks when the LLM gives no usable pick: surrogate (ridge on the trials) | random"
    )
    template: str = Field("lmsearch-chat-v1", description="prompt template: lmsearch-chat-v1, lmsearch-bare-v1, a .j2")
    max_tokens: int | None = Field(None, ge=1, description="answer length (default: the code length + 16 tokens)")
    llm: dict[str, Any] = Field(default_factory=dict, description="LLM client settings (LLMSettings keys)")

    @model_validator(mode="before")
    @classmethod
    def _dotted_llm_keys(cls, data: Any) -> Any:
        """``llm.base_url: URL`` (a flat ``--searcher-opt`` key) -> ``llm: {base_url: URL}``."""
        if not isinstance(data, dict) or not any(str(k).startswith("llm.") for k in data):
            return data
        folded = {k: v for k, v in data.items() if not str(k).startswith("llm.")}
        llm = dict(folded.get("llm") or {})
        llm.update({str(k).removeprefix("llm."): v for k, v in data.items() if str(k).startswith("llm.")})
        return {**folded, "llm": llm}

    @field_validator("llm")
    @classmethod
    def _known_llm_keys(cls, value: dict[str, Any]) -> dict[str, Any]:
        from hwnas.llm.clients import LLMSettings

        unknown = sorted(set(value) - set(LLMSettings.model_fields))
        if unknown:
            raise ValueError(f"unknown LLM setting {unknown[0]!r}; known: {', '.join(LLMSettings.model_fields)}")
        return value


class LMSearcher:
    def __init__(
        self,
        space: SearchSpace,
        *,
        runner: Runner,
        rng: np.random.Generator,
        feasible: FeasibleFn,
        options: LMSearcherOptions | None = None,
        objective: str = "the run's fitness",
        sampling: Sampling | None = None,
        max_retries: int = 1000,
    ) -> None:
        self.space, self.rng, self.feasible, self.max_retries = space, rng, feasible, max_retries
        self.options = options or LMSearcherOptions()
        self.runner = runner
        self.template: PromptTemplate = load_template(self.options.template)
        self.mode = resolve_mode(self.options.choice, runner)
        self.counts = ChoiceCounts()
        tokens = self.options.max_tokens or ncode_length(space) + 16
        sampling = replace(sampling or Sampling(), max_tokens=tokens)
        self.chooser = Chooser(
            runner, self.mode, sampling=sampling, retries=self.options.generate_retries, counts=self.counts
        )
        self.fallback = Fallback(self.options.fallback, space, seeds=fallback_seeds(rng), counts=self.counts)
        self.objective, self.legend = objective, ncode_legend(space)
        self.seen: set[str] = set()  # asked or told: never proposed again
        self.rejected: set[str] = set()  # failed the cheap constraints (enumerated spaces only)
        self.trials: list[Trial] = []
        self.scored: list[tuple[Arch, float]] = []  # the trials' archs and scores: what the surrogate learns from
        self.asked = 0
        self._all: list[Arch] | None = None
        self._replaying: tuple[list[str], Mapping[str, Any]] | None = None

    @classmethod
    def from_config(
        cls, space: SearchSpace, config: SearchSettings, *, rng: np.random.Generator, feasible: FeasibleFn
    ) -> LMSearcher:
        from hwnas.llm.clients import load_settings, make_runner

        options = cast(LMSearcherOptions, config.searcher_options())
        settings = load_settings(base=options.llm)
        objectives = list(getattr(config, "objectives", None) or [])
        objective = objectives[0] if objectives else "the run's fitness"
        return cls(
            space,
            runner=make_runner(settings),
            rng=rng,
            feasible=feasible,
            options=options,
            objective=objective,
            sampling=settings.sampling(),
            max_retries=config.max_retries,
        )

    def report(self) -> dict[str, Any]:
        """What a run reports about this searcher (``result.json``'s ``searcher``)."""
        return {"mode": self.mode, "model": self.runner.model, "template": self.template.describe(),
                "fallback": self.options.fallback, "asked": self.asked, "paths": self.counts.to_dict()}  # fmt: skip

    def replay(self, asked: Sequence[str], report: Mapping[str, Any] | None) -> None:
        """Resume: the next ask repeats a journaled iteration. Each slot still draws its pool (so the generator
        moves as it did), then takes the recorded pick instead of asking the LLM, and the counts become the
        recorded ones. An entry without this searcher's counts is asked again, as before."""
        paths = (report or {}).get("paths")
        self._replaying = (list(asked), paths) if isinstance(paths, Mapping) else None

    def ask(self, n: int) -> list[Arch]:
        recorded, paths = self._replaying or ([], None)
        self._replaying = None
        picks: list[Arch] = []
        for slot in range(n):
            if self.asked >= self.options.trials:
                break
            arch = self._next(recorded[slot] if slot < len(recorded) else None)
            if arch is None:
                break
            self.seen.add(arch.arch_id)
            self.asked += 1
            picks.append(arch)
        if paths is not None:
            self.counts.restore(paths)
        return picks

    def tell(self, records: Sequence[Record]) -> None:
        for record in records:
            self.seen.add(record.arch.arch_id)
            value = trial_value(record)
            if value is not None:
                self.trials.append(Trial(to_ncode(record.arch, self.space), value, len(self.trials)))
                self.scored.append((record.arch, value))

    def retained(self) -> list[Arch]:
        """Nothing is re-evaluated when the fitness changes: the history starts again (see :meth:`rescore`)."""
        return []

    def rescore(self, records: Sequence[Record]) -> None:
        """A new fitness: scores of the old one are not comparable, so the shown history is cleared."""
        self.trials, self.scored = [], []
        self.tell(records)

    def _next(self, recorded: str | None) -> Arch | None:
        """The next pick: ``recorded`` is the arch id a resumed run's journal holds for this slot (taken when it is
        in the pool, as it was when it was picked)."""
        if self.asked < self.options.warmup:
            pool = self._pool(1)
            if pool:
                self.counts.warmup += 1
            return pool[0] if pool else None
        pool = self._pool(self.options.pool_size)
        if len(pool) <= 1:
            self.counts.only_candidate += len(pool)
            return pool[0] if pool else None
        taken = next((i for i, a in enumerate(pool) if a.arch_id == recorded), None)
        if taken is not None:
            return pool[taken]
        codes = [to_ncode(a, self.space) for a in pool]
        variables = {"space": self.space.name, "legend": self.legend, "objective": self.objective,
                     "history": shown_history(self.trials, self.options.history_cap), "candidates": codes}  # fmt: skip
        pick = self.chooser.choose(self.template.render(variables), codes)
        if pick is None:
            pick = self.fallback.pick(pool, self.scored, self.asked)
        return pool[pick]

    def _pool(self, k: int) -> list[Arch]:
        """Up to ``k`` distinct unseen archs meeting the cheap constraints. Nothing found before anything was
        asked means the constraints exclude the space: an error, as for every searcher."""
        pool = self._enumerated_pool(k) if self.space.size() <= ENUMERATE_LIMIT else self._sampled_pool(k)
        if not pool and self.asked == 0 and not self.seen:
            raise ConstraintError(
                f"no arch of space {self.space.name!r} met the constraints in {self.max_retries} tries "
                "(loosen the constraints or raise max_retries)"
            )
        return pool

    def _enumerated_pool(self, k: int) -> list[Arch]:
        if self._all is None:
            self._all = list(self.space.iter_all())
        unseen = [a for a in self._all if a.arch_id not in self.seen and a.arch_id not in self.rejected]
        order = self.rng.permutation(len(unseen))
        pool: list[Arch] = []
        for start in range(0, len(unseen), k):
            batch = [unseen[int(i)] for i in order[start : start + k]]
            for arch, ok in zip(batch, feasible_many(self.feasible, batch), strict=True):
                if not ok:
                    self.rejected.add(arch.arch_id)
                elif len(pool) < k:
                    pool.append(arch)
            if len(pool) >= k:
                break
        return pool

    def _sampled_pool(self, k: int) -> list[Arch]:
        pool: dict[str, Arch] = {}
        misses = 0  # draws in a row that gave nothing new and feasible
        while len(pool) < k and misses < self.max_retries:
            fresh: dict[str, Arch] = {}
            for _ in range(k - len(pool)):
                arch = self.space.sample(self.rng)
                if arch.arch_id in self.seen or arch.arch_id in pool or arch.arch_id in fresh:
                    misses += 1
                else:
                    fresh[arch.arch_id] = arch
            for arch, ok in zip(fresh.values(), feasible_many(self.feasible, list(fresh.values())), strict=True):
                if ok:
                    pool[arch.arch_id] = arch
                    misses = 0
                else:
                    misses += 1
        return list(pool.values())
