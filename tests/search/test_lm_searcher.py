"""lm-searcher on the run loop with scripted and replayed LLMs: garbage answers, time-outs, an exhausted space, tied
scores, resume after a kill (also after picks that fell back, with an exhausted space, a tied history and seeded
archs), picks from the pool by free text, by a constrained answer and by log-likelihood."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from hwnas.contracts.searcher import SEARCHERS
from hwnas.core.errors import ConfigError
from hwnas.encodings.ncode import to_ncode
from hwnas.llm.base import Request, TransientLLMError
from hwnas.llm.clients import CLIENTS, LLMSettings
from hwnas.llm.lm_choice import match_answer
from hwnas.llm.lm_history import Trial, shown_history
from hwnas.llm.lm_searcher import LMSearcherOptions
from hwnas.llm.prompts import load_template
from hwnas.search import build_config, resolve_config, run_search
from hwnas.search.journal import read_journal
from hwnas.spaces import get_space

from .conftest import register_for_test

SPACE = get_space("gpt-tiny")  # 80 archs: small enough to exhaust


class ScriptedClient:
    """Answers with ``answer(request)``; scores with ``scores(request, choices)`` when given one."""

    def __init__(
        self,
        answer: Callable[[Request], str],
        *,
        scores: Callable[[Request, list[str]], list[float]] | None = None,
        structured: bool = False,
    ) -> None:
        self.model = "fake:scripted"
        self.answer, self.scores = answer, scores
        self.structured_output, self.choice_scoring = structured, scores is not None
        self.requests: list[Request] = []

    def complete(self, request: Request, *, timeout_s: float) -> str:
        self.requests.append(request)
        return self.answer(request)

    def score_choices(self, request: Request, choices: list[str], *, timeout_s: float) -> list[float]:
        assert self.scores is not None
        self.requests.append(request)
        return self.scores(request, choices)


@pytest.fixture
def use_client(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[ScriptedClient], None]]:
    def install(client: ScriptedClient) -> None:
        monkeypatch.setitem(CLIENTS, "scripted", lambda settings: client)

    yield install


def candidates(request: Request) -> list[str]:
    """The candidate codes of a chat-format prompt (the lines after 'Candidates:')."""
    user = request.messages[-1].content
    block = user.split("Candidates:\n", 1)[1].split("\n\n", 1)[0]
    return [line.strip() for line in block.splitlines() if line.strip()]


def _config(out: Path, cache: Path, *, run: dict[str, Any] | None = None, **options: Any) -> Any:
    llm = {"client": "scripted", "cache_dir": str(cache), "backoff_s": 0.0, "max_retries": 1}
    searcher = {"name": "lm-searcher", "options": {"trials": 12, "warmup": 2, "pool_size": 4, "llm": llm, **options}}
    base = {"space": SPACE.name, "objectives": ["params:max"], "evaluators": ["analytic"], "searcher": searcher}
    budget = {"iterations": 20, "population": 1, "seed": 3, "batch_size": 1, "out": str(out)}
    return build_config({**base, **budget, **(run or {})})


def _asked(out: Path) -> list[str]:
    return [a for e in read_journal(out / "journal.jsonl")[0] if e["kind"] == "iteration" for a in e["asked"]]


def test_garbage_answers_are_retried_a_bounded_number_of_times_then_fall_back(tmp_path: Path, use_client: Any) -> None:
    client = ScriptedClient(lambda request: "I would pick the third one, it looks great!")
    use_client(client)
    result = run_search(_config(tmp_path / "run", tmp_path / "cache", choice="generate")).result
    paths = result.searcher["paths"] if result.searcher else {}
    assert result.counts["evaluations"] == 12 and result.stopped == "exhausted"  # 12 trials, then the end
    assert paths["warmup"] == 2 and paths["fallback"] == 10 and paths["generated"] == 0
    assert (paths["fallback_random"], paths["fallback_surrogate"]) == (1, 9)  # 2 trials: too few to fit the first
    assert paths["retries"] == 30 and paths["invalid_answers"] == 40 and len(client.requests) == 40
    assert len(set(_asked(tmp_path / "run"))) == 12  # never the same arch twice


def test_a_free_answer_picks_that_candidate_from_the_pool(tmp_path: Path, use_client: Any) -> None:
    picked: list[str] = []

    def last_candidate(request: Request) -> str:
        picked.append(candidates(request)[-1])
        return f"The best is {picked[-1]}."

    use_client(ScriptedClient(last_candidate))
    result = run_search(_config(tmp_path / "run", tmp_path / "cache", choice="generate")).result
    assert result.searcher is not None and result.searcher["paths"]["generated"] == 10
    asked = _asked(tmp_path / "run")[2:]
    codes = {a.arch_id: to_ncode(a, SPACE) for a in SPACE.iter_all()}
    assert [codes[a] for a in asked] == picked


def test_constrained_answers_carry_the_pool_as_an_enum(tmp_path: Path, use_client: Any) -> None:
    client = ScriptedClient(lambda request: json.dumps({"code": candidates(request)[1]}), structured=True)
    use_client(client)
    options = {"llm.structured_output": "on"}
    result = run_search(_config(tmp_path / "run", tmp_path / "cache", **options)).result
    assert result.searcher is not None and result.searcher["mode"] == "constrained"
    assert result.searcher["paths"]["constrained"] == 10
    schema = json.loads(client.requests[0].answer_schema or "")
    assert schema["properties"]["code"]["enum"] == candidates(client.requests[0])


def test_loglik_scoring_picks_the_best_scored_candidate(tmp_path: Path, use_client: Any) -> None:
    def digit_sum(request: Request, choices: list[str]) -> list[float]:
        return [float(sum(map(int, c))) for c in choices]

    client = ScriptedClient(lambda request: "unused", scores=digit_sum)
    use_client(client)
    result = run_search(_config(tmp_path / "run", tmp_path / "cache")).result  # auto -> loglik
    assert result.searcher is not None and result.searcher["mode"] == "loglik"
    assert result.searcher["paths"]["loglik"] == 10 and result.searcher["paths"]["fallback"] == 0
    codes = {a.arch_id: to_ncode(a, SPACE) for a in SPACE.iter_all()}
    for request, arch_id in zip(client.requests, _asked(tmp_path / "run")[2:], strict=True):
        pool = candidates(request)
        assert codes[arch_id] == max(pool, key=lambda c: (sum(map(int, c)), -pool.index(c)))


def test_a_timed_out_endpoint_falls_back_without_hanging(tmp_path: Path, use_client: Any) -> None:
    def time_out(request: Request) -> str:
        raise TransientLLMError("read timed out after 120 s")

    client = ScriptedClient(time_out)
    use_client(client)
    started = time.perf_counter()
    result = run_search(_config(tmp_path / "run", tmp_path / "cache", choice="generate")).result
    assert time.perf_counter() - started < 20
    paths = result.searcher["paths"] if result.searcher else {}
    assert paths["fallback"] == 10 and paths["llm_errors"] == 10 and paths["retries"] == 0
    assert len(client.requests) == 20  # the runner's one retry per request, no more
    assert result.counts["evaluations"] == 12


def test_an_exhausted_space_ends_the_run_cleanly(tmp_path: Path, use_client: Any) -> None:
    use_client(ScriptedClient(lambda request: candidates(request)[0]))
    run = {"iterations": 50, "population": 4}
    outcome = run_search(
        _config(tmp_path / "run", tmp_path / "cache", run=run, trials=500, pool_size=10, choice="generate")
    )
    assert outcome.result.stopped == "exhausted"
    assert outcome.result.counts["evaluations"] == SPACE.size() == len(set(_asked(tmp_path / "run")))
    assert outcome.result.searcher is not None and outcome.result.searcher["paths"]["only_candidate"] == 1


def test_resume_after_a_kill_asks_the_same_archs(tmp_path: Path, use_client: Any) -> None:
    calls = iter(range(10_000))  # answers that change with every call: only the cache makes a resume repeat them
    client = ScriptedClient(lambda request: candidates(request)[next(calls) % len(candidates(request))])
    use_client(client)
    run_search(_config(tmp_path / "full", tmp_path / "cache", choice="generate"))
    target = tmp_path / "resumed"
    target.mkdir()
    shutil.copy(tmp_path / "full" / "config.yaml", target / "config.yaml")
    lines = (tmp_path / "full" / "journal.jsonl").read_text().splitlines(keepends=True)
    (target / "journal.jsonl").write_text("".join(lines[:15]) + lines[15][:30])  # a kill -9 mid-line
    asked_before = len(client.requests)
    run_search(resolve_config({"out": str(target), "resume": True}))
    assert (target / "result.json").read_text() == (tmp_path / "full" / "result.json").read_text()
    assert len(client.requests) == asked_before  # every answer came from the cache


def test_a_replayed_llm_gives_the_recorded_run(tmp_path: Path, use_client: Any) -> None:
    use_client(ScriptedClient(lambda request: candidates(request)[-1]))
    record = tmp_path / "answers.jsonl"
    run_search(
        _config(tmp_path / "recorded", tmp_path / "cache", choice="generate", **{"llm.record_file": str(record)})
    )
    replay = {"llm.client": "replay", "llm.replay_file": str(record)}
    result = run_search(_config(tmp_path / "replayed", tmp_path / "other-cache", choice="auto", **replay)).result
    assert result.searcher is not None and result.searcher["mode"] == "loglik"  # replay scores its recorded text
    assert _asked(tmp_path / "replayed") == _asked(tmp_path / "recorded")


def test_tied_scores_read_one_and_never_divide_by_zero() -> None:
    assert shown_history([Trial("01", 3.0, 0), Trial("10", 3.0, 1)], cap=5) == [
        {"code": "01", "score": "1.0000"},
        {"code": "10", "score": "1.0000"},
    ]
    assert shown_history([Trial("01", -2.5, 0)], cap=5) == [{"code": "01", "score": "1.0000"}]
    assert shown_history([], cap=5) == []
    shown = shown_history([Trial(str(i), float(v), i) for i, v in enumerate([5, 1, 9, 3])], cap=3)
    assert shown == [
        {"code": "0", "score": "0.3333"},
        {"code": "2", "score": "1.0000"},
        {"code": "3", "score": "0.0000"},
    ]


class ConstantEvaluator:
    metrics = ("const",)
    cheap = True

    def evaluate(self, archs: Any) -> list[dict[str, float]]:
        return [{"const": 1.0} for _ in archs]


def test_a_run_whose_scores_all_tie_still_asks_the_llm(
    tmp_path: Path, use_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    register_for_test(monkeypatch, "constant", ConstantEvaluator())
    client = ScriptedClient(lambda request: candidates(request)[0])
    use_client(client)
    run = {"objectives": ["const:max"], "evaluators": ["constant"]}
    result = run_search(_config(tmp_path / "run", tmp_path / "cache", run=run, choice="generate")).result
    assert result.searcher is not None and result.searcher["paths"]["generated"] == 10
    assert all("nan" not in r.messages[-1].content for r in client.requests)


def test_answers_are_matched_to_exactly_one_candidate() -> None:
    codes = ["0123", "0456", "1000"]
    assert match_answer('{"code": "0456"}', codes) == 1
    assert match_answer("I pick 1000.", codes) == 2
    assert match_answer("0123 or 0456", codes) is None and match_answer("9999", codes) is None
    assert match_answer("0123, yes 0123", codes) == 0


def test_options_fold_dotted_llm_keys_and_check_them() -> None:
    options = SEARCHERS.options("lm-searcher", {"llm.base_url": "http://localhost:8000/v1", "llm.model": "m"})
    assert isinstance(options, LMSearcherOptions)
    assert options.llm == {"base_url": "http://localhost:8000/v1", "model": "m"}
    assert (options.trials, options.warmup, options.history_cap, options.pool_size) == (192, 5, 200, 10)
    assert (options.choice, options.generate_retries, options.template) == ("auto", 3, "lmsearch-chat-v1")
    assert options.fallback == "surrogate"
    with pytest.raises(ConfigError, match="unknown LLM setting 'base'"):
        SEARCHERS.options("lm-searcher", {"llm.base": "x"})
    assert set(LLMSettings.model_fields) >= {"client", "base_url", "replay_file"}


def test_a_mode_the_client_cannot_serve_is_refused_up_front(tmp_path: Path, use_client: Any) -> None:
    use_client(ScriptedClient(lambda request: "x"))
    with pytest.raises(ConfigError, match="cannot score choices"):
        run_search(_config(tmp_path / "run", tmp_path / "cache", choice="loglik"))


def test_both_templates_render_the_history_and_the_pool() -> None:
    variables = {
        "space": "gpt-tiny",
        "legend": "NCode ...",
        "objective": "params:max",
        "history": [{"code": "0101", "score": "1.0000"}, {"code": "1100", "score": "0.0000"}],
        "candidates": ["0011", "1111"],
    }
    bare = load_template("lmsearch-bare-v1").render(variables)
    assert len(bare) == 1 and "0101|1.0000,1100|0.0000," in bare[0].content and "0011;1111;" in bare[0].content
    chat = load_template("lmsearch-chat-v1").render(variables)
    assert [m.role for m in chat] == ["system", "user"] and "0101: 1.0000\n1100: 0.0000" in chat[1].content


def _flaky(failures: int) -> Callable[[Request], str]:
    """Times out on its first ``failures`` calls, then answers a candidate that changes with every call (only the
    cache repeats an answer): a resumed run that asked again would be answered where the killed one fell back."""
    calls = iter(range(100_000))

    def answer(request: Request) -> str:
        call = next(calls)
        if call < failures:
            raise TransientLLMError("read timed out")
        return candidates(request)[call % len(candidates(request))]

    return answer


def _resume_from(full: Path, target: Path, lines_kept: int) -> None:
    """``target`` as ``full`` would be had it been killed mid-line after ``lines_kept`` journal lines, resumed."""
    target.mkdir()
    shutil.copy(full / "config.yaml", target / "config.yaml")
    lines = (full / "journal.jsonl").read_text().splitlines(keepends=True)
    torn = lines[lines_kept][:30] if lines_kept < len(lines) else ""
    (target / "journal.jsonl").write_text("".join(lines[:lines_kept]) + torn)
    run_search(resolve_config({"out": str(target), "resume": True}))


def _same_result(one: Path, other: Path) -> dict[str, Any]:
    assert (one / "result.json").read_text() == (other / "result.json").read_text()
    return dict(json.loads((one / "result.json").read_text()))


@pytest.mark.parametrize("fallback", ["random", "surrogate"])
def test_resume_after_fallbacks_takes_the_recorded_picks(tmp_path: Path, use_client: Any, fallback: str) -> None:
    """A failed request is not cached: asked again on resume it would be answered here, and the resumed run would
    ask other archs than the journal records. It takes the journal's picks and counts instead, and the fallbacks'
    draws never moved the run's generator, so the pools after them are the same too."""
    client = ScriptedClient(_flaky(6))  # the first 3 picks time out (2 attempts each)
    use_client(client)
    run_search(_config(tmp_path / "full", tmp_path / "cache", choice="generate", fallback=fallback))
    asked_before = len(client.requests)
    _resume_from(tmp_path / "full", tmp_path / "resumed", 15)  # iterations 0-6 journaled, 7 torn
    paths = _same_result(tmp_path / "resumed", tmp_path / "full")["searcher"]["paths"]
    assert paths["fallback"] == 3 and paths["llm_errors"] == 3 and paths["generated"] == 7
    # the first fallback has 2 scored trials: too few for the surrogate, so it is random either way
    assert (paths["fallback_random"], paths["fallback_surrogate"]) == ((3, 0) if fallback == "random" else (1, 2))
    assert len(client.requests) == asked_before  # no pick re-asked: recorded ones taken, later ones cached


def test_an_exhausted_space_ends_the_same_on_resume(tmp_path: Path, use_client: Any) -> None:
    use_client(ScriptedClient(_flaky(10)))
    run = {"iterations": 50, "population": 4}
    run_search(_config(tmp_path / "full", tmp_path / "cache", run=run, trials=500, pool_size=10, choice="generate"))
    _resume_from(tmp_path / "full", tmp_path / "killed", 1 + 5 * 6)  # 6 iterations of 4 evaluations each
    _resume_from(tmp_path / "full", tmp_path / "finished", 10_000)  # resuming a finished run changes nothing
    for resumed in ("killed", "finished"):
        result = _same_result(tmp_path / resumed, tmp_path / "full")
        assert result["stopped"] == "exhausted" and result["counts"]["evaluations"] == SPACE.size()
        assert result["searcher"]["paths"]["fallback"] >= 1


def test_a_tied_history_resumes_the_same(tmp_path: Path, use_client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    register_for_test(monkeypatch, "constant", ConstantEvaluator())
    use_client(ScriptedClient(_flaky(8)))
    run = {"objectives": ["const:max"], "evaluators": ["constant"]}
    run_search(_config(tmp_path / "full", tmp_path / "cache", run=run, choice="generate"))
    _resume_from(tmp_path / "full", tmp_path / "resumed", 13)
    paths = _same_result(tmp_path / "resumed", tmp_path / "full")["searcher"]["paths"]
    assert paths["fallback"] == paths["fallback_random"] == 4  # tied scores teach the surrogate nothing


def test_a_seeded_first_batch_replays_only_the_searchers_own_picks(tmp_path: Path, use_client: Any) -> None:
    seed = next(iter(SPACE.iter_all()))
    init = tmp_path / "init.jsonl"
    init.write_text(json.dumps(seed.to_dict()) + "\n")
    use_client(ScriptedClient(_flaky(4)))  # both LLM picks of the first batch (after the seed) time out
    run = {"population": 3, "init_archs": str(init)}
    run_search(_config(tmp_path / "full", tmp_path / "cache", run=run, warmup=0, choice="generate"))
    assert _asked(tmp_path / "full")[0] == seed.arch_id
    _resume_from(tmp_path / "full", tmp_path / "resumed", 1 + 4 * 2)  # two iterations of 3 evaluations
    assert _same_result(tmp_path / "resumed", tmp_path / "full")["searcher"]["paths"]["fallback"] == 2


def _embedded_ready() -> bool:
    try:
        from hwnas.llm.embedded import EmbeddedClient
        from hwnas.llm.embedded_hf import MARKER, converted_dir

        client = EmbeddedClient(backend="transformers")
        return (converted_dir(client.location.path, client.converted_root) / MARKER).is_file()
    except Exception:
        return False


@pytest.mark.skipif(not _embedded_ready(), reason="the embedded model is not downloaded and converted here")
def test_the_embedded_model_scores_every_choice() -> None:
    from hwnas.llm.base import Sampling, chat
    from hwnas.llm.embedded import EmbeddedClient

    client = EmbeddedClient(backend="transformers")
    request = Request(chat(("user", "Answer with one code: 0123 or 4567 or 8901?")), Sampling(max_tokens=8))
    scores = client.score_choices(request, ["0123", "4567", "8901"], timeout_s=60)
    assert len(scores) == 3 and all(np.isfinite(scores)) and all(s < 0 for s in scores)
    assert scores == client.score_choices(request, ["0123", "4567", "8901"], timeout_s=60)  # the cache was cut back
