"""The arch-level predictor contract: archs in, means out; declared capabilities and clear refusals; the model file
keeps the space and device; device ids."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from hwnas.contracts.predictor import Capability, DeviceId, require
from hwnas.core.errors import ConfigError, DataError, InvalidArchError
from hwnas.predictors import (
    EncodedPredictor,
    LatencyDataset,
    fit_predictor,
    load_predictor,
    make_predictor,
    predict_rows,
)
from hwnas.predictors.base import read_model_file, write_model_file
from hwnas.spaces import get_space

SPACE = get_space("hat-wmt14ende")
EPYC = DeviceId("cpu", "AMD EPYC")


@pytest.fixture(scope="module")
def fitted(synthetic_data: Any) -> tuple[EncodedPredictor, list[Any], np.ndarray]:
    _, y, archs = synthetic_data(60, seed=11)
    return fit_predictor("cost-l2", archs, y, space=SPACE, device=EPYC), archs, y


def test_predict_takes_archs_and_equals_the_regressor_on_their_encoding(fitted: Any) -> None:
    predictor, archs, y = fitted
    expected = make_predictor("cost-l2").fit(np.stack([predictor.encode([a])[0] for a in archs]), y)
    np.testing.assert_array_equal(predictor.predict(archs), expected.predict(predictor.encode(archs)))
    assert predictor.predict([]).shape == (0,)
    with pytest.raises(InvalidArchError, match="space 'hat-wmt14ende': gene 'space'"):
        predictor.predict([get_space("tiny").smallest()])


def test_undeclared_capabilities_are_one_line_errors(fitted: Any) -> None:
    predictor, archs, y = fitted
    assert predictor.capabilities == frozenset()
    with pytest.raises(
        ConfigError, match=r"^predictor 'cost-l2' does not declare capability 'variance' \(it declares: none\)$"
    ):
        predictor.predict_variance(archs)
    with pytest.raises(ConfigError, match="does not declare capability 'device_conditioned'"):
        predictor.adapt(DeviceId("cuda", "NVIDIA H200"), archs[:5], y[:5])
    with pytest.raises(ConfigError, match="capability 'graph_inputs'"):
        require(predictor, Capability.GRAPH_INPUTS)


def test_variance_is_declared_by_the_ensemble(synthetic_data: Any) -> None:
    _, y, archs = synthetic_data(40, seed=12)
    options = {"steps": 30, "members": 2}
    predictor = fit_predictor("mlp-ensemble", archs, y, space=SPACE, options=options)
    assert predictor.capabilities == {Capability.VARIANCE}
    require(predictor, Capability.VARIANCE)
    variance = predictor.predict_variance(archs[:4])
    assert variance.shape == (4,) and np.all(variance > 0)
    from_rows = predict_rows(predictor, _dataset(archs, y), variance=True)[:4]
    np.testing.assert_allclose(variance, from_rows, rtol=1e-4)  # float32 batches of 4 and 40 rows round apart


def _dataset(archs: list[Any], y: np.ndarray) -> LatencyDataset:
    return LatencyDataset(latency=y, archs=tuple(archs))


def test_the_model_file_keeps_space_and_device(fitted: Any, tmp_path: Path) -> None:
    predictor, archs, _ = fitted
    predictor.save(tmp_path / "m.npz")
    header, _ = read_model_file(tmp_path / "m.npz")
    assert header["space"] == "hat-wmt14ende" and header["device"] == {"kind": "cpu", "hardware": "AMD EPYC"}
    loaded = load_predictor(tmp_path / "m.npz")
    assert loaded.device == EPYC
    assert loaded.describe() == {
        "model": "cost-l2",
        "encoding": "hat10-raw",
        "space": "hat-wmt14ende",
        "device": "cpu/AMD EPYC",
        "capabilities": [],
    }
    np.testing.assert_array_equal(loaded.predict(archs), predictor.predict(archs))


def test_files_without_space_or_device_load_as_predictors(fitted: Any, tmp_path: Path) -> None:
    predictor, archs, _ = fitted
    predictor.save(tmp_path / "new.npz")
    header, arrays = read_model_file(tmp_path / "new.npz")
    old = {key: value for key, value in header.items() if key not in ("space", "device")}
    write_model_file(tmp_path / "old.npz", {**old, "format": "hwnas.latency-predictor/1"}, arrays)
    loaded = load_predictor(tmp_path / "old.npz", space=SPACE)
    assert loaded.device is None and loaded.describe()["space"] == "hat-wmt14ende"  # the space it is bound to
    np.testing.assert_array_equal(loaded.predict(archs), predictor.predict(archs))


def test_rows_without_archs_are_predicted_from_their_columns(fitted: Any) -> None:
    predictor, archs, y = fitted
    features = predictor.encode(archs)
    from_columns = predict_rows(predictor, LatencyDataset(latency=y, features=features))
    np.testing.assert_array_equal(from_columns, predictor.predict(archs))


def test_a_plain_predictor_needs_archs_in_the_dataset() -> None:
    class Constant:
        name = "constant"
        capabilities: frozenset[Capability] = frozenset()
        device = None

        def predict(self, archs: Any) -> np.ndarray:
            return np.full(len(archs), 3.0)

    y = np.ones(3)
    assert predict_rows(Constant(), _dataset([SPACE.smallest()] * 3, y)).tolist() == [3.0] * 3  # type: ignore[arg-type]
    with pytest.raises(DataError, match="predictor 'constant' needs archs"):
        predict_rows(Constant(), LatencyDataset(latency=y, features=np.ones((3, 10))))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "kind", "hardware"),
    [
        ("cpu", "cpu", None),
        ("cuda:1", "cuda", None),
        ("cpu/AMD EPYC", "cpu", "AMD EPYC"),
        ("fpga/zcu102", "fpga", "zcu102"),
    ],
)
def test_device_ids_parse(text: str, kind: str, hardware: str | None) -> None:
    device = DeviceId.parse(text)
    assert (device.kind, device.hardware) == (kind, hardware)
    assert DeviceId.parse(str(device)) == device and DeviceId.from_dict(device.to_dict()) == device


def test_device_ids_cover_by_kind_and_normalised_hardware() -> None:
    assert DeviceId("cpu").covers(EPYC) and not EPYC.covers(DeviceId("cpu"))
    assert DeviceId("cpu", "amd-epyc").covers(EPYC) and not DeviceId("cpu", "Intel Xeon").covers(EPYC)
    assert not DeviceId("cuda").covers(EPYC)
    with pytest.raises(ConfigError, match="device kind '' must be one word"):
        DeviceId.parse("/AMD EPYC")
