"""`hwnas bench measure` + `add-device` round trip with tiny settings (skips without HWNAS_DATA_DIR): the table's
workload shrunk to batch 1 x 8 tokens, measured for real and resumed; the CSV then becomes a device that `bench
list`, `bench query` and a search on the benchmark use like the table's own."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from hwnas.bench.devices import MIN_DEVICE_ROWS
from hwnas.cli.main import app
from hwnas.core.arch import Arch
from hwnas.hardware.dataset_files import RowWriter, columns_for, read_sidecar, row_for
from hwnas.hardware.settings import MeasureSettings
from hwnas.hardware.stats import TimingStats
from hwnas.hardware.timing import Measurement
from hwnas.metrics import analytic_metrics
from hwnas.spaces import get_space

SPACE = get_space("gpt-s")
TINY = ("--batch", "1", "--seq-len", "8", "--warmup", "0", "--runs", "2")


@pytest.fixture(autouse=True)
def cache(data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HWNAS_CACHE_DIR", str(tmp_path / "cache"))  # this test's own: the device is added there
    return tmp_path / "cache"


def _run(*args: str) -> Any:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result


def _flops_ms(arch: Arch) -> float:
    return analytic_metrics(arch, SPACE)["flops"] / 1e10


def _extend(path: Path, n: int) -> list[Arch]:
    """Append ``n`` rows in the measured file's format (a stand-in for measuring more archs, which takes seconds
    each on CPU): latency proportional to FLOPs, as a real device's roughly is."""
    rng = np.random.default_rng(1)
    archs = [SPACE.sample(rng) for _ in range(n)]
    settings = MeasureSettings.from_dict(read_sidecar(path)["settings"])  # type: ignore[index]
    writer = RowWriter(path, columns_for(SPACE))
    for arch in archs:
        ms = _flops_ms(arch)
        stats = TimingStats(mean=ms, median=ms, std=ms / 50, min=ms * 0.98, runs=2)
        measurement = Measurement(
            arch_id=arch.arch_id, phases={"forward": stats}, peak_memory_mb=None, energy_mj=None, load_1m=0.0,
            contention=0.0, settings=settings, device_info={},
        )  # fmt: skip
        writer.write(row_for(arch, SPACE, measurement))
    writer.close()
    return archs


def test_measure_resumes_and_records_the_shrunk_workload(tmp_path: Path) -> None:
    out = tmp_path / "mine.csv"
    measure = ["bench", "measure", "--space", "gpt-s", *TINY, "--out", str(out), "--json"]
    first = json.loads(_run(*measure, "--n", "2").stdout)
    assert (first["rows"], first["measured"]) == (2, 2)
    again = json.loads(_run(*measure, "--n", "3").stdout)
    assert (again["rows"], again["measured"], again["skipped"]) == (3, 1, 2)  # resumed: nothing measured twice
    sidecar = read_sidecar(out)
    assert sidecar is not None
    settings = sidecar["settings"]
    assert (settings["protocol"], settings["batch"], settings["seq_len"], settings["runs"]) == ("lm-forward", 1, 8, 2)
    assert settings["dtype"] == "fp32" and settings["estimator"] == "trimmed-mean"
    assert "NOT the table's workload, batch 8 x 1024" in sidecar["notes"]
    with out.open() as handle:
        rows = list(csv.DictReader(handle))
    assert all(float(r["latency_mean"]) > 0 for r in rows)

    refused = CliRunner().invoke(app, ["bench", "add-device", "mine", "--space", "gpt-s", "--from", str(out)])
    assert refused.exit_code == 2 and f"at least {MIN_DEVICE_ROWS}" in refused.stderr


def test_an_added_device_is_listed_queried_and_searched(tmp_path: Path) -> None:
    out = tmp_path / "mine.csv"
    _run("bench", "measure", "--space", "gpt-s", "--n", "1", *TINY, "--out", str(out))
    archs = _extend(out, MIN_DEVICE_ROWS + 2)
    added = json.loads(_run("bench", "add-device", "mine", "--space", "gpt-s", "--from", str(out), "--json").stdout)
    assert added["added"]["rows"] == MIN_DEVICE_ROWS + 3

    (listed,) = json.loads(_run("bench", "list", "--space", "gpt-s", "--json").stdout)
    latency = next(row for row in listed["metrics"] if row["metric"] == "latency")
    assert listed["user_devices"] == ["mine"] and latency["devices"][-1] == "mine"
    energy = next(row for row in listed["metrics"] if row["metric"] == "energy")
    assert "mine" not in energy["devices"]  # a measured CSV holds latency only

    jsonl = tmp_path / "archs.jsonl"
    jsonl.write_text("".join(json.dumps(a.to_dict()) + "\n" for a in archs[:3]))
    args = ["bench", "query", "--space", "gpt-s", "--metric", "latency", "--device", "mine", "--archs", str(jsonl)]
    values = json.loads(_run(*args, "--json").stdout)
    assert values == pytest.approx([_flops_ms(a) for a in archs[:3]])  # its rows, exact

    run = tmp_path / "run"
    search = ["search", "--space", "gpt-s", "--evaluator", "bench", "--evaluator-opt", "bench.devices=mine,h100"]
    search += ["--objective", "latency_mine:min", "--searcher", "random", "--max-evaluations", "30"]
    _run(*search, "--out", str(run))
    best = json.loads((run / "result.json").read_text())["best"]
    assert set(best["metrics"]) == {"perplexity", "latency_mine", "latency_h100"}
    assert best["metrics"]["latency_mine"] > 0


def test_a_shipped_device_is_listed_queried_and_its_name_is_taken(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A device made by add-device and copied into the package's measured folder works for every user, without
    their cache; its name cannot be added over."""
    from hwnas.bench import devices

    out = tmp_path / "mine.csv"
    _run("bench", "measure", "--space", "gpt-s", "--n", "1", *TINY, "--out", str(out))
    archs = _extend(out, MIN_DEVICE_ROWS + 2)
    added = _run("bench", "add-device", "lab_cpu", "--space", "gpt-s", "--from", str(out), "--json").stdout
    made = Path(json.loads(added)["added"]["csv"])
    shipped = tmp_path / "measured"
    shipped.mkdir()
    for suffix in (".csv", ".json"):
        (shipped / f"gpt-s_lab_cpu{suffix}").write_bytes(made.with_suffix(suffix).read_bytes())
    monkeypatch.setattr(devices, "SHIPPED", shipped)
    monkeypatch.setenv("HWNAS_CACHE_DIR", str(tmp_path / "fresh-cache"))  # another user: nothing added

    (listed,) = json.loads(_run("bench", "list", "--space", "gpt-s", "--json").stdout)
    assert (listed["shipped_devices"], listed["user_devices"]) == (["lab_cpu"], [])
    assert "lab_cpu+" in _run("bench", "list", "--space", "gpt-s").stdout
    assert devices.shipped_devices("gpt-m") == []  # a device belongs to its scale

    jsonl = tmp_path / "archs.jsonl"
    jsonl.write_text("".join(json.dumps(a.to_dict()) + "\n" for a in archs[:2]))
    args = ["bench", "query", "--space", "gpt-s", "--metric", "latency", "--device", "lab_cpu", "--archs", str(jsonl)]
    assert json.loads(_run(*args, "--json").stdout) == pytest.approx([_flops_ms(a) for a in archs[:2]])

    refused = CliRunner().invoke(app, ["bench", "add-device", "lab_cpu", "--space", "gpt-s", "--from", str(out)])
    assert refused.exit_code == 2 and "measured and shipped by hwnas" in refused.stderr


def test_the_device_hwnas_ships_answers_its_rows_exactly() -> None:
    """The committed gpt-s CPU device (src/hwnas/bench/measured/): listed, marked shipped, its rows exact."""
    from hwnas.bench.benchmark import Benchmark

    bench = Benchmark("gpt-s")
    assert "cpu_epyc_2vcpu" in bench.shipped_devices and "cpu_epyc_2vcpu" in bench.metric_devices("latency")
    record = bench.device_record("cpu_epyc_2vcpu")
    assert record.shipped and record.rows >= 300
    with open(record.csv, encoding="utf-8") as handle:
        row = next(csv.DictReader(handle))
    layers = {k: [int(v) for v in row[k].split("-")] for k in ("n_head", "mlp_ratio")}
    arch = {"embed_dim": int(row["embed_dim"]), "n_layer": int(row["n_layer"]), **layers, "bias": row["bias"] == "1"}
    answer = bench.query([arch], "latency", "cpu_epyc_2vcpu")
    assert answer.exact[0] and answer.values[0] == pytest.approx(float(row["lat_ms_mean"]))
