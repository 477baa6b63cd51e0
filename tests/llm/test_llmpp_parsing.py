from __future__ import annotations

import pytest

from hwnas.llm.parsing import ValueRange, numbers, parse_number


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("27.3", 27.3),
        ("BLEU: 27.3", 27.3),
        ("The predicted valid BLEU is 27.3.", 27.3),
        ("27,3", 27.3),  # decimal comma
        ("BLEU-4: 26.8", 26.8),  # the 4 of BLEU-4 is part of a name
        ("BLEU4 = 25", 25.0),
        ("SmolLM2 thinks 25.1", 25.1),
        ("-5, no wait, 24.5", 24.5),  # negative: out of [0, 100]
        ("about 1,000 steps then 28", 28.0),  # thousands separator -> 1000, out of range
        ("somewhere in 26-28", 26.0),  # a range: the first end
        ("**26.75**", 26.75),
        ("  \n 3e1 \n", 30.0),
        ("150 is too much; 99.9", 99.9),
        ("27.3%", 27.3),
        ("0", 0.0),
        ("100", 100.0),
    ],
)
def test_first_plausible_number(text: str, expected: float) -> None:
    assert parse_number(text) == pytest.approx(expected)


@pytest.mark.parametrize("text", ["", "I cannot know that.", "150", "-3", "BLEU-4", "v2.1-beta", "wmt14"])
def test_no_plausible_number(text: str) -> None:
    assert parse_number(text) is None


def test_signs_and_ranges() -> None:
    assert numbers("26-28") == [26.0, 28.0]  # a dash after a digit is not a minus sign
    assert numbers("x: -3.5") == [-3.5]
    assert numbers("x: −2") == [-2.0]  # unicode minus
    assert parse_number("delta -3.5", ValueRange(-10, 10)) == -3.5
    assert parse_number("delta -30 then 4", ValueRange(-10, 10)) == 4.0


def test_value_range_must_be_ordered() -> None:
    with pytest.raises(ValueError, match="low < high"):
        ValueRange(5, 5)
    assert 5.0 in ValueRange(0, 10) and 11.0 not in ValueRange(0, 10)
