"""`hwnas latency fit|evaluate|predict` through Typer's runner (on a local app holding just this sub-app)."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from hwnas.cli import latency_cmd
from hwnas.encodings.archfile import write_arch_file
from hwnas.hardware import load_latency_csv
from hwnas.predictors import load_regressor

runner = CliRunner()
app = typer.Typer()


@app.callback()
def _root() -> None:
    """Test root."""


latency_cmd.register(app)


def _run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["latency", *map(str, args)])
    return result.exit_code, result.stdout, result.stderr


def test_fit_evaluate_round_trip_on_hat_slice(data_dir: Path, tmp_path: Path) -> None:
    with (data_dir / "hat_latency_dataset" / "wmt14ende_gpu_titanxp_all.csv").open(newline="") as f:
        rows = list(csv.reader(f))
    train, held = tmp_path / "train.csv", tmp_path / "held.csv"
    for path, part in ((train, rows[1:201]), (held, rows[201:401])):
        with path.open("w", newline="") as f:
            csv.writer(f).writerows([rows[0], *part])
    code, out, err = _run("fit", "--data", train, "--out", tmp_path / "m.bin")
    assert code == 0, err
    summary = json.loads(out)
    assert summary["model"] == "cost-mape" and summary["rows"] == 200 and summary["encoding"] == "hat10-raw"
    assert list(summary) == ["model", "encoding", "rows", "train", "out"]  # as 0.2 printed it (the tutorial shows it)
    code, out, err = _run(
        "evaluate", "--model", tmp_path / "m.bin", "--data", held, "--json", "--plot", tmp_path / "p.png"
    )
    assert code == 0, err
    scores = json.loads(out)
    assert set(scores) == {"mape", "rmse", "spearman", "kendall", "n"} and scores["n"] == 200
    assert scores["mape"] < 0.08 and scores["kendall"] > 0.7  # ~5% and ~0.8 on this GPU's data
    assert (tmp_path / "p.png").stat().st_size > 1000
    code, out, _ = _run("evaluate", "--model", tmp_path / "m.bin", "--data", held)
    assert code == 0 and "MAPE" in out and "Kendall" in out


def test_predict_arch_and_data(latency_csv: Callable[..., Path], tmp_path: Path) -> None:
    data = latency_csv(40, with_archs=True)
    code, _, err = _run(
        "fit", "--data", data, "--model", "mlp-ensemble", "--set", "steps=50", "--out", tmp_path / "e.bin"
    )
    assert code == 0, err
    dataset = load_latency_csv(data)
    assert dataset.archs is not None
    expected = load_regressor(tmp_path / "e.bin").predict(dataset.encode("hat10-raw"))
    write_arch_file(dataset.archs[0], tmp_path / "arch.yaml")
    code, out, err = _run("predict", "--model", tmp_path / "e.bin", "--arch", tmp_path / "arch.yaml", "--json")
    assert code == 0, err
    one = json.loads(out)
    assert (
        one["id"] == dataset.archs[0].arch_id and one["latency_ms"] == pytest.approx(expected[0]) and one["std_ms"] > 0
    )
    code, out, _ = _run("predict", "--model", tmp_path / "e.bin", "--data", data, "--json")
    many = json.loads(out)
    assert [r["id"] for r in many] == [a.arch_id for a in dataset.archs]
    np.testing.assert_allclose([r["latency_ms"] for r in many], expected)


def test_fit_with_another_encoding_and_knobs(latency_csv: Callable[..., Path], tmp_path: Path) -> None:
    data = latency_csv(40, with_archs=True)
    code, _, err = _run(
        "fit",
        "--data",
        data,
        "--encoding",
        "onehot",
        "--model",
        "gbdt",
        "--set",
        "max_iter=20",
        "--out",
        tmp_path / "g",
    )
    assert code == 0, err
    model = load_regressor(tmp_path / "g")
    assert model.encoding == "onehot" and model.config()["max_iter"] == 20


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["fit", "--model", "nope"], "unknown predictor 'nope'"),
        (["fit", "--set", "steps"], "--set expects KNOB=VALUE"),
        (
            ["fit", "--model", "hat-mlp", "--set", "stepz=3"],
            "unknown option 'stepz'; known: encoding, seed, hidden_dim",
        ),
        (
            ["fit", "--model", "hat-mlp", "--set", "steps=0"],
            "option 'steps' is 0: Input should be greater than or equal to 1",
        ),
        (["fit", "--model", "gbdt", "--set", "features=cost", "--encoding", "padded"], "option 'features' is 'cost'"),
        (["fit", "--set", "seed=3"], "option 'seed' has its own argument (--seed)"),
        (["fit", "--encoding", "onehot"], "needs full archs"),
    ],
)
def test_fit_errors_are_one_line(
    latency_csv: Callable[..., Path], tmp_path: Path, args: list[str], message: str
) -> None:
    code, _, err = _run(*args, "--data", latency_csv(20), "--out", tmp_path / "m.bin")
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1


def test_evaluate_and_predict_errors(latency_csv: Callable[..., Path], tmp_path: Path) -> None:
    data = latency_csv(20)
    code, _, err = _run("evaluate", "--model", tmp_path / "none.bin", "--data", data)
    assert code == 2 and "does not exist" in err
    assert _run("fit", "--data", data, "--out", tmp_path / "m.bin")[0] == 0
    code, _, err = _run("predict", "--model", tmp_path / "m.bin")
    assert code == 2 and "exactly one of --arch" in err
    code, _, err = _run("evaluate", "--model", tmp_path / "m.bin", "--data", tmp_path / "absent.csv")
    assert code == 2 and "does not exist" in err


def test_models_lists_each_predictor_with_its_options() -> None:
    code, out, err = _run("models", "gbdt")
    assert code == 0, err
    assert out.startswith("gbdt (predictor): gradient-boosted trees") and "  max_iter: int = 300" in out
    assert "set with hwnas latency fit --model gbdt --set KEY=VALUE" in out
    code, out, _ = _run("models", "--json")
    listed = json.loads(out)
    assert [e["name"] for e in listed] == sorted(e["name"] for e in listed) and len(listed) == 6
    assert {row["key"] for row in listed[0]["options"]} >= {"encoding", "seed"}
    code, _, err = _run("models", "nosuch")
    assert (
        code == 2 and "unknown predictor 'nosuch'; known: auto, cost-l2" in err and len(err.strip().splitlines()) == 1
    )
