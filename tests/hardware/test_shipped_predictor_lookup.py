"""The shipped predictor is looked up by (space, device id): this machine's own hardware first, then any device of
the asked kind; a miss lists what is shipped. A predictor fitted on a collected dataset records its device."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from hwnas.contracts.predictor import DeviceId
from hwnas.core.errors import UnknownNameError
from hwnas.hardware import embedded, load_latency_csv
from hwnas.hardware import evaluators as ev
from hwnas.hardware.device import this_device_id
from hwnas.predictors import fit_on_dataset, load_predictor
from hwnas.spaces import get_space

SHIPPED = embedded.default_dataset("hat-wmt14ende", "cpu")
SPACE = get_space("hat-wmt14ende")


def test_the_shipped_cpu_predictor_is_keyed_by_space_and_device() -> None:
    assert SHIPPED.device_id == DeviceId("cpu", "AMD EPYC") and SHIPPED.predictor_path is not None
    for device in (DeviceId("cpu"), DeviceId("cpu", "amd-epyc"), DeviceId("cpu", "AMD EPYC")):
        assert embedded.shipped_predictor("hat-wmt14ende", [device]) == SHIPPED.predictor_path
    with pytest.raises(UnknownNameError) as missing:
        embedded.shipped_predictor("hat-wmt14ende", [DeviceId("cpu", "Intel Xeon"), DeviceId("cuda")])
    message = str(missing.value)
    assert "'hat-wmt14ende on cpu/Intel Xeon or cuda'" in message and "known: hat-wmt14ende on cpu/AMD EPYC" in message
    assert missing.value.known == ["hat-wmt14ende on cpu/AMD EPYC"]


def _copy_as(tmp_path: Path, cpu_model: str) -> embedded.EmbeddedDataset:
    """The shipped dataset and its predictor copied under another CPU's name."""
    name = f"hat-wmt14ende_cpu_{cpu_model.lower().replace(' ', '-')}"
    csv_path = tmp_path / f"{name}.csv"
    shutil.copyfile(SHIPPED.csv_path, csv_path)
    assert SHIPPED.predictor_path is not None
    shutil.copyfile(SHIPPED.predictor_path, tmp_path / f"{name}.predictor.npz")
    sidecar = json.loads(SHIPPED.csv_path.with_suffix(".json").read_text())
    sidecar["device"]["cpu_model"] = cpu_model
    csv_path.with_suffix(".json").write_text(json.dumps(sidecar))
    copy = embedded._from_csv(csv_path)
    assert copy is not None
    return copy


def test_this_machines_hardware_comes_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    other = _copy_as(tmp_path, "Other CPU 9000")
    monkeypatch.setattr(embedded, "embedded_datasets", lambda: (SHIPPED, other))
    monkeypatch.setattr("hwnas.hardware.device.this_device_id", lambda kind: DeviceId(kind, "Other CPU 9000"))
    assert ev.default_predictor_path(SPACE, "cpu") == other.predictor_path
    assert ev.default_predictor_path(SPACE, "cpu/AMD EPYC") == SHIPPED.predictor_path
    monkeypatch.setattr("hwnas.hardware.device.this_device_id", lambda kind: DeviceId(kind, "Unmeasured CPU"))
    assert ev.default_predictor_path(SPACE, "cpu") == SHIPPED.predictor_path  # any CPU, the first by name
    with pytest.raises(UnknownNameError, match="'hat-wmt14ende on cpu/Unmeasured CPU'"):
        ev.default_predictor_path(SPACE, "cpu/Unmeasured CPU")


def test_this_device_id_names_the_cpu_model() -> None:
    here = this_device_id("cpu")
    assert here.kind == "cpu" and here.hardware


def test_a_predictor_fitted_on_a_collected_dataset_records_its_device(tmp_path: Path) -> None:
    dataset = load_latency_csv(SHIPPED.csv_path)
    assert dataset.device == DeviceId("cpu", "AMD EPYC")
    predictor = fit_on_dataset(dataset)
    predictor.save(tmp_path / "m.npz")
    loaded = load_predictor(tmp_path / "m.npz")
    assert loaded.device == DeviceId("cpu", "AMD EPYC") and loaded.describe()["space"] == "hat-wmt14ende"
    archs = [SPACE.smallest(), SPACE.largest()]
    assert loaded.predict(archs).tolist() == load_predictor(SHIPPED.predictor_path or "").predict(archs).tolist()
