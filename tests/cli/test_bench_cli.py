"""`hwnas bench list|query` on HW-GPT-Bench's table (skips without HWNAS_DATA_DIR): what the benchmark lists, the
query's three input formats (CSV, gzipped CSV, JSONL of arch files) giving the same answers in file order, the
interval's shape, and bad flags as one line naming the flag, the value and what is allowed."""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from hwnas.cli.main import app
from hwnas.spaces import get_space

SPACE = get_space("gpt-s")
ROWS = (3, 0, 7)  # table rows, deliberately out of order


@pytest.fixture(scope="module")
def table(data_dir: Path) -> Any:
    from hwnas.data.hwgpt_table import load_hwgptbench

    return load_hwgptbench("s")


@pytest.fixture(autouse=True)
def cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path_factory.getbasetemp() / "bench-cache"  # one fit per surrogate for the whole session
    monkeypatch.setenv("HWNAS_CACHE_DIR", str(folder))
    return folder


def _bench(*args: str) -> Any:
    return CliRunner().invoke(app, ["bench", *args])


def _write_csv(path: Path, table: Any, rows: tuple[int, ...]) -> Path:
    """The table's arch columns as it writes them, reordered, with an extra column the reader must ignore."""
    lines = [["bias", "note", "mlp_ratio", "n_head", "n_layer", "embed_dim"]]
    for row in rows:
        arch = table.arch(row)
        per_layer = ["-".join(str(v) for v in arch[key]) for key in ("mlp_ratio", "n_head")]
        lines.append([str(int(arch["bias"])), "ignored", *per_layer, str(arch["n_layer"]), str(arch["embed_dim"])])
    with path.open("w", newline="") as handle:
        csv.writer(handle).writerows(lines)
    return path


def test_list_names_every_scale_metric_and_device(data_dir: Path) -> None:
    result = _bench("list", "--json")
    assert result.exit_code == 0, result.output
    entries = {e["space"]: e for e in json.loads(result.stdout)}
    assert sorted(entries) == ["gpt-l", "gpt-m", "gpt-s"]
    metrics = {row["metric"]: row for row in entries["gpt-s"]["metrics"]}
    assert {"perplexity", "latency", "energy"} <= set(metrics)
    assert metrics["perplexity"]["devices"] == []
    assert {"h100", "a100", "P100", "cpu_xeon_silver", "cpu_amd_7513"} <= set(metrics["latency"]["devices"])
    assert metrics["latency"]["unit"] == "ms"
    text = _bench("list", "--space", "gpt-m")
    assert text.exit_code == 0 and "gpt-m:" in text.stdout and "gpt-s:" not in text.stdout
    assert "latency [ms]: a100" in text.stdout


def test_fit_reports_each_surrogates_out_of_fold_quality(data_dir: Path) -> None:
    result = _bench("fit", "--space", "gpt-s", "--metric", "latency", "--device", "h100", "--json")
    assert result.exit_code == 0, result.output
    (entry,) = json.loads(result.stdout)
    (row,) = entry["fitted"]
    assert (entry["space"], row["metric"], row["device"], row["rows"]) == ("gpt-s", "latency", "h100", 8000)
    assert 0 < row["cv_mape"] < 100 and 0.5 < row["cv_kendall"] <= 1
    text = _bench("fit", "--space", "gpt-s", "--metric", "latency", "--device", "h100")
    assert text.stdout.startswith("gpt-s latency h100: 8000 rows, out-of-fold MAPE ") and "(cached)" in text.stdout
    counted = _bench("fit", "--space", "gpt-s", "--metric", "flops")
    assert counted.exit_code == 0 and "nothing to fit" in counted.stdout


def test_query_csv_gz_and_jsonl_give_the_tables_values_in_file_order(tmp_path: Path, table: Any) -> None:
    plain = _write_csv(tmp_path / "archs.csv", table, ROWS)
    zipped = tmp_path / "archs.csv.gz"
    zipped.write_bytes(gzip.compress(plain.read_bytes()))
    lines = [json.dumps(SPACE.make(table.arch(row)).to_dict()) for row in ROWS]
    lines[1] = json.dumps(table.arch(ROWS[1]))  # a bare genes mapping is an arch file too
    jsonl = tmp_path / "archs.jsonl"
    jsonl.write_text("\n".join(lines) + "\n")
    expected = [float(table.column("lat_ms_h100_mean")[row]) for row in ROWS]
    for path in (plain, zipped, jsonl):
        result = _bench(
            "query", "--space", "gpt-s", "--metric", "latency", "--device", "h100", "--archs", str(path), "--json"
        )
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout) == pytest.approx(expected), path.name


def test_interval_gives_low_mean_high_per_arch(tmp_path: Path, table: Any) -> None:
    path = _write_csv(tmp_path / "archs.csv", table, ROWS)
    args = ["query", "--space", "gpt-s", "--metric", "perplexity", "--archs", str(path), "--json"]
    mean = json.loads(_bench(*args).stdout)
    result = _bench(*args, "--mode", "interval", "--level", "0.9")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert len(rows) == len(ROWS) and all(len(row) == 3 for row in rows)
    assert [row[1] for row in rows] == pytest.approx(mean)
    assert all(low <= mid <= high for low, mid, high in rows)
    text = _bench(*args[:-1], "--mode", "interval")  # the readable form: a header, then one line per arch
    assert text.exit_code == 0 and len(text.stdout.splitlines()) == 1 + len(ROWS)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--metric", "speed"], "unknown --metric (space gpt-s) 'speed'"),
        (["--metric", "latency"], "--metric 'latency' is per device; give --device, one of: a100"),
        (["--metric", "latency", "--device", "tpu"], "'tpu'"),
        (["--metric", "perplexity", "--device", "h100"], "does not depend on the device; drop --device 'h100'"),
        (["--metric", "perplexity", "--mode", "median"], "--mode 'median' is unknown; allowed: mean, interval, sample"),
        (["--metric", "perplexity", "--mode", "interval", "--level", "1.5"], "--level 1.5 must lie strictly"),
        (["--metric", "perplexity", "--space", "gpt-xl"], "'gpt-xl'"),
    ],
)
def test_bad_query_flags_are_one_line(tmp_path: Path, table: Any, args: list[str], says: str) -> None:
    path = _write_csv(tmp_path / "archs.csv", table, ROWS)
    base = {"--space": "gpt-s", "--archs": str(path)}
    given = dict(zip(args[::2], args[1::2], strict=True))
    argv = [item for key, value in {**base, **given}.items() for item in (key, value)]
    result = _bench("query", *argv)
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and says in lines[0], result.stderr


@pytest.mark.parametrize(
    ("content", "name", "says"),
    [
        ("embed_dim,n_layer,n_head\n192,10,4\n", "a.csv", "lacks column(s) mlp_ratio, bias"),
        (
            "embed_dim,n_layer,n_head,mlp_ratio,bias\n100,10,4-4-4-4-4-4-4-4-4-4,2-2-2-2-2-2-2-2-2-2,1\n",
            "a.csv",
            "line 2: ",
        ),
        ("embed_dim,n_layer,n_head,mlp_ratio,bias\n192,10,four,2,1\n", "a.csv", "line 2 column 'n_head' is 'four'"),
        ("embed_dim,n_layer,n_head,mlp_ratio,bias\n192,10,4,2,yes\n", "a.csv", "column 'bias' is 'yes'; allowed: 0, 1"),
        ('{"space": "gpt-m", "genes": {}}\n', "a.jsonl", "line 1: the arch is for space 'gpt-m', not 'gpt-s'"),
        ("{not json\n", "a.jsonl", "line 1 is not valid JSON"),
        ("", "a.jsonl", "holds no archs"),
        ("x", "a.txt", "unknown file type; allowed: .csv, .csv.gz, .jsonl, .jsonl.gz"),
    ],
)
def test_bad_archs_files_are_one_line_with_the_line(
    tmp_path: Path, data_dir: Path, content: str, name: str, says: str
) -> None:
    path = tmp_path / name
    path.write_text(content)
    result = _bench("query", "--space", "gpt-s", "--metric", "perplexity", "--archs", str(path))
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and says in lines[0] and str(path) in lines[0], result.stderr
