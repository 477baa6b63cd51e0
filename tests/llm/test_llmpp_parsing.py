from __future__ import annotations

import json
from pathlib import Path

import pytest

from hwnas.llm.parsing import ANSWER_SCHEMA, ValueRange, metric_terms, numbers, parse_answer, parse_number


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
        ("somewhere in 26-28", 27.0),  # a range: its midpoint
        ("between 26 to 28", 27.0),
        ("**26.75**", 26.75),
        ("  \n 3e1 \n", 30.0),
        ("150 is too much; 99.9", 99.9),
        ("27.3%", 27.3),
        ("0", 0.0),
        ("100", 100.0),
    ],
)
def test_plain_answers(text: str, expected: float) -> None:
    assert parse_number(text) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("text", "expected", "rule"),
    [
        # list markers are not answers; a one-item list is an answer
        ("1. 25.26", 25.26, "only"),
        ("Answer: 1. 25.3", 25.3, "only"),
        ("2) 24.8", 24.8, "only"),
        # an index or a label is not the answer
        ("Model 3: 25.1", 25.1, "only"),
        ("For model #4 I get 25.2", 25.2, "only"),
        # a count of things is not an answer (seen with SmolLM2: a 10.0 read from "the 10 training instances")
        ("Trained on the 10 training instances, it reaches 25.7", 25.7, "only"),
        ("With 6 layers and 4 heads the score is 26.2", 26.2, "only"),
        # echoed hyperparameters are not answers (seen with SmolLM2: a 6.0 read from "encoder layer num: 6")
        ("encoder layer num: 6, decoder layer num: 2\nBLEU: 25.4", 25.4, "tied"),
        ("Encoder embed dim: 640, encoder layer num: 6\n25.4", 25.4, "only"),
        # the answer on the line after "... BLEU ... is:", with or without a bullet (seen with SmolLM2)
        (
            "The valid BLEU of this new model, trained the same way, is:\n44.53\n\nThe size of the valid BLE",
            44.53,
            "tied",
        ),
        ("The valid BLEU of this new model, trained the same way, is:\n\n- 24.56\n\nThe size of the", 24.56, "tied"),
        # several numbers: the one tied to an answer word, else to the metric
        ("Based on model 2 (BLEU 24.1), I estimate 25.0", 25.0, "tied"),
        ("Model 1 has 6 layers; its valid BLEU is 24.9.", 24.9, "tied"),
        # a structured answer
        ('{"value": 25.3}', 25.3, "json"),
        ('```json\n{"bleu": 26.1, "confidence": 0.4}\n```', 26.1, "json"),
        ('{"predicted": 23}', 23.0, "json"),
        ('{ "value": 24.', 24.0, "tied"),  # a JSON answer cut short by the token budget still names its value
    ],
)
def test_the_answer_not_the_first_number(text: str, expected: float, rule: str) -> None:
    answer = parse_answer(text)
    assert answer.value == pytest.approx(expected) and answer.rule == rule and answer.ok


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("1. 25.26\n2. 24.56\n3. 24.01", "ambiguous"),  # several answers: which one? none (was 1.0)
        ("1. 25.87\n2. 24.65\n3. 24.65", "ambiguous"),
        ("It could be 24.5 or 26.0", "ambiguous"),
        (
            "The valid BLEU of this new model, trained the same way:\n\nEncoder embed dim: 640, encoder layer num: 6",
            "none",
        ),
        ("I cannot predict the BLEU without training the model.", "none"),  # refusal
        ("The model was trained using the 10 training instances. The valid BLEU was calculated", "none"),
        ("I'm sorry, but as an AI I can't know that.", "none"),
        ("BLEU: 150", "out-of-range"),  # tied but implausible: failed, never another number instead
        ('{"value": -3}', "out-of-range"),
        ("", "none"),
    ],
)
def test_failed_answers_say_why(text: str, rule: str) -> None:
    answer = parse_answer(text)
    assert answer.value is None and not answer.ok and answer.rule == rule and answer.reason


@pytest.mark.parametrize("text", ["", "I cannot know that.", "150", "-3", "BLEU-4", "v2.1-beta", "wmt14"])
def test_no_plausible_number(text: str) -> None:
    assert parse_number(text) is None


def test_the_metric_names_the_tie() -> None:
    assert metric_terms("valid BLEU") == ("bleu",)
    assert metric_terms("accuracy") == ("accuracy",)
    assert parse_number("Model 2 reached 71.0 accuracy; my accuracy estimate: 73.5", metric="accuracy") == 73.5
    assert parse_answer("Perplexity: 31.2", ValueRange(1, 1000), metric="perplexity").rule == "tied"


def test_signs_and_ranges() -> None:
    assert numbers("26-28") == [26.0, 28.0]  # a dash after a digit is not a minus sign
    assert numbers("x: -3.5") == [-3.5]
    assert numbers("x: −2") == [-2.0]  # unicode minus
    assert parse_number("delta -3.5", ValueRange(-10, 10)) == -3.5
    assert parse_number("delta -30 then 4", ValueRange(-10, 10)) == 4.0


def test_the_schema_asks_for_one_number() -> None:
    assert ANSWER_SCHEMA["required"] == ["value"]
    assert parse_number(json.dumps({"value": 24.75})) == 24.75


def test_value_range_must_be_ordered() -> None:
    with pytest.raises(ValueError, match="low < high"):
        ValueRange(5, 5)
    assert 5.0 in ValueRange(0, 10) and 11.0 not in ValueRange(0, 10)


def test_every_recorded_answer_of_the_committed_runs_reads_as_its_answer() -> None:
    """The answers the embedded model gave in the committed LLM-PP runs: none parses to a list marker or an echoed
    hyperparameter (values below 10 are far from every seed arch's BLEU, 21-47)."""
    results = Path(__file__).resolve().parents[2] / "benchmarks" / "results"
    texts = []
    for path in sorted(results.glob("llm_pp-*.json")):
        for run in json.loads(path.read_text())["runs"]:
            for split in run["result"]["splits"]:
                texts += [s["text"] for p in split["predictions"] for s in p["samples"] if s["text"] is not None]
    assert len(texts) > 300
    values = [parse_number(t) for t in texts]
    assert all(v is None or v > 10 for v in values)
    assert sum(v is None for v in values) <= 0.05 * len(values)  # 17 of 769 (2.2%) in the runs committed so far
