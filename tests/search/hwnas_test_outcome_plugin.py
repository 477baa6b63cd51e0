"""Evaluators for the executor tests, from a plugin module (``HWNAS_PLUGINS=hwnas_test_outcome_plugin``) so that
worker processes have them too.

- ``picky``: ``width`` of each arch (a known function of its genes), or a failed :class:`Outcome` for archs with 3
  decoder layers: the evaluator says which arch failed, so the rest of its batch stands.
- ``placed``: ``width`` again, on a ``device`` option; it appends ``device arch_id`` per arch it evaluated to the
  file named by ``HWNAS_TEST_PLACED_LOG`` (to see batches spread over devices).
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from hwnas.contracts.evaluator import EVALUATORS, Answer, Outcome
from hwnas.contracts.options import NoOptions, Options
from hwnas.core.arch import Arch
from hwnas.core.space import SearchSpace


def width(arch: Arch) -> float:
    return float(sum(arch["encoder_ffn_embed_dim"]) + sum(arch["decoder_ffn_embed_dim"]))  # type: ignore[arg-type]


class Picky:
    metrics: tuple[str, ...] = ("width",)
    cheap = False

    def __init__(self, space: SearchSpace, options: NoOptions) -> None:
        self.calls = 0

    def evaluate(self, archs: Sequence[Arch]) -> list[Answer]:
        self.calls += 1
        return [
            Outcome(error="three decoder layers") if a["decoder_layer_num"] == 3 else {"width": width(a)} for a in archs
        ]


class PlacedOptions(Options):
    device: str = "cpu"


class Placed:
    metrics: tuple[str, ...] = ("width",)
    cheap = False

    def __init__(self, space: SearchSpace, options: PlacedOptions) -> None:
        self.device = options.device

    def evaluate(self, archs: Sequence[Arch]) -> list[dict[str, float]]:
        log = os.environ.get("HWNAS_TEST_PLACED_LOG")
        if log:
            with open(log, "a", encoding="utf-8") as handle:
                handle.writelines(f"{self.device} {a.arch_id}\n" for a in archs)
        return [{"width": width(a)} for a in archs]


EVALUATORS.register("picky", Picky, summary="width, or a failed outcome for 3 decoder layers (a test plugin)")
EVALUATORS.register("placed", Placed, options=PlacedOptions, summary="width, logging its device (a test plugin)")
