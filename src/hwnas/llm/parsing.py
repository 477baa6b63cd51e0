"""Reading the predicted value out of an LLM's answer: the answer, not the first number in the text.

Small models wrap the value in prose ("The valid BLEU of this model is 25.66."), put it on the line after a colon,
number their lines ("1. 25.26\\n2. 24.56"), label it ("Model 3: 25.1"), or echo the hyperparameters they were shown
("encoder layer num: 6"). Taking the first number read a list marker, a model index or an echoed hyperparameter as
the prediction. The rules, in order:

1. A JSON object (a structured answer, see :data:`ANSWER_SCHEMA`) gives the value of its answer key (``value``,
   ``prediction``, ``answer``, ``estimate`` or the metric's name), or its only number.
2. Numbers that are not answers are set aside: list markers (``1.`` / ``2)`` opening a line), indices (``Model 3``,
   ``#2``, ``layer 4``), counts (``10 training instances``, ``6 layers``) and values under a label that names
   neither the metric nor an answer (``encoder layer num: 6``, an echoed hyperparameter; ``value:`` / ``answer:``
   are answer labels, so a JSON answer cut short still counts). A number glued to letters (``BLEU4``, ``BLEU-4``,
   ``SmolLM2``) is part of a name.
3. A number tied to an answer word ("I estimate 25.66", "Answer: 25.66") or else to the metric ("BLEU ... is 25.66",
   "BLEU: 25.66", or on the line after "... BLEU ... is:") wins; the first of the most strongly tied numbers is the
   answer, and it must be in the plausible range (a tied 150 is a failed answer, not a reason to pick another).
4. Otherwise the remaining numbers in range must agree: one value is the answer; several different values
   ("1. 25.26\\n2. 24.56\\n3. 24.01") are ambiguous, which is a failed answer, never a guess.

A range ("26-28", "26 to 28") is one answer, its midpoint. A decimal comma ("27,3") is a decimal point. A failed
answer carries its reason, so the caller can re-ask and, in the end, count it as a failure.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

# A number not glued to a preceding letter/digit/dot, nor to a letter-then-hyphen (``BLEU-4``).
_NUMBER = re.compile(
    r"(?<![\w.])(?<![A-Za-z]-)"
    r"(?P<sign>[-+−]?)"
    r"(?P<int>\d+)(?:(?P<sep>[.,])(?P<frac>\d+))?"
    r"(?:[eE](?P<exp>[-+]?\d+))?"
    r"(?![\w])"
)
_RANGE_JOIN = re.compile(r"\s*(?:-|–|—|to)\s*$")
_MARKER_AFTER = re.compile(r"^[.)]\s")  # "1. " / "2) " right after a number that opens a line
_INDEX_BEFORE = re.compile(
    r"(?:\b(?:model|models|no\.?|number|layer|layers|step|sample|option|candidate|example|arch|architecture|rank|"
    r"top|config|configuration|id)|#)\s*$",
    re.IGNORECASE,
)
# "10 training instances", "6 layers": an integer counting things (optionally one word in between) is not an answer.
_COUNT_AFTER = re.compile(
    r"^\s+(?:[A-Za-z-]+\s+)?(?:instances|examples|samples|models|layers|heads|architectures|archs|epochs|steps|"
    r"tokens|parameters|hyperparameters|dimensions|configurations|candidates|options|trials|runs|shots)\b",
    re.IGNORECASE,
)
_LABEL = re.compile(r"(?P<label>[^,;:=\n(){}\[\]]*?)\s*[:=]\s*[*_`\"']*\s*$")  # "key: " right before the number
_SENTENCE_END = re.compile(r"[.!?](?:\s|$)")
_BULLET = re.compile(r"^[\s*\-•>#`_\"']*$")
ANSWER_WORDS = ("answer", "prediction", "predicted", "predict", "estimate", "estimated", "estimation", "result")
ANSWER_KEYS = ("value", "prediction", "answer", "estimate", "score")
_STOPWORDS = frozenset({"valid", "validation", "test", "dev", "the", "score", "of", "on", "set"})

# JSON schema of a structured answer: clients that support constrained output (llama.cpp grammars, endpoints with
# ``response_format: json_schema``) are asked for exactly this.
ANSWER_SCHEMA: dict[str, object] = {
    "type": "object",
    "properties": {"value": {"type": "number"}},
    "required": ["value"],
    "additionalProperties": False,
}


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


@dataclass(frozen=True)
class Answer:
    """The value read from an answer (None when it has none) with the rule that chose it or why none was chosen."""

    value: float | None
    rule: str  # json | tied | only | none | ambiguous | out-of-range
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.value is not None


@dataclass(frozen=True)
class _Candidate:
    value: float
    start: int
    end: int
    kind: str  # answer | marker | index | count | echo
    tie: int  # 0 untied, 1 tied to the metric, 2 tied to an answer word ("estimate", "answer", ...)


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


def metric_terms(metric: str) -> tuple[str, ...]:
    """The words that name a metric in an answer: ``valid BLEU`` -> ``("bleu",)`` (qualifiers such as *valid* are
    dropped, since answers rarely repeat them)."""
    words = [w for w in re.findall(r"[a-z][a-z0-9]+", metric.lower()) if w not in _STOPWORDS]
    return tuple(words) or (metric.lower(),)


def _mentions(text: str, terms: Iterable[str]) -> bool:
    lowered = text.lower()
    return any(re.search(rf"(?<![a-z]){re.escape(term)}", lowered) for term in terms)


def _tie(text: str, terms: tuple[str, ...]) -> int:
    """2 when ``text`` has an answer word, 1 when it names the metric, else 0."""
    return 2 if _mentions(text, ANSWER_WORDS) else 1 if _mentions(text, terms) else 0


def _classify(text: str, match: re.Match[str], terms: tuple[str, ...]) -> tuple[str, int]:
    """(kind, tie) of the number ``match``: see rules 2 and 3 of the module docstring."""
    line_start = text.rfind("\n", 0, match.start()) + 1
    before = text[line_start : match.start()]
    opens = _BULLET.match(before) is not None or before.rstrip().endswith(":")
    if opens and _MARKER_AFTER.match(text[match.end() :]):
        return "marker", 0
    if _INDEX_BEFORE.search(before):
        return "index", 0
    if match["frac"] is None and _COUNT_AFTER.match(text[match.end() :]):
        return "count", 0
    label = _LABEL.search(before)
    if label is not None and label["label"].strip():
        named = label["label"]
        if not _mentions(named, (*terms, *ANSWER_WORDS, *ANSWER_KEYS, "model")):
            return "echo", 0
        return "answer", 2 if _mentions(named, ANSWER_KEYS) else _tie(named, terms)
    tie = _tie(before[_last_sentence_end(before) :], terms)
    if tie == 0 and _BULLET.match(before) and _introduced(text[:line_start], terms):
        tie = 1
    return "answer", tie


def _last_sentence_end(text: str) -> int:
    ends = [m.end() for m in _SENTENCE_END.finditer(text)]
    return ends[-1] if ends else 0


def _introduced(previous_text: str, terms: tuple[str, ...]) -> bool:
    """The previous non-empty line announces the answer: it ends with a colon and names the metric or an answer."""
    lines = [line.strip() for line in previous_text.splitlines() if line.strip()]
    if not lines or not lines[-1].endswith(":"):
        return False
    last = lines[-1]
    return _mentions(last[_last_sentence_end(last[:-1]) :], (*terms, *ANSWER_WORDS))


def _candidates(text: str, terms: tuple[str, ...]) -> Iterator[_Candidate]:
    """Standalone numbers with their kind; a range ``a-b`` / ``a to b`` becomes one candidate, its midpoint."""
    matches = list(_NUMBER.finditer(text))
    skip = False
    for i, match in enumerate(matches):
        if skip:
            skip = False
            continue
        value, end = _value(match, text), match.end()
        following = matches[i + 1] if i + 1 < len(matches) else None
        if following is not None and _RANGE_JOIN.match(text[end : following.start()]):
            value, end, skip = (value + _value(following, text)) / 2, following.end(), True
        kind, tie = _classify(text, match, terms)
        yield _Candidate(value, match.start(), end, kind, tie)


def _json_answer(text: str, terms: tuple[str, ...]) -> float | None:
    """The answer of the first JSON object in ``text`` (rule 1), or None when there is none."""
    start = text.find("{")
    if start < 0:
        return None
    try:
        obj, _ = json.JSONDecoder().raw_decode(text[start:])
    except json.JSONDecodeError:
        return None
    if not isinstance(obj, dict):
        return None
    numeric = {
        str(k).lower(): float(v) for k, v in obj.items() if isinstance(v, int | float) and not isinstance(v, bool)
    }
    for key, value in numeric.items():
        if key in ANSWER_KEYS or _mentions(key, terms):
            return value
    return next(iter(numeric.values())) if len(numeric) == 1 else None


def parse_answer(text: str, value_range: ValueRange = ValueRange(), *, metric: str = "BLEU") -> Answer:
    """The value an answer gives for ``metric`` (see the module docstring), or why it gives none."""
    terms = metric_terms(metric)
    structured = _json_answer(text, terms)
    if structured is not None:
        if math.isfinite(structured) and structured in value_range:
            return Answer(structured, "json")
        return Answer(None, "out-of-range", f"answer {structured:g} is outside {value_range}")
    candidates = [c for c in _candidates(text, terms) if c.kind == "answer" and math.isfinite(c.value)]
    strongest = max((c.tie for c in candidates), default=0)
    if strongest > 0:
        value = next(c.value for c in candidates if c.tie == strongest)
        if value in value_range:
            return Answer(value, "tied")
        return Answer(None, "out-of-range", f"answer {value:g} is outside {value_range}")
    plausible = sorted({c.value for c in candidates if c.value in value_range})
    if len(plausible) == 1:
        return Answer(plausible[0], "only")
    if plausible:
        shown = ", ".join(f"{v:g}" for v in plausible[:5])
        return Answer(None, "ambiguous", f"several different answers ({shown}) and none tied to {metric}")
    return Answer(None, "none", f"no number in {value_range} in the answer")


def parse_number(text: str, value_range: ValueRange = ValueRange(), *, metric: str = "BLEU") -> float | None:
    """:func:`parse_answer`'s value alone."""
    return parse_answer(text, value_range, metric=metric).value
