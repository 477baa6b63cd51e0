"""Reading a number out of an LLM's free-text answer.

Models wrap the number in prose ("The estimated BLEU is 27.3."), echo the metric name ("BLEU-4: 27.3"), use a
decimal comma ("27,3"), or give a range ("26-28"). The rule is simple and documented: the first standalone number
inside the plausible range wins. A number glued to letters (``BLEU4``, ``BLEU-4``, ``SmolLM2``) is part of a name,
not an answer; a ``-`` right after a digit is a range dash, not a sign. No number in range means no answer (the
caller re-asks or records a failure), never a guess.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

# A number not glued to a preceding letter/digit/dot, nor to a letter-then-hyphen (``BLEU-4``).
_NUMBER = re.compile(
    r"(?<![\w.])(?<![A-Za-z]-)"
    r"(?P<sign>[-+−]?)"
    r"(?P<int>\d+)(?:(?P<sep>[.,])(?P<frac>\d+))?"
    r"(?:[eE](?P<exp>[-+]?\d+))?"
    r"(?![\w])"
)


@dataclass(frozen=True)
class ValueRange:
    """Closed interval of plausible answers (BLEU: [0, 100])."""

    low: float = 0.0
    high: float = 100.0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.low) and math.isfinite(self.high) and self.low < self.high):
            raise ValueError(f"value range needs finite low < high; got [{self.low}, {self.high}]")

    def __contains__(self, value: float) -> bool:
        return self.low <= value <= self.high

    def __str__(self) -> str:
        return f"[{self.low:g}, {self.high:g}]"


def _value(match: re.Match[str], text: str) -> float:
    sign = -1.0 if match["sign"] in ("-", "−") and not _after_digit(text, match.start()) else 1.0
    body = match["int"]
    if match["frac"] is not None:
        thousands = match["sep"] == "," and len(match["frac"]) == 3
        body += match["frac"] if thousands else "." + match["frac"]
    if match["exp"] is not None:
        body += "e" + match["exp"]
    return sign * float(body)


def _after_digit(text: str, start: int) -> bool:
    """True when the sign follows a digit (``26-28``): then it is a range dash and the number is positive."""
    before = text[:start].rstrip()
    return bool(before) and before[-1].isdigit()


def numbers(text: str) -> list[float]:
    """Every standalone number in ``text``, in order (see the module docstring for what counts)."""
    return [_value(m, text) for m in _NUMBER.finditer(text)]


def parse_number(text: str, value_range: ValueRange = ValueRange()) -> float | None:
    """The first standalone number of ``text`` inside ``value_range``; None when there is none."""
    for value in numbers(text):
        if math.isfinite(value) and value in value_range:
            return value
    return None
