"""``accuracy-model``: an accuracy metric (BLEU by default) predicted by a saved arch-level predictor; cheap.

Without a model file it uses the one shipped for the space: ``evaluate/shipped/<space>.<metric>.npz``, each with a
``.json`` beside it saying what it was fitted on and how well it predicts (``benchmarks/ship_hat_bleu_predictor.py``
writes hat-wmt14ende's, from the 30 HAT archs LLM-PP trained from scratch). Predictions run with one BLAS/OpenMP
thread: a search asks for a few archs at a time, where thread start-up costs more than it saves.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from hwnas.contracts.predictor import Predictor
from hwnas.core.arch import Arch
from hwnas.core.errors import ConfigError, DataError
from hwnas.core.space import SearchSpace

SHIPPED = Path(__file__).resolve().parent / "shipped"


def shipped_models() -> list[str]:
    """``<space>.<metric>`` of every shipped accuracy model."""
    return sorted(path.stem for path in SHIPPED.glob("*.npz"))


def shipped_model_path(space: str, metric: str) -> Path:
    path = SHIPPED / f"{space}.{metric}.npz"
    if not path.is_file():
        shipped = ", ".join(shipped_models()) or "none"
        raise ConfigError(
            f"evaluator 'accuracy-model': no {metric!r} model is shipped for space {space!r} (shipped: {shipped}); "
            "give model PATH (a predictor file written by `hwnas latency fit` or `hwnas llm-pp distill`)"
        )
    return path


class PredictedMetricEvaluator:
    """One metric, predicted by ``predictor`` for every arch; cheap, so constraints on it are screened."""

    cheap = True

    def __init__(self, space: SearchSpace, predictor: Predictor, *, metric: str, direction: str, source: str) -> None:
        from threadpoolctl import ThreadpoolController

        self.space, self.predictor, self.source = space, predictor, source
        self.metrics: tuple[str, ...] = (metric,)
        self.fitness_direction = direction
        self._threads = ThreadpoolController()

    def evaluate(self, archs: Sequence[Arch]) -> list[dict[str, float]]:
        if not archs:
            return []
        for arch in archs:
            self.space.validate(arch)
        with self._threads.limit(limits=1):
            values = self.predictor.predict(list(archs))
        return [{self.metrics[0]: float(v)} for v in values]


def make_accuracy_model_evaluator(
    space: SearchSpace, *, model: str | None, metric: str, direction: str
) -> PredictedMetricEvaluator:
    from hwnas.predictors import load_predictor

    path = Path(model) if model else shipped_model_path(space.name, metric)
    if not path.is_file():
        raise DataError(f"evaluator 'accuracy-model': model file {str(path)!r} does not exist")
    predictor = load_predictor(path, space=space)
    return PredictedMetricEvaluator(space, predictor, metric=metric, direction=direction, source=str(path))
