"""``mlp-ensemble``: a deep ensemble of small MLPs on the log target (latency, BLEU...), with predictive variance.

Members differ only in their random initialisation (Lakshminarayanan et al., 2017); they are trained together
as one batched network (weights stacked [members, in, out], one ``baddbmm`` per layer), so five members cost
about what one does. The mean prediction averages the members' predictions; the variance across members is the
model's (epistemic) uncertainty, large where the training rows do not reach.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from pydantic import Field

from hwnas.contracts.predictor import Capability
from hwnas.predictors.base import BasePredictor, PredictorOptions
from hwnas.predictors.features import FeatureSetOptions, transform

if TYPE_CHECKING:
    import torch


def _init_stack(members: int, widths: list[int], generator: torch.Generator) -> dict[str, torch.Tensor]:
    """Stacked weights, torch's default Linear init (uniform +-1/sqrt(fan_in)) drawn from ``generator``."""
    import torch

    params = {}
    for i, (fan_in, fan_out) in enumerate(itertools.pairwise(widths)):
        bound = 1.0 / float(np.sqrt(fan_in))
        params[f"w{i}"] = (torch.rand(members, fan_in, fan_out, generator=generator) * 2 - 1) * bound
        params[f"b{i}"] = (torch.rand(members, 1, fan_out, generator=generator) * 2 - 1) * bound
    return params


def _forward(params: dict[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """[n, d] -> [members, n]: every member's output on the same rows."""
    import torch

    layers = len(params) // 2
    h = x.expand(params["w0"].shape[0], -1, -1)  # [members, n, d]
    for i in range(layers):
        h = torch.baddbmm(params[f"b{i}"], h, params[f"w{i}"])  # [members, n, width_i]
        if i < layers - 1:
            h = torch.relu(h)
    return h.squeeze(-1)


class MLPEnsembleOptions(FeatureSetOptions):
    members: int = Field(5, ge=1, description="MLPs in the ensemble (differing only in their initialisation)")
    hidden_dim: int = Field(64, ge=1, description="width of each hidden layer")
    hidden_layers: int = Field(2, ge=1, description="hidden layers per MLP")
    steps: int = Field(1000, ge=1, description="AdamW steps (all members at once)")
    batch_size: int = Field(256, ge=1, description="training rows per step")
    lr: float = Field(3e-3, gt=0, description="AdamW learning rate")
    weight_decay: float = Field(1e-4, ge=0, description="AdamW weight decay")


class MLPEnsemble(BasePredictor):
    """A deep ensemble of small MLPs on the log target, with predictive variance."""

    name: ClassVar[str] = "mlp-ensemble"
    Options: ClassVar[type[PredictorOptions]] = MLPEnsembleOptions
    capabilities: ClassVar[frozenset[Capability]] = frozenset({Capability.VARIANCE})
    options: MLPEnsembleOptions

    def __init__(self, options: MLPEnsembleOptions | None = None) -> None:
        super().__init__(options)
        self.feature_set_ = self.options.feature_set()

    def _fit(self, X: np.ndarray, y: np.ndarray) -> None:
        import torch

        generator = torch.Generator().manual_seed(self.seed)
        inputs = transform(X, self.feature_set_)
        self.x_mean_, self.x_std_ = inputs.mean(axis=0), inputs.std(axis=0)
        self.x_std_[self.x_std_ == 0] = 1.0
        log_y = np.log(y)
        self.y_mean_, self.y_std_ = float(log_y.mean()), float(log_y.std() or 1.0)
        x = torch.as_tensor((inputs - self.x_mean_) / self.x_std_, dtype=torch.float32)
        t = torch.as_tensor((log_y - self.y_mean_) / self.y_std_, dtype=torch.float32)
        widths = [x.shape[1], *[self.options.hidden_dim] * self.options.hidden_layers, 1]
        self.params_ = _init_stack(self.options.members, widths, generator)
        for p in self.params_.values():
            p.requires_grad_(True)
        optimizer = torch.optim.AdamW(self.params_.values(), lr=self.options.lr, weight_decay=self.options.weight_decay)
        batch = min(self.options.batch_size, len(y))
        for _ in range(self.options.steps):
            rows = torch.randperm(len(y), generator=generator)[:batch]
            loss = ((_forward(self.params_, x[rows]) - t[rows]) ** 2).mean()
            optimizer.zero_grad()
            loss.backward()  # type: ignore[no-untyped-call]
            optimizer.step()
        for p in self.params_.values():
            p.requires_grad_(False)

    def _member_predictions(self, X: np.ndarray) -> np.ndarray:
        import torch

        x = torch.as_tensor((transform(X, self.feature_set_) - self.x_mean_) / self.x_std_, dtype=torch.float32)
        with torch.no_grad():
            out = _forward(self.params_, x).double().numpy()  # [members, n]
        return np.exp(out * self.y_std_ + self.y_mean_)

    def _predict(self, X: np.ndarray) -> np.ndarray:
        mean: np.ndarray = self._member_predictions(X).mean(axis=0)
        return mean

    def _predict_var(self, X: np.ndarray) -> np.ndarray:
        """Variance across members of the prediction, in squared target units (ms^2 for latency)."""
        var: np.ndarray = self._member_predictions(X).var(axis=0)
        return var

    def _arrays(self) -> dict[str, np.ndarray]:
        arrays = {f"param.{k}": v.numpy() for k, v in self.params_.items()}
        return {**arrays, "x_mean": self.x_mean_, "x_std": self.x_std_}

    def _facts(self) -> dict[str, Any]:
        return {"y_mean": self.y_mean_, "y_std": self.y_std_}

    def _restore(self, facts: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        import torch

        self.y_mean_, self.y_std_ = float(facts["y_mean"]), float(facts["y_std"])
        self.x_mean_, self.x_std_ = arrays["x_mean"], arrays["x_std"]
        params = {k.removeprefix("param."): v for k, v in arrays.items() if k.startswith("param.")}
        self.params_ = {k: torch.as_tensor(v) for k, v in sorted(params.items())}
