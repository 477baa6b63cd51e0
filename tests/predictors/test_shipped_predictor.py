"""The shipped default predictor predicts the numbers it predicted before the predictor contract was redesigned
(values captured from the 0.2 code, ``predict_archs`` on the smallest, largest and first three dataset archs), now
through the arch-level contract, loaded bound to the space and unbound (each arch's own space)."""

from __future__ import annotations

import pytest

from hwnas.hardware import read_latency_dataset
from hwnas.hardware.evaluators import default_predictor_path
from hwnas.predictors import load_predictor
from hwnas.spaces import get_space

CAPTURED_MS = [323.9670998150449, 882.7627720584331, 609.0524463651244, 716.2940480035918, 399.5924354720233]
CAPTURED_SUM_MS = 162150.26657272584  # over all 300 archs of the shipped dataset


@pytest.mark.parametrize("bound", [True, False])
def test_shipped_predictor_predicts_the_captured_numbers(bound: bool) -> None:
    space = get_space("hat-wmt14ende")
    path = default_predictor_path(space, "cpu")
    model = load_predictor(path, space=space if bound else None)
    archs = read_latency_dataset(path.with_name(path.name.replace(".predictor.npz", ".csv"))).archs
    assert len(archs) == 300
    some = model.predict([space.smallest(), space.largest(), *archs[:3]])
    assert some.tolist() == pytest.approx(CAPTURED_MS, rel=1e-12)
    assert float(model.predict(archs).sum()) == pytest.approx(CAPTURED_SUM_MS, rel=1e-12)
    assert model.name == "cost-mape" and model.capabilities == frozenset()
