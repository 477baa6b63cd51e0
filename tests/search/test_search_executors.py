"""Executors: a process pool gives the serial run's result.json; an arch an evaluator fails fails alone; batches
spread over an evaluator's devices; outcomes are journaled in asked order whatever finishes first."""

from __future__ import annotations

from concurrent.futures import Future
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from hwnas.contracts.evaluator import Outcome
from hwnas.contracts.executor import EvaluationBatch, EvaluatorSpec
from hwnas.core.objectives import Objective
from hwnas.search import build_config, run_search
from hwnas.search.evaluation import EvaluationService
from hwnas.search.evaluator import build_evaluator
from hwnas.search.executors import SerialExecutor
from hwnas.search.journal import Journal, read_journal
from hwnas.search.records import Scorer
from hwnas.spaces import get_space

HERE = Path(__file__).parent
SPACE = get_space("hat-wmt14ende")
SMALL = {"population": 12, "parents": 3, "mutation_size": 5, "crossover_size": 5, "batch_size": 4, "iterations": 4}


@pytest.fixture(autouse=True)
def plugin(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """The test evaluators, in this process and in spawned workers (which inherit sys.path and the environment)."""
    monkeypatch.syspath_prepend(str(HERE))
    monkeypatch.setenv("HWNAS_PLUGINS", "hwnas_test_outcome_plugin")
    log = tmp_path / "placed.log"
    monkeypatch.setenv("HWNAS_TEST_PLACED_LOG", str(log))
    return log


def _config(out: Path, **overrides: Any) -> Any:
    base = {"space": SPACE.name, "objectives": ["width:max"], "constraints": ["flops<=3e9"], "seed": 2}
    return build_config({**base, **SMALL, "evaluators": ["analytic", "picky"], "out": str(out), **overrides})


def test_a_process_pool_gives_the_serial_result(tmp_path: Path) -> None:
    serial = run_search(_config(tmp_path / "serial"))
    pooled = run_search(_config(tmp_path / "pool", executor={"name": "process", "options": {"workers": 2}}))
    assert (tmp_path / "pool" / "result.json").read_bytes() == (tmp_path / "serial" / "result.json").read_bytes()
    journals = [read_journal(tmp_path / run / "journal.jsonl")[0] for run in ("serial", "pool")]
    evals = [[(e["arch_id"], e["metrics"], e["error"]) for e in j if e["kind"] == "eval"] for j in journals]
    assert evals[0] == evals[1]  # the same outcomes in the same (asked) order
    assert serial.result.counts["failed"] > 0 and pooled.result.counts == serial.result.counts


def test_an_arch_the_evaluator_fails_fails_alone_without_a_rerun() -> None:
    picky = build_evaluator("picky", SPACE)
    archs = [SPACE.sample(np.random.default_rng(i)) for i in range(8)]
    service = EvaluationService(evaluators=[picky], scorer=Scorer((Objective("width", "max"),)), batch_size=8)
    records = service.evaluate(archs).records
    failing = [a["decoder_layer_num"] == 3 for a in archs]
    assert any(failing) and not all(failing)
    assert [r.status == "failed" for r in records] == failing
    assert all(r.error == "three decoder layers" for r, bad in zip(records, failing, strict=True) if bad)
    assert picky.calls == 1  # type: ignore[attr-defined]  # one call for the batch: no arch-by-arch re-run


def test_batches_take_turns_over_the_devices(tmp_path: Path, plugin: Path) -> None:
    spec = EvaluatorSpec("placed", SPACE.name, {}, ("cpu", "meta"))
    executor = SerialExecutor([spec], {"placed": build_evaluator("placed", SPACE, spec.options_for(0))})
    archs = [SPACE.smallest(), SPACE.largest(), SPACE.smallest()]
    futures = [executor.submit(EvaluationBatch(("placed",), (arch,))) for arch in archs]
    assert [f.result()[0].ok for f in futures] == [True, True, True]
    assert [line.split()[0] for line in plugin.read_text().splitlines()] == ["cpu", "meta", "cpu"]


def test_devices_change_where_not_what(tmp_path: Path, plugin: Path) -> None:
    one = {"evaluators": ["analytic", "placed"]}
    two = {"evaluators": [{"name": "analytic"}, {"name": "placed", "devices": ["cpu", "other"]}]}
    run_search(_config(tmp_path / "one", **one))
    plugin.unlink()
    run_search(_config(tmp_path / "two", **two))
    assert (tmp_path / "one" / "result.json").read_bytes() == (tmp_path / "two" / "result.json").read_bytes()
    assert {line.split()[0] for line in plugin.read_text().splitlines()} == {"cpu", "other"}


class _Reversed:
    """An executor whose batches finish in reverse order of submission (it answers when all are in)."""

    capacity = 3

    def __init__(self) -> None:
        self.pending: list[tuple[EvaluationBatch, Future[list[Outcome]]]] = []
        self.inner = SerialExecutor([], {"picky": build_evaluator("picky", SPACE)})

    def submit(self, batch: EvaluationBatch) -> Future[list[Outcome]]:
        future: Future[list[Outcome]] = Future()
        self.pending.append((batch, future))
        if len(self.pending) == self.capacity:
            for waiting, answer in reversed(self.pending):
                answer.set_result(self.inner.submit(waiting).result())
            self.pending.clear()
        return future

    def close(self) -> None:
        pass


def test_outcomes_are_journaled_in_asked_order_whatever_finishes_first(tmp_path: Path) -> None:
    archs = [SPACE.sample(np.random.default_rng(i)) for i in range(6)]
    scorer = Scorer((Objective("width", "max"),))
    with Journal.open(tmp_path / "journal.jsonl") as journal:
        service = EvaluationService(
            evaluators=[build_evaluator("picky", SPACE)],
            scorer=scorer,
            names=["picky"],
            executor=_Reversed(),
            journal=journal,
            batch_size=2,
        )
        records = service.evaluate(archs).records
    assert [r.arch.arch_id for r in records] == [a.arch_id for a in archs]
    journaled = [e["arch_id"] for e in read_journal(tmp_path / "journal.jsonl")[0]]
    assert journaled == [a.arch_id for a in archs]
