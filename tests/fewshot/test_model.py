"""The few-shot model behind the predictor contract, and the user's path: pretrain on HELP's FBNet devices, suggest
archs, adapt from a measurement CSV, save, load through ``load_predictor`` and search with it. The "new device" is
a HELP device left out of the sources, so its true latencies are known. Skips without HWNAS_DATA_DIR."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from hwnas.cli.main import app
from hwnas.contracts.predictor import Capability, DeviceId
from hwnas.core.errors import ConfigError, DataError, UnknownNameError
from hwnas.fewshot.model import FewShotOptions, FewShotPredictor, read_fewshot
from hwnas.fewshot.tables import help_table
from hwnas.fewshot.user import read_measurements, suggest, write_suggestions
from hwnas.predictors import load_predictor
from hwnas.predictors.metrics import spearman
from hwnas.spaces import get_space

SOURCES = ["1080ti_1", "silver_4114", "pixel3"]
TINY_GNN = {"hidden": 8, "layers": 1, "pretrain_archs": 32, "pretrain_epochs": 1, "adapt_steps": 2}
runner = CliRunner()


@pytest.fixture(scope="module")
def fbnet(data_dir: Path):  # type: ignore[no-untyped-def]
    return help_table("fbnet")


@pytest.fixture(scope="module")
def pretrained(fbnet) -> FewShotPredictor:  # type: ignore[no-untyped-def]
    space = get_space("fbnet")
    return FewShotPredictor.pretrain(space, fbnet.archs, fbnet.columns(SOURCES), SOURCES, FewShotOptions(gnn=False))


def _measure(fbnet, archs, device: str = "raspi4") -> np.ndarray:  # type: ignore[no-untyped-def]
    row = {a: i for i, a in enumerate(fbnet.archs)}
    return np.array([fbnet.device(device).latency[row[a]] for a in archs])


def test_adapting_is_deterministic_and_leaves_the_pretrained_model_alone(fbnet, pretrained) -> None:  # type: ignore[no-untyped-def]
    archs = suggest(pretrained, 20, seed=1)
    assert archs == suggest(pretrained, 20, seed=1) and len(set(archs)) == 20
    values = _measure(fbnet, archs)
    one = pretrained.adapt(DeviceId("cpu", "raspi4"), archs, values)
    two = pretrained.adapt(DeviceId("cpu", "raspi4"), archs, values)
    every = list(fbnet.archs[:2000])
    assert np.array_equal(one.predict(every), two.predict(every))
    assert spearman(one.predict(every), fbnet.device("raspi4").latency[:2000]) > 0.8
    assert pretrained.samples is None and pretrained.device is None and one.device == DeviceId("cpu", "raspi4")
    with pytest.raises(ConfigError, match="pretrained only: adapt it to a device first"):
        pretrained.predict(every[:3])
    assert Capability.DEVICE_CONDITIONED in one.capabilities
    with pytest.raises(ConfigError, match="does not declare capability 'variance'"):
        one.predict_variance(every[:3])


def test_bad_samples_and_sources_are_refused(fbnet, pretrained) -> None:  # type: ignore[no-untyped-def]
    archs = list(fbnet.archs[:3])
    with pytest.raises(DataError, match=r"measured latency #2 is 0\.0"):
        pretrained.adapt(DeviceId("cpu"), archs, [1.0, 0.0, 2.0])
    with pytest.raises(DataError, match="one or more measured archs"):
        pretrained.adapt(DeviceId("cpu"), archs, [1.0])
    with pytest.raises(UnknownNameError, match="device 'jetson'"):
        fbnet.columns(["1080ti_1", "jetson"])
    with pytest.raises(ConfigError, match="samples: 6000 requested"):
        suggest(pretrained, 6000)
    with pytest.raises(UnknownNameError, match="few-shot sampler"):
        suggest(pretrained, 5, sampler="magic")


def test_a_saved_model_loads_as_a_latency_predictor_with_the_same_predictions(fbnet, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    space = get_space("fbnet")
    options = FewShotOptions(gnn=True, gnn_options=TINY_GNN)  # type: ignore[arg-type]
    model = FewShotPredictor.pretrain(space, fbnet.archs, fbnet.columns(SOURCES), SOURCES, options)
    archs = list(fbnet.archs[:10])
    adapted = model.adapt(DeviceId("cpu", "raspi4"), archs, _measure(fbnet, archs))
    assert Capability.GRAPH_INPUTS in adapted.capabilities
    adapted.save(tmp_path / "m.npz")
    loaded = load_predictor(tmp_path / "m.npz", space=space)
    rng = np.random.default_rng(0)
    outside = [space.sample(rng) for _ in range(20)]  # archs no source measured: their fallbacks
    assert np.allclose(loaded.predict(outside), adapted.predict(outside), rtol=1e-12)
    assert loaded.describe()["device"] == "cpu/raspi4" and loaded.describe()["gnn"]
    with pytest.raises(ConfigError, match="pretrained on space 'fbnet', not 'nb201'"):
        load_predictor(tmp_path / "m.npz", space=get_space("nb201"))


def test_measurement_csvs_are_read_or_refused_naming_the_line(fbnet, pretrained, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    space = get_space("fbnet")
    archs = suggest(pretrained, 3, seed=0, sampler="random")
    paths = write_suggestions(archs, tmp_path / "archs.jsonl")
    lines = Path(paths["csv"]).read_text().splitlines()
    assert lines[0] == "arch_file,latency_ms" and len(lines) == 4
    filled = [lines[0], *(f"{line}{v}" for line, v in zip(lines[1:], [3.0, 4.5, 1.25], strict=True))]
    Path(paths["csv"]).write_text("\n".join(filled) + "\n")
    read, values = read_measurements(paths["csv"], space)
    assert read == archs and values.tolist() == [3.0, 4.5, 1.25]
    bad = tmp_path / "bad.csv"
    for text, message in [
        ("arch_file,latency_ms\n", "has a header but no rows"),
        ("", "is empty"),
        (f"{filled[0]}\n{filled[1].rsplit(',', 1)[0]},fast\n", "line 2: latency_ms 'fast' is not a number"),
        (f"{filled[0]}\n{filled[1].rsplit(',', 1)[0]},-1\n", "line 2: latency_ms '-1' must be a finite number > 0"),
        (f"{filled[0]}\n,2.0\n", "line 2: arch_file is empty"),
        ("x,y\n1,2\n", "lacks column"),
    ]:
        bad.write_text(text)
        with pytest.raises(DataError, match=message):
            read_measurements(bad, space)
    with pytest.raises(ConfigError, match=r"give a \.jsonl path"):
        write_suggestions(archs, tmp_path / "archs.txt")


def test_the_users_path_on_the_command_line(fbnet, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    model, model2 = tmp_path / "m.npz", tmp_path / "m2.npz"
    result = runner.invoke(app, ["fewshot", "pretrain", "--space", "fbnet", "--source", ",".join(SOURCES),
                                 "--out", str(model), "--no-gnn"])  # fmt: skip
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["fewshot", "suggest", "--model", str(model), "--n", "12", "--out",
                                 str(tmp_path / "archs.jsonl")])  # fmt: skip
    assert result.exit_code == 0, result.output
    table = tmp_path / "archs.csv"
    archs, _ = [], None
    rows = table.read_text().splitlines()
    from hwnas.encodings.archfile import load_arch_file

    archs = [load_arch_file(tmp_path / r.split(",")[0]) for r in rows[1:]]
    values = _measure(fbnet, archs)
    table.write_text("\n".join([rows[0], *(f"{r}{v}" for r, v in zip(rows[1:], values, strict=True))]) + "\n")
    result = runner.invoke(app, ["fewshot", "adapt", "--model", str(model), "--data", str(table), "--out",
                                 str(model2), "--device", "cpu/raspi4"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["samples"] == 12 and read_fewshot(model2).device == DeviceId("cpu", "raspi4")
    result = runner.invoke(app, ["search", "--space", "fbnet", "--latency-model", str(model2), "--objective",
                                 "latency:min", "--searcher", "random", "--iterations", "2", "--population", "5",
                                 "--out", str(tmp_path / "run"), "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["fewshot", "adapt", "--model", str(model), "--data", str(tmp_path / "none.csv"),
                                 "--out", str(model2)])  # fmt: skip
    assert result.exit_code == 2 and "does not exist" in result.stderr


def test_tasks_and_run_on_the_command_line(data_dir: Path) -> None:
    result = runner.invoke(app, ["fewshot", "tasks", "--json"])
    tasks = {t["task"]: t for t in json.loads(result.output)}
    assert tasks["F3"]["public"] and not tasks["N2"]["public"] and tasks["N2"]["missing"]
    result = runner.invoke(app, ["fewshot", "run", "--task", "F0", "--samples", "5", "--seeds", "1",
                                 "--predictor", "flops", "--no-gnn", "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    records = json.loads(result.output)
    assert [r["target"] for r in records] == ["fpga", "raspi4", "eyeriss", "mean"]
    assert all(
        {"spearman_all", "spearman_unseen", "spearman_all_std", "spearman_unseen_std"} <= set(r) for r in records
    )
    for args, message in [
        (["--task", "N2"], "not in the public HELP tables"),
        (["--task", "F0", "--source", "pixel3"], "not both"),
        (["--space", "fbnet", "--source", "pixel3", "--target", "jetson"], "device (target) 'jetson'"),
        (["--task", "F0", "--samples", "0"], "give integers >= 1"),
        (["--task", "F0", "--predictor", "magic"], "method"),
        (["--space", "nas101", "--source", "a", "--target", "b"], "unknown few-shot space 'nas101'"),
        (["--space", "hat-wmt14ende", "--source", "amd-epyc", "--target", "xeon"], "HAT's CSVs hold no archs"),
    ]:
        result = runner.invoke(app, ["fewshot", "run", *args, "--no-gnn"])
        assert result.exit_code == 2 and message in result.stderr, (args, result.stderr)


def test_the_hat_space_transfers_from_hats_csvs_to_the_projects_own_dataset(data_dir: Path, tmp_path: Path) -> None:
    from hwnas.fewshot.devices import pretrain
    from hwnas.fewshot.tables import hat_devices

    model = pretrain("hat-wmt14ende", ["raspberrypi", "xeon", "titanxp"])
    assert model.gnn is None and len(model.pool(seed=3)) == 2000
    own = hat_devices()["amd-epyc"]
    assert own.archs is not None
    archs, latency = list(own.archs), own.latency
    adapted = model.adapt(DeviceId("cpu", "AMD EPYC"), archs[:20], latency[:20])
    rest = adapted.predict(archs[20:])
    assert spearman(rest, latency[20:]) > 0.9 and np.mean(np.abs(rest - latency[20:]) / latency[20:]) < 0.15
    adapted.save(tmp_path / "hat.npz")
    assert np.array_equal(load_predictor(tmp_path / "hat.npz").predict(archs[20:]), rest)
    with pytest.raises(UnknownNameError, match="unknown hat-wmt14ende device \\(source\\) 'pixel3'"):
        pretrain("hat-wmt14ende", ["pixel3"])


@pytest.mark.parametrize("n", [1, 2, 4])
def test_fewer_samples_than_the_stack_weighs_fall_back_to_flops_and_the_best_source(fbnet, pretrained, n: int) -> None:  # type: ignore[no-untyped-def]
    archs = list(fbnet.archs[100 : 100 + n])
    adapted = pretrained.adapt(DeviceId("cpu", "raspi4"), archs, _measure(fbnet, archs))
    expected = {"flops": 1.0} if n == 1 else {"flops": 0.5, "best-source": 0.5}
    assert adapted.describe()["stack_weights"] == expected
    prediction = adapted.predict(list(fbnet.archs[:500]))
    assert np.all(np.isfinite(prediction)) and np.all(prediction > 0)
    assert spearman(prediction, fbnet.device("raspi4").latency[:500]) > 0.5
