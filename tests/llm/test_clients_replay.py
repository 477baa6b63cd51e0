"""Record once against a (local fake) endpoint, replay deterministically with no server at all."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hwnas.core.errors import ConfigError, DataError
from hwnas.llm.base import Completion, LLMError, Request, Sampling, chat
from hwnas.llm.clients import load_settings, make_runner
from hwnas.llm.replay import Recorder, ReplayClient


def _requests(*prompts: str) -> list[Request]:
    return [Request(chat(("user", p)), Sampling(temperature=0.3, seed=5)) for p in prompts]


def test_record_then_replay_round_trip(fake_openai: Any, tmp_path: Path, llm_cache: Path) -> None:
    record = tmp_path / "answers.jsonl"
    endpoint = {"base_url": fake_openai.url, "model": "m", "cache_dir": llm_cache, "backoff_s": 0.001}
    recording = make_runner(load_settings({**endpoint, "record_file": record}, environ={}))
    live = recording.run(_requests("a", "b"))
    recording.run(_requests("b", "c"))  # "b" now comes from the cache, "c" from the server: both recorded once
    lines = [json.loads(line) for line in record.read_text().splitlines()]
    assert sorted(line["text"] for line in lines) == ["answer to: a", "answer to: b", "answer to: c"]
    assert {line["model"] for line in lines} == {recording.model}
    assert all(line["sampling"]["seed"] == 5 and line["sampling"]["temperature"] == 0.3 for line in lines)
    fake_openai.stop()
    replay = make_runner(load_settings({"replay_file": record}, environ={}))
    assert replay.model == recording.model and replay.cache is None
    replayed = replay.run(_requests("a", "b", "c"))
    assert [r.text for r in replayed if isinstance(r, Completion)] == ["answer to: a", "answer to: b", "answer to: c"]
    assert [r.text for r in replayed[:2] if isinstance(r, Completion)] == [
        c.text for c in live if isinstance(c, Completion)
    ]


def test_unrecorded_request_names_the_key_and_the_file(tmp_path: Path) -> None:
    record = tmp_path / "r.jsonl"
    [request] = _requests("known")
    Recorder(record).record("openai:m@x", request, "yes", elapsed_s=0.1)
    client = ReplayClient(record)
    assert client.complete(request, timeout_s=1) == "yes"
    [unknown] = _requests("unknown")
    with pytest.raises(LLMError) as info:
        client.complete(unknown, timeout_s=1)
    assert unknown.cache_key("openai:m@x") in str(info.value) and str(record) in str(info.value)
    [outcome] = make_runner(load_settings({"replay_file": record}, environ={})).run([unknown])
    assert isinstance(outcome, LLMError)  # through the runner: returned, not raised, and not retried


def test_recorder_writes_each_key_once_across_instances(tmp_path: Path) -> None:
    record = tmp_path / "r.jsonl"
    [request] = _requests("q")
    assert Recorder(record).record("m1", request, "t", elapsed_s=0)
    assert not Recorder(record).record("m1", request, "t", elapsed_s=0)  # reopened: it knows the key
    assert Recorder(record).record("m2", request, "u", elapsed_s=0)  # another model: another key
    assert len(record.read_text().splitlines()) == 2
    with pytest.raises(ConfigError, match="2 models"):
        ReplayClient(record)
    assert ReplayClient(record, model="m2").complete(request, timeout_s=1) == "u"


def test_malformed_replay_file_names_the_line(tmp_path: Path) -> None:
    record = tmp_path / "r.jsonl"
    record.write_text('{"key": "k", "model": "m", "text": "t"}\n\n{"key": "k2", "model": "m"}\n')
    with pytest.raises(DataError, match=r"r\.jsonl' line 3"):
        ReplayClient(record)
    with pytest.raises(DataError, match="cannot read replay file"):
        ReplayClient(tmp_path / "missing.jsonl")
