"""Shared fixtures: the shared data folder (tests needing it skip cleanly without it), one torch thread for every
test, a machine that looks quiet to latency measurement (tests must not depend on the real machine's load), and a
real local Ray cluster for the Ray tests (started only when one asks for it)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def data_dir() -> Path:
    root = os.environ.get("HWNAS_DATA_DIR")
    if not root or not Path(root).is_dir():
        pytest.skip("HWNAS_DATA_DIR is not set to the shared data folder")
    return Path(root)


@pytest.fixture(autouse=True)
def one_torch_thread() -> Iterator[None]:
    """One intra-op torch thread: the tests' tensors are tiny, and on a shared 2-core machine torch's thread pool
    otherwise stalls on them (minutes instead of seconds while other jobs ran)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


class QuietProbe:
    """A load probe of an idle 2-core machine: nothing but this process uses the CPU."""

    def cores(self) -> int:
        return 2

    def counters(self) -> object:
        import time

        from hwnas.hardware.load import CpuCounters

        own = time.process_time()
        return CpuCounters(wall=time.monotonic(), busy=own, steal=0.0, own=own)

    def load_1m(self) -> float | None:
        return 0.0


@pytest.fixture(autouse=True)
def quiet_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    """Latency measurement checks the machine's load and waits while it is busy; in tests the machine is quiet
    unless a test injects its own probe (hwnas.hardware.load.system_probe is the one default), and the look before
    measuring takes no time."""
    from hwnas.hardware import busy, load

    monkeypatch.setattr(load, "system_probe", QuietProbe)
    monkeypatch.setattr(busy, "CHECK_WINDOW_S", 0.0)


class PoolPickingLLM:
    """An offline LLM for searcher contract suites: answers one of the codes listed after "Candidates:" in the
    prompt, chosen by a hash of the prompt (deterministic, not always the first); caches nothing."""

    model = "test:pool-picker"
    cacheable = False

    def complete(self, request: object, *, timeout_s: float) -> str:
        import hashlib
        import re

        text = request.messages[-1].content  # type: ignore[attr-defined]
        codes = re.findall(r"\d+", text.split("Candidates:", 1)[-1])
        if not codes:
            return "no candidates"
        return codes[int(hashlib.sha256(text.encode()).hexdigest(), 16) % len(codes)]


@pytest.fixture
def offline_llm(monkeypatch: pytest.MonkeyPatch) -> None:
    """LLM-driven searchers built with default settings (``lm-searcher`` in a contract suite) ask PoolPickingLLM."""
    from hwnas.llm.clients import CLIENTS

    monkeypatch.setitem(CLIENTS, "test-pool-picker", lambda settings: PoolPickingLLM())
    monkeypatch.setenv("HWNAS_LLM_CLIENT", "test-pool-picker")


RAY_DEVICES = ("cpu-a", "cpu-b")  # one per worker node of the test cluster; the head holds none


@pytest.fixture(scope="module")
def ray_cluster() -> Iterator[dict[str, str]]:
    """A real local Ray cluster for the Ray tests (tests/search/test_ray_executor.py, tests/hardware/
    test_pool_collect.py), one per module that asks for it, shut down after the module (not kept for the session:
    idle Ray processes would linger through the rest of the suite on a 2-core machine): a head and two worker nodes,
    every one bound to 127.0.0.1, one CPU and 100 MB of object store each, no dashboard, no usage statistics; worker
    node 1 holds the device ``cpu-a`` (resource ``device:cpu-a``), node 2 ``cpu-b``. This process is connected to it
    (``ray.init``), so the executors use it as it is. Nodes have ``tests/search`` on their ``PYTHONPATH`` (the test
    plugins' folder). Yields device -> node id. Skips without Ray."""
    ray = pytest.importorskip("ray", reason='Ray is not installed (pip install "hwnas[ray]")')
    from ray._private import ray_constants
    from ray.cluster_utils import Cluster

    plugins = str(Path(__file__).parent / "search")
    with pytest.MonkeyPatch.context() as patch:
        # Loopback only: with clusters "disabled" Ray resolves this node's address to 127.0.0.1, not the LAN one.
        patch.setenv("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
        patch.setattr(ray_constants, "ENABLE_RAY_CLUSTER", False)
        patch.setenv("RAY_USAGE_STATS_ENABLED", "0")
        node = {"num_cpus": 1, "object_store_memory": 100 * 1024**2, "env_vars": {"PYTHONPATH": plugins}}
        cluster = Cluster(initialize_head=True, head_node_args={**node, "include_dashboard": False})
        try:
            workers = {d: cluster.add_node(**node, resources={f"device:{d}": 1}) for d in RAY_DEVICES}
            cluster.wait_for_nodes()
            ray.init(address=cluster.address, log_to_driver=False, configure_logging=False)
            yield {device: worker.node_id for device, worker in workers.items()}
        finally:
            ray.shutdown()
            cluster.shutdown()


@pytest.fixture
def hold_ray_resource(ray_cluster: dict[str, str]) -> Iterator[Callable[[str], None]]:
    """``hold(resource)`` takes the one unit of a Ray resource of the test cluster (``device:cpu-a``) for the rest of
    the test, as another job would, so that an actor asking for it is never placed (a node gone for good looks the
    same to it: nothing it could run on frees up). Returns once the unit is taken."""
    import time

    import ray

    holders = []

    def hold(resource: str) -> None:
        task = ray.remote(lambda: time.sleep(3600)).options(num_cpus=0, resources={resource: 1}, max_retries=0)
        holders.append(task.remote())
        deadline = time.monotonic() + 60
        while ray.available_resources().get(resource, 0) >= 1:
            assert time.monotonic() < deadline, f"{resource} was not taken within 60 s"
            time.sleep(0.1)

    yield hold
    for ref in holders:
        ray.cancel(ref, force=True)
