"""The journal fsyncs per append only when an entry is worth more than computing it again: a run whose evaluators
are all cheap (analytic counts, a benchmark table) flushes each entry and fsyncs once when it closes, and still
resumes from a killed session's journal."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from hwnas.core.files import AppendLog, read_json_lines
from hwnas.search import build_config, resolve_config, run_search
from hwnas.search.journal import read_journal

from .fakes import CountingEvaluator


@pytest.fixture
def fsyncs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every file descriptor os.fsync was called with, through hwnas.core.files (the journal's writer)."""
    calls: list[int] = []
    real_fsync = os.fsync

    def counting_fsync(fd: int) -> None:
        calls.append(fd)
        real_fsync(fd)

    monkeypatch.setattr("hwnas.core.files.os.fsync", counting_fsync)
    return calls


def test_an_unsynced_log_flushes_every_append_and_fsyncs_once_on_close(tmp_path: Path, fsyncs: list[int]) -> None:
    path = tmp_path / "log.jsonl"
    log = AppendLog(path, sync=False)
    for i in range(5):
        log.append({"i": i})
        assert len(read_json_lines(path)[0]) == i + 1  # readable by another process at once (a kill keeps it)
    assert fsyncs == []
    log.close()
    assert len(fsyncs) == 1
    with AppendLog(path) as synced:  # the default still fsyncs each append
        synced.append_many([{"i": 5}, {"i": 6}])
        synced.append({"i": 7})
    assert len(fsyncs) == 3 and len(read_json_lines(path)[0]) == 8


def _run(out: Path, evaluators: list[str], **overrides: Any) -> Any:
    config = {"space": "gpt-s", "objectives": ["params:min"], "searcher": "random", "population": 5}
    return build_config({**config, "evaluators": evaluators, "iterations": 12, "batch_size": 2, "out": str(out)})


def test_a_cheap_run_fsyncs_its_journal_once_and_resumes(tmp_path: Path, fsyncs: list[int]) -> None:
    run_search(_run(tmp_path / "full", ["analytic"]))
    entries = read_journal(tmp_path / "full" / "journal.jsonl")[0]
    # config.yaml, the journal once on close, result.json, best_arch.json, timings.json: 5, not one per entry
    assert len(entries) > 70 and len(fsyncs) == 5

    lines = (tmp_path / "full" / "journal.jsonl").read_text().splitlines(keepends=True)
    (tmp_path / "cut").mkdir()
    (tmp_path / "cut" / "config.yaml").write_text((tmp_path / "full" / "config.yaml").read_text())
    (tmp_path / "cut" / "journal.jsonl").write_text("".join(lines[:20]) + lines[20][:15])  # a kill mid-line
    run_search(resolve_config({"out": str(tmp_path / "cut"), "resume": True}))
    assert (tmp_path / "cut" / "result.json").read_bytes() == (tmp_path / "full" / "result.json").read_bytes()


def test_a_run_with_an_expensive_evaluator_fsyncs_every_append(
    tmp_path: Path, fsyncs: list[int], counting: CountingEvaluator
) -> None:
    config = build_config(
        {"space": "hat-wmt14ende", "objectives": ["width:max"], "evaluators": ["counting"], "searcher": "random",
         "population": 4, "iterations": 5, "batch_size": 2, "out": str(tmp_path / "run")}
    )  # fmt: skip
    run_search(config)
    entries = read_journal(tmp_path / "run" / "journal.jsonl")[0]
    appends = 1 + 5 + 5 * 2  # the session, one iteration entry and two eval batches per iteration
    assert len(entries) == 1 + 5 + 20 and len(fsyncs) >= appends
