"""One contract suite run against every registered predictor: fit / predict / save / load, input checks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from hwnas.core.errors import ConfigError, DataError
from hwnas.predictors import Capability, load_regressor, make_predictor, mape, predictor_names

# small settings so the whole suite stays fast; the defaults are exercised by the benchmark
FAST: dict[str, dict[str, Any]] = {
    "hat-mlp": {"hidden_dim": 32, "steps": 300, "lr": 1e-3},
    "mlp-ensemble": {"steps": 300, "members": 3},
    "gbdt": {"max_iter": 60},
    "auto": {"candidates": ["cost-l2", "gbdt"]},
}
# held-out MAPE each must beat on noise-free data of known structure (predicting the mean scores ~0.3)
MAX_MAPE = {"cost-l2": 1e-6, "cost-mape": 1e-6, "auto": 1e-6, "gbdt": 0.06, "mlp-ensemble": 0.06, "hat-mlp": 0.08}


def test_every_registered_predictor_is_covered() -> None:
    assert set(predictor_names()) == set(MAX_MAPE)


@pytest.fixture(scope="module")
def split(synthetic_data: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    X, y, _ = synthetic_data(260, seed=3)
    return X[:160], y[:160], X[160:], y[160:]


@pytest.mark.parametrize("name", sorted(MAX_MAPE))
def test_fit_predict_save_load(name: str, split: Any, tmp_path: Path) -> None:
    X_train, y_train, X_test, y_test = split
    baseline = mape(y_test, np.full_like(y_test, y_train.mean()))
    model = make_predictor(name, seed=1, **FAST.get(name, {})).fit(X_train, y_train)
    prediction = model.predict(X_test)
    assert prediction.shape == y_test.shape
    assert mape(y_test, prediction) < min(MAX_MAPE[name], baseline / 2)
    model.save(tmp_path / "model.bin")
    loaded = load_regressor(tmp_path / "model.bin")
    assert (tmp_path / "model.bin").exists() and not (tmp_path / "model.bin.npz").exists()
    assert type(loaded) is type(model) and loaded.config() == model.config()
    np.testing.assert_array_equal(loaded.predict(X_test), prediction)
    if Capability.VARIANCE in model.capabilities:
        np.testing.assert_array_equal(loaded.predict_var(X_test), model.predict_var(X_test))


@pytest.mark.parametrize("name", sorted(MAX_MAPE))
def test_same_seed_same_model(name: str, split: Any) -> None:
    X_train, y_train, X_test, _ = split
    first = make_predictor(name, seed=7, **FAST.get(name, {})).fit(X_train[:60], y_train[:60]).predict(X_test)
    again = make_predictor(name, seed=7, **FAST.get(name, {})).fit(X_train[:60], y_train[:60]).predict(X_test)
    np.testing.assert_array_equal(first, again)


@pytest.mark.parametrize("name", ["cost-l2", "gbdt"])
def test_bad_inputs_are_refused(name: str, split: Any) -> None:
    X_train, y_train, _, _ = split
    model = make_predictor(name)
    with pytest.raises(ConfigError, match="not fitted"):
        model.predict(X_train)
    bad_y = y_train.copy()
    bad_y[4] = 0.0
    with pytest.raises(DataError, match="target row 4"):
        model.fit(X_train, bad_y)
    bad_X = X_train.copy()
    bad_X[2, 3] = np.nan
    with pytest.raises(DataError, match="row 2 column 3"):
        model.fit(bad_X, y_train)
    model.fit(X_train, y_train)
    with pytest.raises(DataError, match="fitted on 10"):
        model.predict(X_train[:, :9])


def test_cost_models_refuse_other_encodings() -> None:
    with pytest.raises(ConfigError, match="hat10-raw"):
        make_predictor("cost-mape", encoding="onehot")
    with pytest.raises(ConfigError, match="needs encoding 'hat10-raw'"):
        make_predictor("gbdt", encoding="onehot", features="cost")
    assert make_predictor("gbdt", encoding="onehot").feature_set_ == "raw"  # type: ignore[attr-defined]


def test_variance_only_where_the_model_has_it(split: Any) -> None:
    X_train, y_train, X_test, _ = split
    ensemble = make_predictor("mlp-ensemble", **FAST["mlp-ensemble"]).fit(X_train, y_train)
    assert ensemble.capabilities == {Capability.VARIANCE}
    var = ensemble.predict_var(X_test)
    assert var.shape == (len(X_test),) and np.all(var > 0)
    linear = make_predictor("cost-l2").fit(X_train, y_train)
    assert linear.capabilities == frozenset()
    with pytest.raises(ConfigError, match=r"'cost-l2' does not declare capability 'variance' \(it declares: none\)"):
        linear.predict_var(X_test)
