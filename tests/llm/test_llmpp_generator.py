from __future__ import annotations

import json

import pytest

from hwnas.core.errors import ConfigError
from hwnas.core.objectives import parse_constraints
from hwnas.llm.base import LLMError
from hwnas.llm.generator import genes_from_mapping, parse_proposals, propose_archs
from hwnas.llm.prompts import arch_line
from hwnas.metrics import analytic_metrics
from hwnas.search.evaluator import AnalyticEvaluator
from hwnas.spaces import get_space

from .llmpp_fakes import ScriptedRunner, user_text

SPACE = get_space("hat-wmt14ende")
SMALL, LARGE = SPACE.smallest(), SPACE.largest()
BUDGET = (analytic_metrics(SMALL, SPACE)["flops"] + analytic_metrics(LARGE, SPACE)["flops"]) / 2


def _line(arch) -> str:  # type: ignore[no-untyped-def]
    return json.dumps(arch.to_dict()["genes"])


def _mid() -> object:
    return SPACE.make({**SMALL.genes, "encoder_embed_dim": 640})


ANSWER = "\n".join(
    [
        "Here are my proposals:",
        _line(SMALL),  # valid, feasible
        _line(LARGE),  # valid, violates flops
        _line(SMALL),  # duplicate
        json.dumps({**SMALL.to_dict()["genes"], "encoder_embed_dim": 700}),  # invalid value
        '{"encoder_embed_dim": 640, "decoder_layer_num": ',  # cut off: not an object
        "{this is: [not, valid}",  # malformed
        _line(_mid()),  # valid, feasible
        "Hope this helps!",
    ]
)


def test_drops_and_counts_invalid_violating_and_duplicates() -> None:
    runner = ScriptedRunner(lambda r: ANSWER)
    constraints = parse_constraints([f"flops<={BUDGET}"])
    archs, stats = propose_archs(
        runner, SPACE, k=2, constraints=constraints, evaluators=[AnalyticEvaluator(SPACE)], seed=3
    )
    assert archs == [SMALL, _mid()]
    assert stats.to_dict() == {
        "n_asked": 2,
        "n_proposed": 7,
        "n_invalid": 3,
        "n_violating": 1,
        "n_duplicate": 1,
        "n_surplus": 0,
        "n_accepted": 2,
        "rounds": 1,
        "llm_failures": 0,
    }
    [request] = runner.requests
    assert request.sampling.seed == 3 and f"flops<={BUDGET:g}"[:8] in user_text(request)
    assert "Propose 2 different architectures" in user_text(request)


def test_rounds_ask_for_what_is_missing_and_stop_at_max_rounds() -> None:
    answers = iter(["nothing useful", LLMError("time-out"), _line(SMALL), _line(SMALL) + "\n" + _line(LARGE)])
    runner = ScriptedRunner(lambda r: next(answers))
    archs, stats = propose_archs(runner, SPACE, k=3, max_rounds=4)
    assert archs == [SMALL, LARGE]
    assert (stats.rounds, stats.llm_failures, stats.n_duplicate, stats.n_asked) == (4, 1, 1, 3 + 3 + 3 + 2)
    assert [r.sampling.seed for r in runner.requests] == [0, 1, 2, 3]
    assert "already taken" not in user_text(runner.requests[2])
    assert "already taken" in user_text(runner.requests[3])  # once one is accepted, later rounds list it


def test_surplus_archs_beyond_k_are_counted() -> None:
    runner = ScriptedRunner(lambda r: _line(SMALL) + "\n" + _line(LARGE))
    archs, stats = propose_archs(runner, SPACE, k=1)
    assert archs == [SMALL] and stats.n_surplus == 1 and stats.rounds == 1


def test_unknown_constraint_metric_is_refused_before_asking() -> None:
    runner = ScriptedRunner(lambda r: ANSWER)
    with pytest.raises(ConfigError, match="metric 'latency' is not computed"):
        propose_archs(runner, SPACE, k=1, constraints=parse_constraints(["latency<=100"]), evaluators=[])
    assert runner.calls == []


def test_lenient_keys_values_and_wrappers() -> None:
    hat_keys = {
        "encoder-embed-dim-subtransformer": "640",
        "encoder_ffn_embed_dim": 3072,  # one value for every layer
        "encoder_self_attention_heads": [8, 8, 8, 8, 8, 8],
        "decoder_embed_dim": 512,
        "decoder-layer-num-subtransformer": 2,
        "decoder-ffn-embed-dim-all-subtransformer": [2048, 1024, 3072],  # longer than needed: cut
        "decoder_self_attention_heads": [4, 4],
        "decoder_ende_attention_heads": [4, 8],
        "decoder_arbitrary_ende_attn": [-1, 2],
        "expected_bleu": 27.1,  # not a gene: ignored
    }
    genes = genes_from_mapping(hat_keys, SPACE)  # encoder layer num (one choice, 6) left out
    arch = SPACE.make(genes)
    assert arch["encoder_embed_dim"] == 640 and arch["encoder_ffn_embed_dim"] == (3072,) * 6
    assert arch["decoder_ffn_embed_dim"] == (2048, 1024)
    wrapped = json.dumps(arch.to_dict(), indent=2)  # {"space", "genes"} over several lines
    yaml_flow = "{encoder_embed_dim: 512, " + _line(SMALL)[len('{"encoder_embed_dim": 512, ') :]
    archs, invalid = parse_proposals(f"A:\n{wrapped}\nB: {yaml_flow}", SPACE)
    assert archs == [arch, SMALL] and invalid == 0
    hat_line = arch_line(LARGE)  # "encoder embed dim: 640, ..., decoder arbitrary ende attn: [2, 2, ...]"
    answer = f"Note: these are mine.\n1. {hat_line}.\nencoder embed dim: 640, decoder layer num: 9, x: 1\n"
    archs, invalid = parse_proposals(answer, SPACE)
    assert archs == [LARGE] and invalid == 1  # the second line looks like an arch but is not a valid one


def test_bad_knobs() -> None:
    with pytest.raises(ConfigError, match="must be >= 1"):
        propose_archs(ScriptedRunner(lambda r: ""), SPACE, k=0)
