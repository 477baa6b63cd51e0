"""Model-specific behaviour: HAT's MLP recipe, the cost models' exactness, auto's choice, the model file (its
formats old and new, atomic writes, the shipped files)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest
from pydantic import Field

import hwnas.hardware.datasets as shipped_datasets
from hwnas.core.errors import ConfigError, DataError, UnknownNameError
from hwnas.encodings.hat import hat_features
from hwnas.predictors import load_regressor, make_predictor, register_predictor
from hwnas.predictors.base import (
    MODEL_FORMAT,
    READABLE_FORMATS,
    HatFeatureOptions,
    PredictorOptions,
    read_model_file,
    write_model_file,
)
from hwnas.predictors.features import COST_FEATURE_NAMES, cost_features
from hwnas.predictors.hat_mlp import HatMLP
from hwnas.predictors.linear import CostL2
from hwnas.predictors.registry import PREDICTORS

SHIPPED_MODELS = Path(shipped_datasets.__file__).parent  # committed datasets and their fitted predictors


class Killed(BaseException):
    """Stands for a kill mid-write: not an Exception, so only cleanup that catches everything sees it."""


def test_hat_mlp_has_hats_shape_and_defaults() -> None:
    knobs = HatMLP().options
    assert (knobs.hidden_dim, knobs.hidden_layers, knobs.lr, knobs.steps, knobs.batch_size) == (400, 3, 1e-5, 5000, 128)
    X = np.tile([512.0, 6, 2048, 8, 512, 6, 2048, 8, 8, 1], (8, 1))
    model = make_predictor("hat-mlp", steps=1)
    model.fit(X, np.full(8, 100.0))
    shapes = [tuple(p.shape) for p in model.net_.parameters()]
    assert shapes == [(400, 10), (400,), (400, 400), (400,), (400, 400), (400,), (400, 400), (400,), (1, 400), (1,)]
    assert model.latency_norm_ == 100.0  # median training latency when none is given


def test_hat_mlp_tracking_equals_shorter_fit(synthetic_data: Any) -> None:
    X, y, _ = synthetic_data(40, seed=2)
    knobs = {"hidden_dim": 16, "lr": 1e-3, "batch_size": 16, "seed": 4}
    curve = make_predictor("hat-mlp", steps=30, **knobs).fit_tracking(X, y, X_eval=X[:5], at_steps=[10, 30])  # type: ignore[attr-defined]
    np.testing.assert_array_equal(curve[10], make_predictor("hat-mlp", steps=10, **knobs).fit(X, y).predict(X[:5]))
    np.testing.assert_array_equal(curve[30], make_predictor("hat-mlp", steps=30, **knobs).fit(X, y).predict(X[:5]))


def test_hat_mlp_tracking_times_each_snapshot(synthetic_data: Any) -> None:
    X, y, _ = synthetic_data(40, seed=2)
    model = make_predictor("hat-mlp", steps=30, hidden_dim=16, batch_size=16)
    model.fit_tracking(X, y, X_eval=X, at_steps=[5, 10, 30])  # type: ignore[attr-defined]
    seconds = model.snapshot_seconds_  # type: ignore[attr-defined]
    assert sorted(seconds) == [5, 10, 30] and 0 < seconds[5] < seconds[10] < seconds[30]


def test_cost_features_of_a_known_arch(synthetic_data: Any) -> None:
    _, _, archs = synthetic_data(1, seed=0)
    arch = archs[0]  # encoder 512 x 6, ffn [2048,2048,3072,3072,3072,3072]; decoder 512 x 6, ffn sum 11264
    row = dict(zip(COST_FEATURE_NAMES, cost_features(hat_features(arch)[None, :])[0], strict=True))
    assert row["enc_ffn_macs"] == 512 * (2 * 2048 + 4 * 3072)
    assert row["dec_ffn_macs"] == 512 * (1024 + 2048 + 2048 + 2048 + 1024 + 3072)
    attended = {-1: 1, 1: 2, 2: 3}
    assert row["dec_ende_length"] == pytest.approx(sum(attended[v] for v in (2, -1, 1, -1, -1, 1)))


def test_cost_mape_ignores_an_outlier_that_l2_chases(synthetic_data: Any) -> None:
    X, y, _ = synthetic_data(80, seed=5)
    corrupted = y.copy()
    corrupted[:6] *= 4.0  # a few artefact rows, like the start of HAT's Raspberry Pi file
    clean_rows = slice(6, None)
    l1 = make_predictor("cost-mape").fit(X, corrupted).predict(X[clean_rows])
    l2 = make_predictor("cost-l2").fit(X, corrupted).predict(X[clean_rows])
    assert np.max(np.abs(l1 / y[clean_rows] - 1)) < 1e-6
    assert np.mean(np.abs(l2 / y[clean_rows] - 1)) > 0.01  # pulled off by the corrupted rows


def test_auto_picks_by_cross_validation(synthetic_data: Any) -> None:
    X, y, _ = synthetic_data(60, seed=6)
    model = make_predictor("auto", candidates=["gbdt", "cost-l2"]).fit(X, y)
    assert model.chosen_ == "cost-l2" and model.cv_mape_["cost-l2"] < 1e-6 < model.cv_mape_["gbdt"]  # type: ignore[attr-defined]
    with pytest.raises(DataError, match="at least 4"):
        make_predictor("auto").fit(X[:3], y[:3])
    with pytest.raises(ConfigError, match=r"candidate 'auto' cannot be chosen \(auto cannot be its own\)"):
        make_predictor("auto", candidates=["auto"]).fit(X, y)


def test_registry_errors_name_what_is_known() -> None:
    with pytest.raises(UnknownNameError, match="hat-mlp"):
        make_predictor("hat-mpl")
    with pytest.raises(ConfigError, match=r"^predictor 'hat-mlp': unknown option 'stepz'; known: .*steps"):
        make_predictor("hat-mlp", stepz=3)
    with pytest.raises(ConfigError, match=r"^predictor 'auto': option 'candidates' is \['gdbt'\]: .*allowed: .*gbdt"):
        make_predictor("auto", candidates=["gdbt"])


def test_a_plugin_predictor_registers_with_its_options(synthetic_data: Any) -> None:
    class ScaledOptions(HatFeatureOptions):
        factor: float = Field(2.0, gt=0, description="multiplies the cost-l2 prediction")

    class Scaled(CostL2):
        """cost-l2 times a factor."""

        name: ClassVar[str] = "scaled-test"
        Options: ClassVar[type[PredictorOptions]] = ScaledOptions

        def _predict(self, X: np.ndarray) -> np.ndarray:
            return super()._predict(X) * float(self.options.factor)  # type: ignore[attr-defined]

    register_predictor(Scaled)
    try:
        described = PREDICTORS.describe("scaled-test")
        assert described["summary"] == "cost-l2 times a factor."
        assert [row["key"] for row in described["options"]] == ["encoding", "seed", "factor"]
        with pytest.raises(ConfigError, match="option 'factor' is -1"):
            make_predictor("scaled-test", factor=-1)
        X, y, _ = synthetic_data(30, seed=3)
        twice = make_predictor("scaled-test").fit(X, y).predict(X)
        np.testing.assert_allclose(twice, 2 * make_predictor("cost-l2").fit(X, y).predict(X))
    finally:
        PREDICTORS._entries.pop("scaled-test")


def test_model_file_refuses_what_is_not_a_model(tmp_path: Path) -> None:
    (tmp_path / "text.bin").write_text("hello")
    with pytest.raises(DataError, match="not a predictor model file"):
        load_regressor(tmp_path / "text.bin")
    buffer = io.BytesIO()
    np.savez(buffer, weights=np.zeros(3))
    (tmp_path / "plain.npz").write_bytes(buffer.getvalue())
    with pytest.raises(DataError, match="not a predictor model file"):
        load_regressor(tmp_path / "plain.npz")
    with pytest.raises(DataError, match=r"predictor model file .* does not exist"):
        load_regressor(tmp_path / "missing.bin")


def test_unknown_format_names_both_readable_ones(tmp_path: Path) -> None:
    write_model_file(tmp_path / "future.bin", {"format": "hwnas.predictor/99", "name": "cost-l2"}, {})
    with pytest.raises(DataError) as info:
        load_regressor(tmp_path / "future.bin")
    assert "'hwnas.predictor/99'" in str(info.value)
    assert "'hwnas.predictor/1'" in str(info.value) and "'hwnas.latency-predictor/1'" in str(info.value)


def test_files_of_the_old_format_still_load(synthetic_data: Any, tmp_path: Path) -> None:
    X, y, _ = synthetic_data(40, seed=8)
    model = make_predictor("cost-l2").fit(X, y)
    model.save(tmp_path / "new.npz")
    header, arrays = read_model_file(tmp_path / "new.npz")
    assert header["format"] == MODEL_FORMAT == "hwnas.predictor/1"
    write_model_file(tmp_path / "old.npz", {**header, "format": "hwnas.latency-predictor/1"}, arrays)
    with np.load(tmp_path / "old.npz", allow_pickle=False) as archive:  # really the old header on disk
        assert json.loads(str(archive["__header__"]))["format"] == "hwnas.latency-predictor/1"
    np.testing.assert_array_equal(load_regressor(tmp_path / "old.npz").predict(X), model.predict(X))


@pytest.mark.parametrize("path", sorted(SHIPPED_MODELS.glob("*.npz")), ids=lambda p: p.name)
def test_shipped_model_files_load(path: Path) -> None:
    header, _ = read_model_file(path)
    assert header["format"] in READABLE_FORMATS
    model = load_regressor(path)
    prediction = model.predict(np.tile([512.0, 6, 2048, 8, 512, 6, 2048, 8, 8, 1], (2, 1)))
    assert prediction.shape == (2,) and np.all(np.isfinite(prediction) & (prediction > 0))


def test_shipped_model_files_exist() -> None:
    assert sorted(SHIPPED_MODELS.glob("*.npz")), f"no model file under {SHIPPED_MODELS}"


def test_a_killed_save_leaves_the_old_model(
    synthetic_data: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    X, y, _ = synthetic_data(40, seed=9)
    make_predictor("cost-l2").fit(X, y).save(tmp_path / "m.npz")
    before = (tmp_path / "m.npz").read_bytes()

    def half_then_killed(self: Path, data: bytes) -> int:
        with self.open("wb") as handle:
            handle.write(data[: len(data) // 2])
        raise Killed

    monkeypatch.setattr(Path, "write_bytes", half_then_killed)
    with pytest.raises(Killed):
        make_predictor("cost-mape").fit(X, y).save(tmp_path / "m.npz")
    monkeypatch.undo()
    assert (tmp_path / "m.npz").read_bytes() == before and [p.name for p in tmp_path.iterdir()] == ["m.npz"]
    assert load_regressor(tmp_path / "m.npz").name == "cost-l2"


def test_model_file_holds_no_pickles(synthetic_data: Any, tmp_path: Path) -> None:
    X, y, _ = synthetic_data(30, seed=1)
    make_predictor("mlp-ensemble", steps=5, members=2).fit(X, y).save(tmp_path / "m.bin")
    with np.load(tmp_path / "m.bin", allow_pickle=False) as archive:
        assert all(archive[key].dtype != object for key in archive.files)
