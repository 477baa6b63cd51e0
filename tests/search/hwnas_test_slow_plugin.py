"""A plugin for the kill-and-resume test, loaded through ``HWNAS_PLUGINS=hwnas_test_slow_plugin``.

Registers the evaluator ``slow``: a deterministic pseudo-random ``score`` per arch that takes
``HWNAS_TEST_SLOW_S`` seconds per arch (so a run lasts long enough to be killed in the middle), and appends
``pid metric arch_id`` for every arch it evaluated to the file named by ``HWNAS_TEST_EVAL_LOG`` (so the test can
prove that the resumed process evaluated nothing the killed one had journaled). ``slow-rank`` is the same with
another pseudo-random ``rank``, maximised as a fitness: the second evaluator of a scheduled (hybrid) run.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence

from hwnas.core.arch import Arch
from hwnas.core.space import SearchSpace
from hwnas.search.evaluator import register_evaluator


class SlowEvaluator:
    metrics: tuple[str, ...] = ("score",)
    cheap = False
    digits = slice(0, 8)  # the hex digits of the arch_id the metric is read from

    def __init__(self, space: SearchSpace) -> None:
        self.delay = float(os.environ.get("HWNAS_TEST_SLOW_S", "0.01"))
        self.log = os.environ.get("HWNAS_TEST_EVAL_LOG")

    def evaluate(self, archs: Sequence[Arch]) -> list[dict[str, float]]:
        time.sleep(self.delay * len(archs))
        if self.log:
            with open(self.log, "a", encoding="utf-8") as handle:
                handle.writelines(f"{os.getpid()} {self.metrics[0]} {a.arch_id}\n" for a in archs)
        return [{self.metrics[0]: int(a.arch_id[self.digits], 16) / 16**8} for a in archs]


class SlowRankEvaluator(SlowEvaluator):
    metrics = ("rank",)
    digits = slice(8, 16)
    fitness_direction = "max"


register_evaluator("slow", SlowEvaluator)
register_evaluator("slow-rank", SlowRankEvaluator)
