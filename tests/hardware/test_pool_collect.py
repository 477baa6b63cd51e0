"""Collecting on a device pool (``hwnas latency collect --devices A,B --executor ray``) on a real local Ray cluster
(tests/conftest.py's ``ray_cluster``: devices cpu-a and cpu-b on two worker nodes): one dataset per device, measured
on that device's node only, with the archs and resume of the single-device collection; a device whose actor is never
placed stops alone after placement_timeout. Skipped without Ray."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from hwnas.core.space import SearchSpace
from hwnas.hardware.busy import BusyPolicy
from hwnas.hardware.dataset_files import read_latency_dataset, sidecar_path
from hwnas.hardware.pool_collect import PoolOptions, RemoteMeasurer, collect_on_devices
from hwnas.hardware.ray_cluster import ClusterError
from hwnas.hardware.sampling import arch_stream
from hwnas.hardware.settings import MeasureSettings

pytest.importorskip("ray", reason='Ray is not installed (pip install "hwnas[ray]")')

# The test machine is shared (other jobs run): the actors measure anyway, and each row says how busy it was.
IGNORE_LOAD = BusyPolicy(on_busy="ignore")


def test_each_device_collects_its_own_resumable_dataset_on_its_own_node(
    ray_cluster: dict[str, str], tiny: SearchSpace, fast_settings: MeasureSettings, tmp_path: Path
) -> None:
    kwargs = {"devices": ["cpu-a", "cpu-b"], "settings": fast_settings, "out_dir": tmp_path, "seed": 4}
    first = collect_on_devices(tiny, n=2, policy=IGNORE_LOAD, **kwargs)  # type: ignore[arg-type]
    assert [(r.device, r.error, r.summary.measured) for r in first] == [("cpu-a", None, 2), ("cpu-b", None, 2)]  # type: ignore[union-attr]
    again = collect_on_devices(tiny, n=3, policy=IGNORE_LOAD, **kwargs)  # type: ignore[arg-type]
    assert [(r.summary.rows, r.summary.measured, r.summary.skipped) for r in again] == [(3, 1, 2)] * 2  # type: ignore[union-attr]
    expected = [a.arch_id for a in itertools.islice(arch_stream(tiny, "random", 4), 3)]
    for device, node in ray_cluster.items():
        out = tmp_path / f"{device}.csv"
        assert [row["arch_id"] for row in read_latency_dataset(out).rows] == expected  # the local collector's archs
        sessions = json.loads(sidecar_path(out).read_text())["sessions"]
        assert [s["measured_on"]["node_id"] for s in sessions] == [node, node]  # only where the device is
        assert {s["measured_on"]["device"] for s in sessions} == {device}
        assert [s["rows_before"] for s in sessions] == [0, 2]


def test_the_cli_collects_on_devices_and_names_a_missing_one(ray_cluster: dict[str, str], tmp_path: Path) -> None:
    from hwnas.cli.main import app

    base = ["latency", "collect", "--space", "tiny", "--n", "1", "--warmup", "0", "--runs", "2", "--on-busy", "ignore"]
    ok = CliRunner().invoke(app, [*base, "--out", str(tmp_path / "pool"), "--devices", "cpu-b", "--executor", "ray"])
    assert ok.exit_code == 0, ok.output
    assert "cpu-b: 1 rows in" in ok.output and (tmp_path / "pool" / "cpu-b.csv").is_file()
    missing = CliRunner().invoke(
        app, [*base, "--out", str(tmp_path / "m"), "--devices", "cpu-a,rpi4", "--executor", "ray"]
    )
    assert missing.exit_code == 2
    assert "no node of the Ray cluster holds device 'rpi4'" in missing.output and not (tmp_path / "m").exists()


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a device without CUDA")
def test_a_device_that_cannot_measure_stops_alone_with_its_own_error(
    ray_cluster: dict[str, str], tmp_path: Path
) -> None:
    from hwnas.cli.main import app

    args = ["latency", "collect", "--space", "tiny", "--n", "1", "--device", "cuda", "--on-busy", "ignore"]
    result = CliRunner().invoke(app, [*args, "--out", str(tmp_path), "--devices", "cpu-a", "--executor", "ray"])
    assert result.exit_code == 2
    assert "cpu-a: stopped: device 'cuda' was asked for but torch" in result.output  # raised there, named here
    assert "1 of 1 devices stopped early; run the same command again to resume" in result.output


def test_a_device_whose_actor_is_never_placed_stops_alone_after_the_timeout(
    hold_ray_resource: Callable[[str], None], tmp_path: Path
) -> None:
    from hwnas.cli.main import app

    hold_ray_resource("device:cpu-a")  # as if cpu-a's node were gone: its actor can never be placed
    args = ["latency", "collect", "--space", "tiny", "--n", "1", "--warmup", "0", "--runs", "2", "--on-busy", "ignore"]
    pool = ["--devices", "cpu-a,cpu-b", "--executor", "ray", "--executor-opt", "placement_timeout=10"]
    began = time.monotonic()
    result = CliRunner().invoke(app, [*args, "--out", str(tmp_path), *pool])
    assert result.exit_code == 2, result.output
    assert (
        "cpu-a: stopped: its actor was not placed within 10 s (placement_timeout): alive nodes have device:cpu-a=1, "
        "but it stayed taken by other actors or tasks" in result.output
    )
    assert "cpu-b: 1 rows in" in result.output and not (tmp_path / "cpu-a.csv").exists()
    assert time.monotonic() - began < 60


@pytest.mark.parametrize(("deaths", "lost"), [(1, False), (2, True)])
def test_a_device_actor_that_dies_is_replaced_up_to_max_retries(
    ray_cluster: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, deaths: int, lost: bool
) -> None:
    import ray

    monkeypatch.syspath_prepend(str(Path(__file__).parents[1] / "search"))  # the nodes have it on PYTHONPATH
    from hwnas_test_ray_plugin import Mortal

    counted = tmp_path / "deaths"
    handle = ray.remote(Mortal).options(num_cpus=0, resources={"device:cpu-b": 1})
    start = lambda: handle.remote(str(counted), deaths)  # noqa: E731
    measurer = RemoteMeasurer(ray, start, "cpu-b", PoolOptions(max_retries=1), IGNORE_LOAD)
    try:
        if lost:
            with pytest.raises(ClusterError, match=r"device lost: .* \(its actor died 2 times; max_retries=1\)"):
                measurer.measure(None)  # type: ignore[arg-type]
        else:
            assert measurer.measure(None) == measurer.where()["pid"]  # type: ignore[arg-type]  # a new actor
        assert counted.read_text() == str(deaths)
    finally:
        measurer.close()
