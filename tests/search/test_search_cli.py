"""`hwnas search` end to end: the acceptance command, bad input (exit 2, nothing written), the flag <-> config-key
mapping, and resume after a real ``kill -9`` of a search subprocess."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import typer
import yaml
from typer.main import get_command
from typer.testing import CliRunner

from hwnas.cli import search_cmd
from hwnas.llm.distill import fit_on_labels, sample_archs
from hwnas.metrics import analytic_metrics
from hwnas.search.config import SearchConfig
from hwnas.search.config_layers import ALIAS_KEYS
from hwnas.search.journal import read_journal
from hwnas.spaces import get_space

from .fakes import CountingEvaluator

HERE = Path(__file__).parent
# The search command, whether or not cli/main.py registers it yet.
RUN_CLI = (
    "from hwnas.cli.main import app; from hwnas.cli import search_cmd\n"
    "if not any(c.name == 'search' for c in app.registered_commands): search_cmd.register(app)\n"
    "app()"
)

CELLS_SPACE = Path(__file__).resolve().parents[1] / "fixtures" / "cells-space.yaml"  # a family without counts


def _app() -> typer.Typer:
    app = typer.Typer()
    search_cmd.register(app)

    @app.callback()
    def root() -> None:
        """Keep `search` a named subcommand."""

    return app


def _invoke(*args: str) -> object:
    return CliRunner().invoke(_app(), ["search", *args])


ACCEPTANCE = ["--space", "hat-wmt14ende", "--objective", "params:max", "--constraint", "flops<=3e9"]
ACCEPTANCE += ["--algorithm", "evolution", "--iterations", "30", "--population", "125", "--seed", "1"]


def test_acceptance_command_respects_the_constraint(tmp_path: Path) -> None:
    started = time.perf_counter()
    result = _invoke(*ACCEPTANCE, "--out", str(tmp_path / "run"))
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert time.perf_counter() - started < 20
    assert "best arch" in result.stdout and str(tmp_path / "run") in result.stdout  # type: ignore[attr-defined]
    data = json.loads((tmp_path / "run" / "result.json").read_text())
    assert data["best"]["metrics"]["flops"] <= 3e9 and data["counts"]["iterations"] == 30
    journal = [e for e in read_journal(tmp_path / "run" / "journal.jsonl")[0] if e["kind"] == "eval"]
    assert all(e["metrics"]["flops"] <= 3e9 for e in journal)
    assert data["best"]["metrics"]["params"] == max(e["metrics"]["params"] for e in journal)
    assert [h["best"]["params"] for h in data["history"]] == sorted(h["best"]["params"] for h in data["history"])


def test_config_file_with_flag_override_and_json_output(tmp_path: Path) -> None:
    config = tmp_path / "search.yaml"
    config.write_text(
        "space: tiny\nobjectives: [params:max, flops:min]\niterations: 3\npopulation: 8\nparents: 2\nseed: 9\n"
    )
    result = _invoke("--config", str(config), "--seed", "4", "--out", str(tmp_path / "run"), "--json")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    printed = json.loads(result.stdout)  # type: ignore[attr-defined]
    assert printed["result"]["seed"] == 4 and printed["result"]["pareto_front"]
    assert printed["result"] == json.loads((tmp_path / "run" / "result.json").read_text())
    assert printed["timings"] == json.loads((tmp_path / "run" / "timings.json").read_text())
    assert len(printed["timings"]["iterations_s"]) == 3 and "timings" not in printed["result"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--space", "nope", "--objective", "params:max"], "unknown search space 'nope'"),
        (["--space", "hat-wmt14ende", "--objective", "params:max", "--constraint", "params<=1"], "cannot be met"),
        (["--space", "hat-wmt14ende", "--objective", "energy:min"], "unknown metric 'energy'"),
        (["--space", "hat-wmt14enfr", "--objective", "latency:min", "--device", "cpu"], "give --latency-model"),
        (["--space", "tiny", "--objective", "params:max", "--constraint", "flops=<1"], "malformed"),
        (["--space", "tiny", "--objective", "params:max", "--algorithm", "genetic"], "unknown searcher"),
        (["--space", str(CELLS_SPACE), "--objective", "params:max"], "has no analytic metrics"),
        (["--space", "tiny", "--objective", "params:max", "--mutation-prob", "2"], "'mutation_prob'"),
        (["--space", "tiny", "--fitness-schedule", "analytic:0-3"], "ends at iteration 3 but the run has"),
        (["--space", "tiny", "--fitness", "analytic", "--fitness-schedule", "analytic:0-"], "either fitness"),
        (["--space", "tiny", "--fitness-schedule", "analytic:0-2,nope:3-"], "unknown evaluator 'nope'"),
        (["--space", "hat-wmt14ende", "--fitness-schedule", "llm-distill:0-"], "give --accuracy-model PATH"),
        (["--space", "tiny", "--objective", "params:max", "--init-archs", "missing.jsonl"], "cannot read init"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(tmp_path: Path, args: list[str], message: str) -> None:
    result = _invoke(*args, "--out", str(tmp_path / "run"))
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()  # type: ignore[attr-defined]
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0]
    assert not (tmp_path / "run").exists()


def test_latency_constraint_uses_the_shipped_predictor_by_default(tmp_path: Path) -> None:
    """The README's command: 'latency<=X' with no --latency-model and no latency evaluator is answered by the
    predictor shipped for (space, this device), checked as a cheap constraint on every evaluated arch."""
    args = ["--space", "hat-wmt14ende", "--objective", "params:max", "--constraint", "latency<=500"]
    args += ["--device", "cpu", "--iterations", "3", "--population", "20", "--parents", "5"]
    args += ["--out", str(tmp_path / "run")]
    result = _invoke(*args, "--json")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    best = json.loads(result.output)["result"]["best"]  # type: ignore[attr-defined]
    assert best is not None and 0 < best["metrics"]["latency"] <= 500
    entries, _ = read_journal(tmp_path / "run" / "journal.jsonl")
    evaluated = [e for e in entries if e.get("kind") == "eval"]
    assert evaluated and all(e["metrics"]["latency"] <= 500 for e in evaluated)


def test_malformed_config_file_and_existing_run_dir(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("space: [unclosed\n")
    result = _invoke("--config", str(bad), "--out", str(tmp_path / "run"))
    assert result.exit_code == 2 and "malformed YAML" in result.output and not (tmp_path / "run").exists()  # type: ignore[attr-defined]
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "x").write_text("")
    result = _invoke("--space", "tiny", "--objective", "params:max", "--out", str(tmp_path / "used"))
    assert result.exit_code == 2 and "pass --resume" in result.output  # type: ignore[attr-defined]
    assert [p.name for p in (tmp_path / "used").iterdir()] == ["x"]


def test_schedule_init_archs_and_accuracy_model_flags(tmp_path: Path, counting: CountingEvaluator) -> None:
    """A hybrid run through the CLI: a real distilled accuracy model (fitted on labels that grow with the
    parameter count) ranks the first two iterations, the counting evaluator the rest; seeds start generation 0."""
    space = get_space("hat-wmt14ende")
    labels = [
        {**a.to_dict(), "value": 20 + analytic_metrics(a, space)["params"] / 1e7} for a in sample_archs(space, 40, 0)
    ]
    fit_on_labels(labels, space, regressor="gbdt", seed=0).save(tmp_path / "model.npz")
    seeds = tmp_path / "seeds.jsonl"
    seeds.write_text(json.dumps(space.smallest().to_dict()) + "\n")
    args = ["--space", "hat-wmt14ende", "--fitness-schedule", "llm-distill:0-1", "--fitness-schedule", "counting:2-"]
    args += ["--accuracy-model", str(tmp_path / "model.npz"), "--init-archs", str(seeds), "--iterations", "4"]
    args += ["--population", "12", "--parents", "3", "--mutation-size", "4", "--crossover-size", "4"]
    result = _invoke(*args, "--out", str(tmp_path / "run"))
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert "phase 0 llm-distill (iterations 0-1, bleu_pred:max)" in result.stdout  # type: ignore[attr-defined]
    stored = yaml.safe_load((tmp_path / "run" / "config.yaml").read_text())
    assert stored["fitness_schedule"] == ["llm-distill:0-1", "counting:2-"]
    assert stored["accuracy_model"] == str(tmp_path / "model.npz") and stored["init_archs"] == str(seeds)
    data = json.loads((tmp_path / "run" / "result.json").read_text())
    assert [p["objectives"] for p in data["fitness_schedule"]] == [["bleu_pred:max"], ["width:min"]]
    assert data["init_archs"]["used"] == 1 and data["history"][0]["phase"] == 0
    journal = read_journal(tmp_path / "run" / "journal.jsonl")[0]
    assert next(e for e in journal if e["kind"] == "iteration")["asked"][0] == space.smallest().arch_id
    assert all("bleu_pred" in e["metrics"] for e in journal if e["kind"] == "eval" and e["phase"] == 0)


def test_a_bad_init_archs_line_is_one_line_exit_2(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds.jsonl"
    seeds.write_text('{"space": "tiny", "genes": {}}\n')
    result = _invoke(
        "--space", "tiny", "--objective", "params:max", "--init-archs", str(seeds), "--out", str(tmp_path / "r")
    )
    assert result.exit_code == 2 and "seeds.jsonl' line 1: space 'tiny': gene" in result.output  # type: ignore[attr-defined]
    assert not (tmp_path / "r").exists()


def test_every_flag_is_a_config_key_and_vice_versa() -> None:
    """Each flag fills a config key (a 0.1 alias key included), and every key has a flag."""
    command = get_command(_app()).commands["search"]  # type: ignore[attr-defined]
    flags = {opt for param in command.params for opt in param.opts if opt.startswith("--")}
    assert flags - {"--config", "--json", "--describe"} == set(search_cmd.FLAG_TO_KEY)
    assert set(search_cmd.FLAG_TO_KEY.values()) == set(SearchConfig.model_fields) | set(ALIAS_KEYS)


PLAIN = ["--objective", "score:max", "--evaluator", "slow"]
HYBRID = ["--fitness-schedule", "slow-rank:0-5,slow:6-"]


def _search(out: Path, env: dict[str, str], fitness: list[str], *extra: str) -> subprocess.Popen[str]:
    args = ["--space", "hat-wmt14ende", *fitness, "--evaluator", "analytic"]
    args += ["--constraint", "flops<=3e9", "--iterations", "12", "--population", "24", "--parents", "6"]
    args += ["--mutation-size", "9", "--crossover-size", "9", "--batch-size", "4", "--seed", "3", "--out", str(out)]
    command = [sys.executable, "-c", RUN_CLI, "search", *args, *extra]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _journaled(run_dir: Path) -> set[tuple[str, str]]:
    """(slow metric, arch_id) of every journaled evaluation: with a schedule an arch may be evaluated per phase."""
    entries = [e for e in read_journal(run_dir / "journal.jsonl")[0] if e["kind"] == "eval"]
    return {(m, e["arch_id"]) for e in entries for m in ("score", "rank") if m in e["metrics"]}


def _evaluated_by(log: Path, pid: int) -> set[tuple[str, str]]:
    rows = [line.split() for line in log.read_text().splitlines()]
    return {(row[1], row[2]) for row in rows if row[0] == str(pid)}


@pytest.mark.parametrize(
    ("fitness", "kill_after"),
    [(PLAIN, {"score": 60}), (HYBRID, {"rank": 0, "score": 10})],  # the hybrid run is killed in its second phase
    ids=["plain", "hybrid"],
)
def test_resume_after_kill_9_matches_an_uninterrupted_run(
    tmp_path: Path, fitness: list[str], kill_after: dict[str, int]
) -> None:
    log = tmp_path / "evaluated.log"
    paths = [str(HERE), *filter(None, [os.environ.get("PYTHONPATH")])]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths), "HWNAS_PLUGINS": "hwnas_test_slow_plugin"}
    env |= {"HWNAS_TEST_SLOW_S": "0.01", "HWNAS_TEST_EVAL_LOG": str(log)}

    def reached() -> bool:
        done = [m for m, _ in _journaled(tmp_path / "resumed")]
        return all(done.count(metric) >= count for metric, count in kill_after.items())

    killed = _search(tmp_path / "resumed", env, fitness)
    deadline = time.monotonic() + 60
    while not reached() and killed.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert killed.poll() is None, f"the run ended before it could be killed: {killed.communicate()[1]}"
    killed.send_signal(signal.SIGKILL)
    killed.communicate()
    assert killed.returncode == -signal.SIGKILL
    assert not (tmp_path / "resumed" / "result.json").exists()
    before = _journaled(tmp_path / "resumed")

    resumed = _search(tmp_path / "resumed", env, fitness, "--resume")
    assert resumed.wait(timeout=120) == 0, resumed.communicate()[1]
    fresh = _search(tmp_path / "fresh", {**env, "HWNAS_TEST_EVAL_LOG": str(tmp_path / "fresh.log")}, fitness)
    assert fresh.wait(timeout=120) == 0, fresh.communicate()[1]

    assert (tmp_path / "resumed" / "result.json").read_text() == (tmp_path / "fresh" / "result.json").read_text()
    evaluated_after = _evaluated_by(log, resumed.pid)
    assert evaluated_after and not evaluated_after & before  # went on, and re-evaluated nothing journaled
    assert _journaled(tmp_path / "resumed") == _journaled(tmp_path / "fresh")
    assert (tmp_path / "resumed" / "timings.json").is_file()  # wall-clock lives apart from the compared result
