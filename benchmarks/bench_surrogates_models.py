"""The models ``bench_surrogates.py`` puts beside hwnas's benchmark surrogate, each fitted on the training rows of
:func:`hwnas.bench.holdout.split` and scored on its held-out rows.

- **LightGBM** on the split's full feature matrix (every feature block: per-block counts, per-layer one-hots by
  position, the analytic FLOP components and the size hinges, the columns hwnas's surrogates choose from). Several
  point configurations (``LIGHTGBM_CONFIGS``) are fitted and the benchmark compares with the best of them on the
  held-out rows themselves, a choice that favours LightGBM; its 80% interval comes from two models with LightGBM's
  own quantile objective at 0.1 and 0.9 (``QUANTILE_PARAMS``).
- **HW-GPT-Bench's recipe**, where it can be reproduced without its checkpoints: the MLP it trains for perplexity
  (``hwgpt/predictors/metric/train.py``: a one-hot of the arch, 4 ReLU layers of 128, MSE on the raw value, Adam lr
  1e-3, batch 1,024, 4,000 epochs; the same script with ``--metric accuracy`` for accuracy) and for memory
  (``hwgpt/predictors/hwmetric/models/mlp/train.py``: the min-max normalised arch map with -1 for absent layers,
  the same network, MSE on megabytes, Adam lr 1e-4, batch 1,024, 4,000 epochs). Its latency and energy surrogates
  are AutoGluon stacks (see ``HWGPT_NOT_REPRODUCED``), not reproduced here.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from hwnas.bench.archs import ArchArrays, Grid
from hwnas.bench.holdout import HoldoutSplit

# name -> (target, LightGBM parameters); every model also gets n_jobs=1, verbose=-1 and random_state=<split seed>.
LIGHTGBM_CONFIGS: dict[str, tuple[str, dict[str, Any]]] = {
    "l2-default": ("value", {}),  # LightGBM's defaults: 100 trees, learning rate 0.1, 31 leaves, L2 loss
    "l2-500": ("value", {"n_estimators": 500, "learning_rate": 0.05}),
    # L1 on log(value): the median of the log, which weighs every arch by its relative error as MAPE does and
    # shrugs off outlier repeats (much the best of the three on the noisy energy columns)
    "l1-log-500": ("log", {"n_estimators": 500, "learning_rate": 0.05, "objective": "l1"}),
}
QUANTILE_PARAMS: dict[str, Any] = {"objective": "quantile", "n_estimators": 500, "learning_rate": 0.05}
HWGPT_NOT_REPRODUCED = (
    "HW-GPT-Bench's API serves latency and energy from AutoGluon TabularPredictors (presets best_quality, 8 bagging "
    "folds x 2 sets, one stacking level, under a time limit; hwgpt/predictors/hwmetric/models/autogluon/), a mean "
    "and a log-std label per (scale, device); such a stack depends on AutoGluon's version, the time limit and the "
    "machine, and AutoGluon is not installed here, so it is not reproduced (no figure is given for it). Power has "
    "no surrogate in HW-GPT-Bench."
)


@dataclass(frozen=True)
class MlpRecipe:
    """One of HW-GPT-Bench's MLP surrogates: its input encoding and training settings."""

    inputs: str  # "one-hot" (perplexity, accuracy) or "feature-map" (memory)
    learning_rate: float
    epochs: int = 4000
    batch: int = 1024
    hidden: int = 128
    source: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


HWGPT_RECIPES = {
    "perplexity": MlpRecipe("one-hot", 1e-3, source="hwgpt/predictors/metric/train.py"),
    "accuracy": MlpRecipe("one-hot", 1e-3, source="hwgpt/predictors/metric/train.py --metric accuracy"),
    "memory": MlpRecipe("feature-map", 1e-4, source="hwgpt/predictors/hwmetric/models/mlp/train.py"),
}


def point_scores(truth: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    """MAPE (percent) and Kendall's tau-b of predictions against the held-out values."""
    from scipy.stats import kendalltau

    tau = float(kendalltau(truth, predicted).statistic)
    return {"mape": float(np.mean(np.abs(predicted / truth - 1)) * 100), "kendall": tau if np.isfinite(tau) else 0.0}


def interval_scores(truth: np.ndarray, low: np.ndarray, high: np.ndarray) -> dict[str, float]:
    """Share of held-out values inside [low, high], and the interval's mean width relative to the value."""
    inside = (truth >= low) & (truth <= high)
    return {"coverage": float(np.mean(inside)), "width": float(np.mean((high - low) / truth))}


def _lightgbm(params: dict[str, Any], seed: int) -> Any:
    import lightgbm

    return lightgbm.LGBMRegressor(n_jobs=1, verbose=-1, random_state=seed, **params)


def lightgbm_scores(rows: HoldoutSplit, seed: int, level: float) -> dict[str, Any]:
    """Every point configuration's scores and the quantile pair's coverage, on the split's full features."""
    x_train, x_test = rows.full[rows.train], rows.full[rows.test]  # [n_train, P], [n_test, P]
    y_train, truth = rows.y[rows.train], rows.y[rows.test]
    configs: dict[str, Any] = {}
    for name, (target, params) in LIGHTGBM_CONFIGS.items():
        fitted = _lightgbm(params, seed).fit(x_train, np.log(y_train) if target == "log" else y_train)
        predicted = fitted.predict(x_test)
        configs[name] = point_scores(truth, np.exp(predicted) if target == "log" else predicted)
    bounds = [
        _lightgbm({**QUANTILE_PARAMS, "alpha": alpha}, seed).fit(x_train, y_train).predict(x_test)
        for alpha in ((1 - level) / 2, (1 + level) / 2)
    ]
    low, high = np.minimum(*bounds), np.maximum(*bounds)  # separately fitted quantiles may cross
    return {"configs": configs, "quantile": interval_scores(truth, low, high)}


def one_hot(arrays: ArchArrays, grid: Grid) -> np.ndarray:
    """[n, E + C + L*R + L*H + 2]: HW-GPT-Bench's perplexity input (embed, n_layer, each layer's MLP ratio, each
    layer's heads, bias; absent layers all zero)."""
    n, width = len(arrays), grid.max_layers
    embed = np.eye(len(grid.embed))[arrays.embed]  # [n, E]
    layers = (arrays.n_layer[:, None] == np.asarray(grid.layers)).astype(np.float64)  # [n, C]
    ratios = np.eye(len(grid.ratios))[arrays.ratios] * arrays.mask[:, :, None]  # [n, L, R]
    heads = np.eye(len(grid.heads))[arrays.heads] * arrays.mask[:, :, None]  # [n, L, H]
    bias = np.column_stack([arrays.bias, ~arrays.bias]).astype(np.float64)  # [n, 2]
    return np.hstack([embed, layers, ratios.reshape(n, width * len(grid.ratios)),
                      heads.reshape(n, width * len(grid.heads)), bias])  # fmt: skip


def feature_map(arrays: ArchArrays, grid: Grid) -> np.ndarray:
    """[n, 2 + 2L + 1]: HW-GPT-Bench's memory input: embed and n_layer min-max normalised, each layer's MLP ratio and
    heads min-max normalised (-1 for absent layers), bias 0/1."""

    def scaled(values: np.ndarray, choices: tuple[int, ...]) -> np.ndarray:
        return (values - min(choices)) / (max(choices) - min(choices))

    embed = scaled(np.asarray(grid.embed, dtype=np.float64)[arrays.embed], grid.embed)  # [n]
    layers = scaled(arrays.n_layer.astype(np.float64), grid.layers)  # [n]
    ratios = np.where(arrays.mask, scaled(np.asarray(grid.ratios, dtype=np.float64)[arrays.ratios], grid.ratios), -1)
    heads = np.where(arrays.mask, scaled(np.asarray(grid.heads, dtype=np.float64)[arrays.heads], grid.heads), -1)
    return np.column_stack([embed, layers, ratios, heads, arrays.bias.astype(np.float64)])


def fit_predict_mlp(x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray, recipe: MlpRecipe,
                    seed: int) -> np.ndarray:  # fmt: skip
    """Train the recipe's MLP (4 ReLU layers of ``hidden``, MSE, Adam, shuffled mini-batches every epoch, the last
    one partial) and predict the held-out rows; one torch thread, seeded."""
    import torch

    torch.manual_seed(seed)
    width = recipe.hidden
    layers: list[torch.nn.Module] = []
    for size in (x_train.shape[1], width, width, width):
        layers += [torch.nn.Linear(size, width), torch.nn.ReLU()]
    net = torch.nn.Sequential(*layers, torch.nn.Linear(width, 1))
    optimiser = torch.optim.Adam(net.parameters(), lr=recipe.learning_rate)
    inputs = torch.as_tensor(x_train, dtype=torch.float32)  # [n, k]
    target = torch.as_tensor(y_train, dtype=torch.float32)  # [n]
    shuffle = torch.Generator().manual_seed(seed)
    for _ in range(recipe.epochs):
        order = torch.randperm(inputs.shape[0], generator=shuffle)
        for start in range(0, inputs.shape[0], recipe.batch):
            batch = order[start : start + recipe.batch]
            optimiser.zero_grad()
            loss = torch.nn.functional.mse_loss(net(inputs[batch]).squeeze(-1), target[batch])  # [b] vs [b]
            loss.backward()  # type: ignore[no-untyped-call]
            optimiser.step()
    with torch.no_grad():
        return np.asarray(net(torch.as_tensor(x_test, dtype=torch.float32)).squeeze(-1).double().numpy())  # [n_test]


def hwgpt_scores(arrays: ArchArrays, grid: Grid, rows: HoldoutSplit, metric: str, seed: int,
                 epochs: int) -> dict[str, Any] | None:  # fmt: skip
    """HW-GPT-Bench's recipe for ``metric`` on the split (``arrays``: every row's arch), or None where it has none
    that can be reproduced. ``epochs`` below the recipe's 4,000 is for smoke runs only."""
    recipe = HWGPT_RECIPES.get(metric)
    if recipe is None:
        return None
    encode = one_hot if recipe.inputs == "one-hot" else feature_map
    inputs = encode(arrays, grid)  # [N, k]
    settings = MlpRecipe(**{**recipe.to_dict(), "epochs": epochs})
    predicted = fit_predict_mlp(inputs[rows.train], rows.y[rows.train], inputs[rows.test], settings, seed)
    return point_scores(rows.y[rows.test], predicted)
