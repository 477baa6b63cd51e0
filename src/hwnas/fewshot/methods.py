"""Few-shot latency methods: each is fitted on a few target-device samples (their :class:`ArchFeatures` and log
latencies) and predicts the log latency of other archs.

The simple, strong baselines the published tables leave out (issue 16), and the stack that combines them:

- ``flops`` / ``params``: the arch's analytic count (its family's ``counts``), a line in log-log through the
  samples;
- ``best-source``: the source device whose latencies rank the samples most like the target (tie-aware Spearman;
  ties go to the earlier source), a line in log-log;
- ``ridge-transfer``: ridge regression (penalty chosen by leave-one-out, scikit-learn's RidgeCV) from the sources'
  log latencies to the target's;
- ``opcount-ridge``: the same ridge from how often each option of each decision occurs in the arch, no source
  device at all (latency on a GPU is close to a sum over layers, so a few samples fit it);
- ``op-sum``: latency (in ms, not its log) as an intercept plus a non-negative cost per op, times how often the
  op occurs in the arch (:attr:`ArchFeatures.totals`), fitted by non-negative least squares: a device that runs
  every op of the graph is close to additive in ms (on NB201 it reaches Spearman 1.00 on titan_rtx_256 and fpga
  from 20 samples), and the signs keep 20 samples from fitting noise;
- ``ridge-all``: one ridge on the source latencies, option counts and analytic counts together;
- ``gbdt-all``: gradient-boosted trees (scikit-learn) on the same features;
- ``gnn``: the adapted GNN's score (:mod:`hwnas.fewshot.gnn`), a line through the samples;
- ``stack`` (the default): every base of :data:`STACK_BASES` available is scored by leave-one-out on the samples
  (each refitted without the left-out sample, then the left-out one predicted); the bases' leave-one-out
  predictions are combined by non-negative least squares (stacked generalisation), and the combination is applied
  to the bases fitted on every sample. With fewer than :data:`STACK_MIN_SAMPLES` samples there is too little to
  weigh them by and the stack is the mean of the ``flops`` (when the family has counts) and ``best-source``
  predictions (with one sample, ``flops`` alone where there are counts: one sample cannot tell which source
  ranks like the target).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from hwnas.core.errors import ConfigError, UnknownNameError
from hwnas.fewshot.features import ArchFeatures
from hwnas.predictors.metrics import spearman

Base = Callable[[ArchFeatures, np.ndarray, ArchFeatures], np.ndarray]
"""(samples' features, their log latencies, features of the archs to predict) -> predicted log latencies."""

STACK_MIN_SAMPLES = 5
RIDGE_ALPHAS = np.logspace(-3, 3, 13)
OP_SUM_FLOOR = 0.05
"""``op-sum``'s lowest prediction, as a fraction of the fastest sample's latency."""


def _line(x_train: np.ndarray, logy: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``x`` mapped by the least-squares line through the samples (their mean with one sample or a flat ``x``)."""
    if len(logy) < 2 or np.ptp(x_train) == 0:
        flat: np.ndarray = x - float(np.mean(x_train)) + float(np.mean(logy))
        return flat
    slope, intercept = np.polyfit(x_train, logy, 1)
    return float(slope) * x + float(intercept)


def _counts(features: ArchFeatures, column: int, name: str) -> np.ndarray:
    if features.counts is None:
        raise ConfigError(f"few-shot method {name!r} needs analytic counts, which this space's family lacks")
    return features.counts[:, column]


def flops(train: ArchFeatures, logy: np.ndarray, archs: ArchFeatures) -> np.ndarray:
    return _line(_counts(train, 0, "flops"), logy, _counts(archs, 0, "flops"))


def params(train: ArchFeatures, logy: np.ndarray, archs: ArchFeatures) -> np.ndarray:
    return _line(_counts(train, 1, "params"), logy, _counts(archs, 1, "params"))


def best_column(train: ArchFeatures, logy: np.ndarray) -> int:
    """The source whose latencies rank the samples most like ``logy`` (the first one on a tie or with 1 sample)."""
    scores = [spearman(logy, train.sources[:, j]) if len(logy) > 1 else 0.0 for j in range(train.sources.shape[1])]
    return int(np.argmax([s if np.isfinite(s) else -np.inf for s in scores]))


def best_source(train: ArchFeatures, logy: np.ndarray, archs: ArchFeatures) -> np.ndarray:
    j = best_column(train, logy)
    return _line(train.sources[:, j], logy, archs.sources[:, j])


def _ridge(x_train: np.ndarray, logy: np.ndarray, x: np.ndarray) -> np.ndarray:
    from sklearn.linear_model import RidgeCV

    if len(logy) < 3:
        return np.full(len(x), float(np.mean(logy)))
    prediction: np.ndarray = RidgeCV(alphas=RIDGE_ALPHAS).fit(x_train, logy).predict(x)
    return prediction


def ridge_transfer(train: ArchFeatures, logy: np.ndarray, archs: ArchFeatures) -> np.ndarray:
    return _ridge(train.sources, logy, archs.sources)


def opcount_ridge(train: ArchFeatures, logy: np.ndarray, archs: ArchFeatures) -> np.ndarray:
    return _ridge(train.options, logy, archs.options)


def op_sum(train: ArchFeatures, logy: np.ndarray, archs: ArchFeatures) -> np.ndarray:
    from scipy.optimize import nnls

    ms = np.exp(logy)
    weights, _ = nnls(np.hstack([np.ones((len(ms), 1)), train.totals]), ms)
    predicted = np.hstack([np.ones((len(archs.archs), 1)), archs.totals]) @ weights
    # an arch without ops can come out at 0 ms: keep the log finite, below every sample
    floored: np.ndarray = np.log(np.maximum(predicted, OP_SUM_FLOOR * float(ms.min())))
    return floored


def _everything(features: ArchFeatures) -> np.ndarray:
    parts = [features.sources, features.options] + ([] if features.counts is None else [features.counts])
    return np.concatenate(parts, axis=1)


def ridge_all(train: ArchFeatures, logy: np.ndarray, archs: ArchFeatures) -> np.ndarray:
    return _ridge(_everything(train), logy, _everything(archs))


def gbdt_all(train: ArchFeatures, logy: np.ndarray, archs: ArchFeatures) -> np.ndarray:
    """Gradient-boosted trees on the same features as ``ridge-all`` (small leaves: a few samples)."""
    from sklearn.ensemble import HistGradientBoostingRegressor

    if len(logy) < 4:
        return np.full(len(archs.archs), float(np.mean(logy)))
    model = HistGradientBoostingRegressor(max_iter=200, learning_rate=0.1, min_samples_leaf=2, random_state=0)
    prediction: np.ndarray = model.fit(_everything(train), logy).predict(_everything(archs))
    return prediction


def gnn(train: ArchFeatures, logy: np.ndarray, archs: ArchFeatures) -> np.ndarray:
    if train.gnn is None or archs.gnn is None:
        raise ConfigError("few-shot method 'gnn' needs a model pretrained with its GNN (gnn: true)")
    return _line(train.gnn, logy, archs.gnn)


BASES: dict[str, Base] = {
    "flops": flops,
    "params": params,
    "best-source": best_source,
    "ridge-transfer": ridge_transfer,
    "opcount-ridge": opcount_ridge,
    "op-sum": op_sum,
    "ridge-all": ridge_all,
    "gbdt-all": gbdt_all,
    "gnn": gnn,
}


STACK_BASES = ("flops", "params", "best-source", "ridge-transfer", "opcount-ridge", "op-sum")
"""The bases the stack weighs. ``ridge-all`` (every feature in one ridge) overfits 20 samples and made the stack
worse on three FBNet tasks; the GNN is adapted on all samples, so its leave-one-out score is optimistic and the
stack over-weighs it (worse on every task), while with out-of-fold GNN scores it earned no weight: both stay
methods of their own."""


def available_bases(features: ArchFeatures) -> list[str]:
    """The stack's bases ``features`` can feed (no counts: no flops/params)."""
    return [n for n in STACK_BASES if features.counts is not None or n not in ("flops", "params")]


def leave_one_out(base: Base, train: ArchFeatures, logy: np.ndarray) -> np.ndarray:
    """[samples] each sample's prediction by ``base`` fitted on the other samples."""
    out = np.empty(len(logy))
    for i in range(len(logy)):
        rest = np.delete(np.arange(len(logy)), i)
        out[i] = base(train.take(rest), logy[rest], train.take(np.array([i])))[0]
    return out


def stack_weights(train: ArchFeatures, logy: np.ndarray) -> dict[str, float]:
    """Non-negative weights (summing to 1) of the bases, from their leave-one-out predictions on the samples."""
    from scipy.optimize import nnls

    names = available_bases(train)
    if len(logy) < STACK_MIN_SAMPLES:
        # one sample cannot say which source ranks like the target: FLOPs alone where the family counts them
        chosen = [n for n in ("flops", "best-source") if n in names and (n == "flops" or len(logy) > 1)]
        chosen = chosen or ["best-source"]
        return {n: 1.0 / len(chosen) for n in chosen}
    held_out = np.stack([leave_one_out(BASES[n], train, logy) for n in names], axis=1)
    weights, _ = nnls(held_out, logy)
    if weights.sum() <= 0:
        return {"best-source": 1.0}
    weights = weights / weights.sum()
    return {n: float(w) for n, w in zip(names, weights, strict=True) if w > 0}


def combine(weights: dict[str, float], train: ArchFeatures, logy: np.ndarray, archs: ArchFeatures) -> np.ndarray:
    """The bases fitted on every sample, weighted (the stack once its weights are known)."""
    combined = sum(w * BASES[n](train, logy, archs) for n, w in weights.items())
    return np.asarray(combined, dtype=np.float64)


def stack(train: ArchFeatures, logy: np.ndarray, archs: ArchFeatures) -> np.ndarray:
    return combine(stack_weights(train, logy), train, logy, archs)


METHODS: dict[str, Base] = {**BASES, "stack": stack}
DEFAULT_METHOD = "stack"


def get_method(name: str) -> Base:
    if name not in METHODS:
        raise UnknownNameError("few-shot method", name, sorted(METHODS))
    return METHODS[name]
