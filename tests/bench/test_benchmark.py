"""`Benchmark` on a small synthetic table in HW-GPT-Bench's layout (no data needed): names and errors, exact rows
vs the surrogate, the three modes, the cache (reuse, refit on a changed table) and a user's device; then on the
real table (skips without HWNAS_DATA_DIR)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from hwnas.bench import SCALES, Benchmark
from hwnas.core.arch import Arch
from hwnas.core.errors import ConfigError, DataError, UnknownNameError
from hwnas.spaces import get_space

SPACE = get_space("gpt-s")
HEADER = ["arch_id", "embed_dim", "n_layer", "n_head", "mlp_ratio", "bias"]
HEADER += ["lat_ms_h100_mean", "lat_ms_h100_std", "mem_MB_bf16_a100", "ppl_owt"]


def _archs(n: int, seed: int) -> list[Arch]:
    rng = np.random.default_rng(seed)
    return list({a.arch_id: a for a in (SPACE.sample(rng) for _ in range(n))}.values())


def _latency(arch: Arch) -> float:
    """Additive in the blocks, as a GPU forward pass is."""
    genes = arch.to_dict()["genes"]
    d = int(genes["embed_dim"])
    blocks = sum(0.02 * h + 0.03 * r * d / 192 for h, r in zip(genes["n_head"], genes["mlp_ratio"], strict=True))
    return float(1.0 + d / 400 + blocks + (0.1 if genes["bias"] else 0.0))


def write_table(path: Path, archs: list[Arch], *, shift: float = 0.0) -> Path:
    rng = np.random.default_rng(0)
    with path.open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(HEADER)
        for i, arch in enumerate(archs):
            genes = arch.to_dict()["genes"]
            latency = _latency(arch) * (1 + 0.01 * rng.standard_normal()) + shift
            ppl = "" if i % 4 == 3 else repr(60.0 - int(genes["embed_dim"]) / 40 - sum(genes["n_head"]) / 30)
            per_layer = ["-".join(map(str, genes[k])) for k in ("n_head", "mlp_ratio")]
            out.writerow([i, genes["embed_dim"], genes["n_layer"], *per_layer, int(genes["bias"]),
                          repr(latency), repr(0.01 * latency), repr(100 + 50 * latency), ppl])  # fmt: skip
    return path


@pytest.fixture(autouse=True)
def no_shipped_devices(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The table's devices only: the device hwnas ships is tested in test_bench_measure.py."""
    from hwnas.bench import devices

    monkeypatch.setattr(devices, "SHIPPED", tmp_path / "no-shipped-devices")


@pytest.fixture(scope="module")
def table(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Arch]]:
    archs = _archs(160, seed=0)
    return write_table(tmp_path_factory.mktemp("table") / "hwgpt_s.csv", archs), archs


@pytest.fixture
def bench(table: tuple[Path, list[Arch]], tmp_path_factory: pytest.TempPathFactory) -> Benchmark:
    cache = tmp_path_factory.getbasetemp() / "synthetic-cache"  # shared by this module: one fit per surrogate
    return Benchmark("gpt-s", cache_dir=cache, table_path=table[0])


def _new(bench: Benchmark, table: tuple[Path, list[Arch]], n: int) -> list[Arch]:
    known = set(table[1])
    return [a for a in _archs(3 * n, seed=9) if a not in known][:n]


def test_names_what_the_table_has(bench: Benchmark) -> None:
    assert SCALES == ("gpt-s", "gpt-m", "gpt-l") and bench.space.name == "gpt-s"
    assert bench.metrics == ("perplexity", "latency", "memory", "params", "flops")
    assert bench.devices == ("a100", "h100") and bench.metric_devices("latency") == ("h100",)
    assert bench.metric_devices("memory") == ("a100",) and bench.metric_devices("perplexity") == ()
    assert SPACE.contains(bench.sample_arch(np.random.default_rng(0)))


@pytest.mark.parametrize(
    ("metric", "device", "options", "error", "says"),
    [
        ("speed", None, {}, UnknownNameError, "unknown metric of benchmark gpt-s 'speed'; known: flops, latency"),
        ("energy", "h100", {}, UnknownNameError, "'energy'"),
        ("latency", None, {}, ConfigError, "metric 'latency' is per device; give a device, one of: h100"),
        ("latency", "tpu", {}, UnknownNameError, "unknown device of latency on benchmark gpt-s 'tpu'; known: h100"),
        ("perplexity", "h100", {}, ConfigError, "does not depend on the device; drop device 'h100'"),
        ("latency", "h100", {"mode": "median"}, UnknownNameError, "unknown query mode 'median'; known: interval, mean"),
        ("latency", "h100", {"level": 1.0}, ConfigError, "interval level 1.0 must lie strictly between 0 and 1"),
        ("latency", "h100", {"seed": -1}, ConfigError, "seed -1 must be a non-negative integer"),
    ],
)
def test_bad_names_are_one_line_errors_naming_the_allowed(
    bench: Benchmark, metric: str, device: str | None, options: dict[str, object], error: type, says: str
) -> None:
    with pytest.raises(error) as caught:
        bench.query(_archs(2, 1), metric, device, **options)  # type: ignore[arg-type]
    assert says in str(caught.value) and "\n" not in str(caught.value)
    with pytest.raises(UnknownNameError, match="unknown benchmark scale 'gpt-xl'; known: gpt-l, gpt-m, gpt-s"):
        Benchmark("gpt-xl")


def test_table_rows_are_exact_and_other_archs_come_from_the_surrogate(
    bench: Benchmark, table: tuple[Path, list[Arch]]
) -> None:
    rows, new = table[1][:3], _new(bench, table, 3)
    dicts = [a.to_dict()["genes"] for a in rows]
    result = bench.query([*rows, *new, *dicts], "latency", "h100")
    measured = [float(r["lat_ms_h100_mean"]) for r in csv.DictReader(table[0].open())][:3]
    assert result.exact.tolist() == [True] * 3 + [False] * 3 + [True] * 3
    assert result.values[:3].tolist() == measured and result.values[6:].tolist() == measured
    assert np.allclose(result.values[3:6], [_latency(a) for a in new], rtol=0.05)
    assert (result.unit, result.metric, result.device, result.mode) == ("ms", "latency", "h100", "mean")
    missing = bench.query([table[1][3]], "perplexity")  # its perplexity cell is empty: the surrogate answers
    assert not missing.exact[0] and np.isfinite(missing.values[0])


def test_mean_is_deterministic_and_sample_is_seeded(bench: Benchmark, table: tuple[Path, list[Arch]]) -> None:
    archs = table[1][:5] + _new(bench, table, 5)
    assert np.array_equal(bench.query(archs, "latency", "h100").values, bench.query(archs, "latency", "h100").values)
    draw = bench.query(archs, "latency", "h100", mode="sample", seed=7)
    assert np.array_equal(draw.values, bench.query(archs, "latency", "h100", mode="sample", seed=7).values)
    assert not np.array_equal(draw.values, bench.query(archs, "latency", "h100", mode="sample", seed=8).values)
    default = bench.query(archs, "latency", "h100", mode="sample").values
    assert np.array_equal(default, bench.query(archs, "latency", "h100", mode="sample", seed=0).values)
    assert draw.low is None and not np.array_equal(draw.values, bench.query(archs, "latency", "h100").values)


def test_intervals_contain_the_mean_and_widen_with_the_level(bench: Benchmark, table: tuple[Path, list[Arch]]) -> None:
    archs = table[1][:5] + _new(bench, table, 5)
    narrow = bench.query(archs, "latency", "h100", mode="interval", level=0.5)
    wide = bench.query(archs, "latency", "h100", mode="interval", level=0.95)
    assert narrow.low is not None and narrow.high is not None and wide.low is not None and wide.high is not None
    assert np.array_equal(narrow.values, bench.query(archs, "latency", "h100").values)
    assert np.all(narrow.low < narrow.values) and np.all(narrow.values < narrow.high)
    assert np.all(wide.low < narrow.low) and np.all(narrow.high < wide.high)
    counted = bench.query(archs, "params", mode="interval")  # exact for any arch: no width
    assert counted.exact.all() and np.array_equal(counted.low, counted.values)  # type: ignore[arg-type]


def test_the_cache_is_reused_and_a_changed_table_refits(
    table: tuple[Path, list[Arch]], tmp_path: Path, bench: Benchmark
) -> None:
    first = Benchmark("gpt-s", cache_dir=tmp_path, table_path=table[0])
    [fitted] = first.fit("latency", "h100")
    again = Benchmark("gpt-s", cache_dir=tmp_path, table_path=table[0])
    [loaded] = again.fit("latency", "h100")
    assert not fitted.cached and loaded.cached and loaded.path == fitted.path
    new = _new(bench, table, 20)
    assert np.array_equal(first.query(new, "latency", "h100").values, again.query(new, "latency", "h100").values)
    with np.load(loaded.path, allow_pickle=False) as archive:
        assert archive["coef"].dtype == np.float64
    changed = write_table(tmp_path / "changed.csv", table[1], shift=0.5)
    [refitted] = Benchmark("gpt-s", cache_dir=tmp_path, table_path=changed).fit("latency", "h100")
    assert not refitted.cached
    assert {(s.metric, s.device) for s in first.fit()} == {
        ("perplexity", None),
        ("latency", "h100"),
        ("memory", "a100"),
    }


def _measured_csv(path: Path, archs: list[Arch]) -> Path:
    """A forward-pass latency CSV in the project's collected layout (`hwnas bench measure`)."""
    with path.open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["params", "flops", "latency_mean", "latency_std", "arch"])
        for arch in archs:
            out.writerow([1, 1, repr(3 * _latency(arch)), "0.01", json.dumps(arch.to_dict())])
    return path


def test_an_added_device_is_listed_persisted_and_queried(table: tuple[Path, list[Arch]], tmp_path: Path) -> None:
    bench = Benchmark("gpt-s", cache_dir=tmp_path, table_path=table[0])
    measured = _archs(40, seed=5)
    record = bench.add_device("my_box", _measured_csv(tmp_path / "box.csv", measured))
    assert record.rows == 40 and Path(record.csv).parent == tmp_path / "devices" / "gpt-s"
    reopened = Benchmark("gpt-s", cache_dir=tmp_path, table_path=table[0])
    assert reopened.user_devices == ("my_box",) and reopened.devices[-1] == "my_box"
    assert reopened.metric_devices("latency") == ("h100", "my_box") and "my_box" not in reopened.metric_devices(
        "memory"
    )
    new = [a for a in _archs(30, seed=6) if a not in set(measured)][:5]
    result = reopened.query(measured[:2] + new, "latency", "my_box")
    assert result.exact.tolist() == [True, True] + [False] * 5
    assert result.values[:2] == pytest.approx([3 * _latency(a) for a in measured[:2]])
    assert np.allclose(result.values[2:], [3 * _latency(a) for a in new], rtol=0.1)
    with pytest.raises(ConfigError, match="device name 'h100' is a device of HW-GPT-Bench's table"):
        bench.add_device("h100", tmp_path / "box.csv")
    with pytest.raises(DataError, match="has 5 measured archs; a device needs at least 10"):
        bench.add_device("tiny_box", _measured_csv(tmp_path / "few.csv", measured[:5]))


# --- the real table (HW-GPT-Bench's measurements) ------------------------------------------------------------------


def test_the_real_tables_rows_are_answered_exactly(data_dir: Path, tmp_path: Path) -> None:
    from hwnas.data.hwgpt_table import load_hwgptbench

    table = load_hwgptbench("s")
    bench = Benchmark("gpt-s", cache_dir=tmp_path)
    assert bench.metrics == ("perplexity", "accuracy", "latency", "energy", "power", "memory", "params", "flops")
    assert len(bench.metric_devices("latency")) == 14 and "cpu_p100host" not in bench.metric_devices("energy")
    rows = [table.arch(i) for i in range(5)]
    result = bench.query(rows, "latency", "h100", mode="interval")
    assert result.exact.all() and result.values.tolist() == table.column("lat_ms_h100_mean")[:5].tolist()
    energy = bench.query(rows, "energy", "a100")
    assert energy.values.tolist() == table.column("en_mWh_a100_mean_excl_first")[:5].tolist()
    flops = bench.query(rows, "flops").values * 8  # the table counts a batch of 8 sequences on scale s
    assert np.allclose(flops, table.column("flops_ds")[:5], rtol=1e-9)


def test_holdout_scores_a_surrogate_fitted_without_the_test_rows(bench: Benchmark) -> None:
    from hwnas.bench import holdout

    rows = holdout.split(bench, "latency", "h100", test_fraction=0.25, seed=1)
    assert len(rows.train) == 120 and len(rows.test) == 40 and not set(rows.train) & set(rows.test)
    assert rows.full.shape[1] > rows.design.shape[1]  # every block, for a baseline on the same rows
    scored = holdout.score(bench, "latency", "h100", seed=1)
    assert scored.train_rows == 120 and scored.mape < 3.0 and scored.kendall > 0.8 and 0.5 <= scored.coverage <= 1.0
    perplexity = holdout.score(bench, "perplexity", None, seed=1)
    assert perplexity.train_rows + perplexity.test_rows == 120  # every 4th row has no perplexity
