"""The fitness schedule (hybrid search): which evaluator ranks candidates in which iterations.

``llm-distill:0-14,supernet:15-`` ranks with a cheap predictor for iterations 0..14 and with the supernet from
iteration 15 on (LLM-PP's hybrid search), but the schedule is general: any registered evaluators, any number of
phases. Phases are parsed and checked here, where only text and the iteration count are known; the run loop
builds the evaluators of each phase (:mod:`hwnas.search.phases`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from hwnas.core.errors import ConfigError

SCHEDULE_GRAMMAR = (
    "EVALUATOR:START-END or EVALUATOR:START- (0-based iterations, both ends inclusive, open end allowed last), "
    "comma-separated, e.g. 'llm-distill:0-14,supernet:15-'"
)
_RANGE_RE = re.compile(r"^(\d+)-(\d*)$")


@dataclass(frozen=True)
class PhaseSpec:
    """One phase as configured: ``evaluator`` ranks iterations ``start``..``end`` (None: to the last iteration)."""

    evaluator: str
    start: int
    end: int | None

    @classmethod
    def parse(cls, text: str) -> PhaseSpec:
        name, sep, span = str(text).strip().rpartition(":")
        match = _RANGE_RE.match(span.strip())
        if not sep or not name.strip() or match is None:
            raise ConfigError(f"fitness schedule phase {text!r} is malformed; expected {SCHEDULE_GRAMMAR}")
        start, end = int(match.group(1)), int(match.group(2)) if match.group(2) else None
        if end is not None and end < start:
            raise ConfigError(f"fitness schedule phase {text!r} ends (iteration {end}) before it starts ({start})")
        return cls(name.strip(), start, end)

    def last(self, iterations: int) -> int:
        """The last iteration of the phase in a run of ``iterations`` iterations."""
        return iterations - 1 if self.end is None else self.end

    def __str__(self) -> str:
        return f"{self.evaluator}:{self.start}-{'' if self.end is None else self.end}"


def split_phases(values: str | Iterable[str]) -> list[str]:
    """One comma-separated string, a list of them, or a list of single phases -> one phase text per item."""
    items = [values] if isinstance(values, str) else list(values)
    return [part.strip() for item in items for part in str(item).split(",") if part.strip()]


def parse_schedule(values: Sequence[str]) -> tuple[PhaseSpec, ...]:
    return tuple(PhaseSpec.parse(text) for text in values)


def check_coverage(phases: Sequence[PhaseSpec], iterations: int) -> None:
    """Phases must cover iterations 0..iterations-1 in order, contiguously, without overlap: every iteration has
    exactly one fitness, so the run (and a resumed run) always knows which evaluator ranks it."""
    expected = 0
    for index, phase in enumerate(phases):
        if phase.start != expected:
            what = "start at iteration 0" if index == 0 else f"start at iteration {expected}, right after the last"
            raise ConfigError(
                f"fitness schedule phase {str(phase)!r} must {what}; phases must cover 0..{iterations - 1}"
            )
        if phase.end is None and index != len(phases) - 1:
            raise ConfigError(f"fitness schedule phase {str(phase)!r} has an open end but is not the last phase")
        if phase.start > iterations - 1:
            raise ConfigError(
                f"fitness schedule phase {str(phase)!r} starts after the last iteration ({iterations - 1}; "
                f"iterations={iterations})"
            )
        expected = phase.last(iterations) + 1
    if expected != iterations:
        raise ConfigError(
            f"fitness schedule ends at iteration {expected - 1} but the run has iterations 0..{iterations - 1}; "
            "extend the last phase (an open end 'NAME:START-' runs to the last iteration) or change iterations"
        )
