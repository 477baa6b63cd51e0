"""The ``ray`` executor on a real local Ray cluster (a head and two worker nodes on 127.0.0.1: tests/conftest.py's
``ray_cluster``): the serial run's results; a worker killed in the middle of a batch loses and duplicates nothing;
an arch that kills every worker it runs in fails alone after the bounded retries, its batch's other archs get the
serial outcomes, the run goes on; an actor not placed within placement_timeout is given up, the run stops once no
actor is left; a device pool's actors run only on the nodes holding the devices. Skipped without Ray."""

from __future__ import annotations

import collections
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from hwnas.core.errors import ConfigError
from hwnas.search import build_config, run_search
from hwnas.search.journal import read_journal

pytest.importorskip("ray", reason='Ray is not installed (pip install "hwnas[ray]")')

HERE = Path(__file__).parent
SMALL = {"population": 8, "parents": 2, "mutation_size": 3, "crossover_size": 3, "batch_size": 3, "iterations": 2}


@pytest.fixture(autouse=True)
def plugin(monkeypatch: pytest.MonkeyPatch) -> None:
    """The test evaluator here and in the actors (they get the driver's HWNAS_PLUGINS)."""
    monkeypatch.syspath_prepend(str(HERE))
    monkeypatch.setenv("HWNAS_PLUGINS", "hwnas_test_ray_plugin")


def _run(out: Path, crashy: dict[str, Any], executor: dict[str, Any] | None = None, **overrides: Any) -> Any:
    config = {
        "space": "hat-wmt14ende", "objectives": ["score:max", "width:min"], "constraints": ["flops<=3e9"], "seed": 3,
        "evaluators": ["analytic", {"name": "crashy", "options": crashy}], "out": str(out),
        "executor": executor or {"name": "serial"}, **SMALL, **overrides,
    }  # fmt: skip
    return run_search(build_config(config))


def _evals(run_dir: Path) -> list[tuple[str, Any, Any]]:
    entries = read_journal(run_dir / "journal.jsonl")[0]
    return [(e["arch_id"], e["metrics"], e["error"]) for e in entries if e["kind"] == "eval"]


def _ray(**options: Any) -> dict[str, Any]:
    return {"name": "ray", "options": {"actors": 2, **options}}


def test_a_ray_run_gives_the_serial_result(ray_cluster: dict[str, str], tmp_path: Path) -> None:
    log = tmp_path / "where.log"
    serial = _run(tmp_path / "serial", {})
    on_ray = _run(tmp_path / "ray", {"log": str(log), "delay": 0.4}, _ray())
    assert (tmp_path / "ray" / "result.json").read_bytes() == (tmp_path / "serial" / "result.json").read_bytes()
    assert _evals(tmp_path / "ray") == _evals(tmp_path / "serial")  # the same outcomes, in asked order
    assert on_ray.result.counts == serial.result.counts and on_ray.new_evaluations == serial.new_evaluations
    pids = {line.split()[1] for line in log.read_text().splitlines()}
    assert len(pids) == 2  # both actors evaluated batches (each one process, kept across batches)


def test_a_worker_killed_mid_batch_loses_and_duplicates_nothing(ray_cluster: dict[str, str], tmp_path: Path) -> None:
    serial = _run(tmp_path / "serial", {})
    victim = _evals(tmp_path / "serial")[4][0]  # in the second batch of the first iteration
    log, marker = tmp_path / "where.log", tmp_path / "killed.pid"
    _run(tmp_path / "ray", {"log": str(log), "victim": victim, "marker": str(marker)}, _ray())
    killed = marker.read_text()
    evals = _evals(tmp_path / "ray")
    assert evals == _evals(tmp_path / "serial")  # every arch once, in order, with the serial outcome
    assert len({arch_id for arch_id, _, _ in evals}) == len(evals) == serial.result.counts["evaluations"]
    by_arch = collections.defaultdict(list)
    for line in log.read_text().splitlines():
        _, pid, _, arch_id = line.split()
        by_arch[arch_id].append(pid)
    assert by_arch[victim] and killed not in by_arch[victim]  # evaluated again, by another worker process
    assert (tmp_path / "ray" / "result.json").read_bytes() == (tmp_path / "serial" / "result.json").read_bytes()


def test_an_arch_that_always_kills_its_worker_fails_alone_and_its_batch_mates_get_their_results(
    ray_cluster: dict[str, str], tmp_path: Path
) -> None:
    _run(tmp_path / "serial", {}, iterations=1, batch_size=8)
    serial = _evals(tmp_path / "serial")
    victim = serial[5][0]  # in the first batch: the population, archs 0-7
    log = tmp_path / "where.log"
    crashy = {"victim": victim, "always": True, "exit": True, "log": str(log)}
    outcome = _run(tmp_path / "ray", crashy, _ray(max_retries=1), iterations=1, batch_size=8)
    evals = _evals(tmp_path / "ray")
    assert [e[0] for e in evals] == [e[0] for e in serial]  # every arch recorded once, in asked order
    assert [e for e in evals if e[0] != victim] == [e for e in serial if e[0] != victim]  # the serial outcomes
    metrics, error = next(e[1:] for e in evals if e[0] == victim)
    # halved 8 -> 4 -> 2 -> 1: in 4 dead pieces, the last one alone (1 > max_retries)
    assert metrics == {} and "a worker died evaluating this arch 4 times (1 with it alone; max_retries=1)" in error
    assert outcome.result.counts["failed"] == 1
    evaluated = collections.Counter(line.split()[3] for line in log.read_text().splitlines())
    assert victim not in evaluated and set(evaluated.values()) == {1}, (victim, log.read_text())  # none twice


def test_an_actor_not_placed_in_time_is_given_up(hold_ray_resource: Callable[[str], None], tmp_path: Path) -> None:
    from hwnas.hardware.ray_cluster import ClusterError

    _run(tmp_path / "serial", {})
    hold_ray_resource("device:cpu-a")  # taken by another job for the whole test, as if its node were gone
    pool = {"name": "ray", "options": {"devices": "cpu-a,cpu-b", "placement_timeout": 60}}
    _run(tmp_path / "pool", {}, pool)  # cpu-b does all the work; the unplaced actor holds nothing up
    assert _evals(tmp_path / "pool") == _evals(tmp_path / "serial")
    began = time.monotonic()
    with pytest.raises(ClusterError, match=r"no evaluation actor is left \(actor 0: not placed within 2 s "
                       r"\(placement_timeout\): alive nodes have device:cpu-a=1, but it stayed taken"):  # fmt: skip
        _run(tmp_path / "alone", {}, {"name": "ray", "options": {"devices": "cpu-a", "placement_timeout": 2}})
    assert time.monotonic() - began < 30


def test_a_device_pool_runs_each_actor_only_where_its_device_is(ray_cluster: dict[str, str], tmp_path: Path) -> None:
    log = tmp_path / "where.log"
    _run(tmp_path / "serial", {})
    _run(tmp_path / "pool", {"log": str(log), "delay": 0.4}, {"name": "ray", "options": {"devices": "cpu-a,cpu-b"}})
    assert _evals(tmp_path / "pool") == _evals(tmp_path / "serial")
    nodes = {line.split()[0] for line in log.read_text().splitlines()}
    assert nodes == set(ray_cluster.values())  # both device nodes measured; the head (no device) never did
    with pytest.raises(
        ConfigError, match=r"no node of the Ray cluster holds device 'rpi4'.*devices there: cpu-a, cpu-b"
    ):
        _run(tmp_path / "missing", {}, {"name": "ray", "options": {"devices": ["cpu-a", "rpi4"]}})
    with pytest.raises(
        ConfigError, match=r"no node of the Ray cluster has CPU=1, GPU=1; the most any node has of 'GPU' is 0"
    ):
        _run(tmp_path / "gpu", {}, _ray(num_gpus=1))  # refused, not waited for forever


def test_ray_options_are_checked_in_one_line() -> None:
    from hwnas.contracts.executor import EXECUTORS

    with pytest.raises(ConfigError, match="one actor per device"):
        EXECUTORS.options("ray", {"devices": "a,b", "actors": 3})
    with pytest.raises(ConfigError, match="'max_retries' is 1000"):
        EXECUTORS.options("ray", {"max_retries": 1000})
    with pytest.raises(ConfigError, match="device name 'bad name' is not allowed"):
        EXECUTORS.options("ray", {"devices": "bad name"})
    options = EXECUTORS.options("ray", {"resources": "accel=2,device:x", "devices": "a"})
    assert json.loads(options.model_dump_json())["resources"] == {"accel": 2.0, "device:x": 1.0}
