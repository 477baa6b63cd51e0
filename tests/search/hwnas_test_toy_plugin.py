"""A searcher with three knobs of its own, from a plugin module (``HWNAS_PLUGINS=hwnas_test_toy_plugin``): adding a
searcher is this one module. It walks from a start arch: each ask is mutants of the best arch so far."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, cast

import numpy as np
from pydantic import Field

from hwnas.contracts.options import Options
from hwnas.contracts.record import Record
from hwnas.contracts.searcher import SEARCHERS, FeasibleFn, SearchSettings
from hwnas.core.arch import Arch
from hwnas.core.space import SearchSpace
from hwnas.search.base import draw_feasible
from hwnas.search.ranking import rank_records


class ToyOptions(Options):
    start: Literal["smallest", "largest"] = Field("smallest", description="the arch the walk starts from")
    stride: int = Field(1, ge=1, description="asks population // stride archs per iteration")
    jitter: float = Field(0.3, ge=0.0, le=1.0, description="per-decision mutation probability of each step")


class ToySearcher:
    def __init__(
        self, space: SearchSpace, options: ToyOptions, *, rng: np.random.Generator, feasible: FeasibleFn, tries: int
    ) -> None:
        self.space, self.options, self.rng, self.feasible, self.tries = space, options, rng, feasible, tries
        self.best: Record | None = None

    @classmethod
    def from_config(
        cls, space: SearchSpace, config: SearchSettings, *, rng: np.random.Generator, feasible: FeasibleFn
    ) -> ToySearcher:
        options = cast(ToyOptions, config.searcher_options())
        return cls(space, options, rng=rng, feasible=feasible, tries=config.max_retries)

    def ask(self, n: int) -> list[Arch]:
        """The start arch first, then ``population // stride`` archs in all, each a mutant of the best so far."""
        if self.best is None:
            base = self.space.smallest() if self.options.start == "smallest" else self.space.largest()
            archs = [base] if self.feasible(base) else []
        else:
            base, archs = self.best.arch, []
        step = lambda: self.space.mutate(base, self.options.jitter, self.rng)  # noqa: E731
        count = max(1, n // self.options.stride)
        steps = count - len(archs)
        return archs + [draw_feasible(step, self.feasible, max_tries=self.tries, what="step") for _ in range(steps)]

    def tell(self, records: Sequence[Record]) -> None:
        self.best = rank_records([*([self.best] if self.best else []), *records])[0]


SEARCHERS.register("toy", ToySearcher, options=ToyOptions, summary="a walk of mutants from a start arch")
