"""HAT's latency MLP (Wang et al., ACL 2020), reproduced as the baseline ``hat-mlp``.

Exactly HAT's ``latency_predictor.py`` recipe: the 10 averaged features divided by HAT's feature norm
[640, 6, 2048, 6, 640, 6, 2048, 6, 6, 2]; an MLP Linear(10, 400) + ReLU, then ``hidden_layers`` (3) x
[Linear(400, 400) + ReLU], then Linear(400, 1); the target (encoder + decoder latency) divided by a latency norm;
MSE loss, Adam at lr 1e-5, 5,000 *steps* (not epochs) of 128 rows drawn without replacement.

Two things HAT leaves open are settled here: with fewer than 128 training rows every step uses them all (HAT's
``random.sample`` would fail), and when no latency norm is given it is the median training latency (HAT's
configs use round numbers near the median: 200 ms TITAN Xp, 300 ms Xeon, 5,000 ms Raspberry Pi, see
:data:`HAT_LATENCY_NORM`). Weights are initialised like torch's ``nn.Linear`` but from a seeded generator.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from pydantic import Field

from hwnas.encodings.hat import HAT_FEATURE_NORM
from hwnas.predictors.base import BasePredictor, HatFeatureOptions, PredictorOptions

if TYPE_CHECKING:
    import torch

HAT_LATENCY_NORM: dict[str, float] = {"titanxp": 200.0, "xeon": 300.0, "raspberrypi": 5000.0}


def _mlp(widths: Sequence[int], generator: torch.Generator) -> torch.nn.Sequential:
    """Linear/ReLU stack with torch's default Linear init (uniform +-1/sqrt(fan_in)) drawn from ``generator``."""
    import torch

    layers: list[torch.nn.Module] = []
    for i, (fan_in, fan_out) in enumerate(itertools.pairwise(widths)):
        linear = torch.nn.Linear(fan_in, fan_out)
        bound = 1.0 / float(np.sqrt(fan_in))
        with torch.no_grad():
            linear.weight.uniform_(-bound, bound, generator=generator)
            linear.bias.uniform_(-bound, bound, generator=generator)
        layers.append(linear)
        if i < len(widths) - 2:
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers)


class HatMLPOptions(HatFeatureOptions):
    hidden_dim: int = Field(400, ge=1, description="width of each hidden layer")
    hidden_layers: int = Field(3, ge=0, description="HAT's hidden-layer-num: Linear(400, 400) layers after the first")
    lr: float = Field(1e-5, gt=0, description="Adam learning rate")
    steps: int = Field(5000, ge=1, description="Adam steps (HAT counts steps, not epochs)")
    batch_size: int = Field(128, ge=1, description="training rows per step")
    latency_norm: float | None = Field(None, gt=0, description="target divisor; null: median training latency")
    feature_norm: tuple[float, ...] = Field(HAT_FEATURE_NORM, description="divisors of the 10 features (HAT's)")


class HatMLP(BasePredictor):
    """HAT's latency predictor (see the module docstring for the recipe)."""

    name: ClassVar[str] = "hat-mlp"
    Options: ClassVar[type[PredictorOptions]] = HatMLPOptions
    options: HatMLPOptions

    def _widths(self, n_features: int) -> list[int]:
        return [n_features, *[self.options.hidden_dim] * (self.options.hidden_layers + 1), 1]

    def _fit(self, X: np.ndarray, y: np.ndarray) -> None:
        self._train(X, y, getattr(self, "_on_step", None) or (lambda step: None))

    def fit_tracking(
        self, X: np.ndarray, y: np.ndarray, *, X_eval: np.ndarray, at_steps: Sequence[int]
    ) -> dict[int, np.ndarray]:
        """Fit as :meth:`fit` does and also return predictions on ``X_eval`` after each step in ``at_steps`` (a
        learning curve for free: the model after step k is exactly the k-step model of the same seed).
        ``snapshot_seconds_`` then holds the fitting time up to each of those steps without the snapshots' own
        predictions, i.e. what a plain k-step fit costs, so a shorter recipe read off this run has its own cost."""
        snapshots: dict[int, np.ndarray] = {}
        self.snapshot_seconds_: dict[int, float] = {}
        wanted, started, predicting = set(at_steps), time.perf_counter(), 0.0

        def record(step: int) -> None:
            nonlocal predicting
            if step in wanted:
                before = time.perf_counter()
                self.snapshot_seconds_[step] = before - started - predicting
                snapshots[step] = self._predict(np.asarray(X_eval, dtype=np.float64))
                predicting += time.perf_counter() - before

        self._on_step: Callable[[int], None] | None = record
        try:
            self.fit(X, y)
        finally:
            self._on_step = None
        return snapshots

    def _train(self, X: np.ndarray, y: np.ndarray, on_step: Callable[[int], None]) -> None:
        import torch

        generator = torch.Generator().manual_seed(self.seed)
        self.latency_norm_ = float(self.options.latency_norm or np.median(y))
        self.net_ = _mlp(self._widths(X.shape[1]), generator)
        inputs = torch.as_tensor(X / np.asarray(self.options.feature_norm), dtype=torch.float32)
        targets = torch.as_tensor(y / self.latency_norm_, dtype=torch.float32)
        optimizer = torch.optim.Adam(self.net_.parameters(), lr=self.options.lr)
        batch = min(self.options.batch_size, len(y))
        for step in range(1, self.options.steps + 1):
            rows = torch.randperm(len(y), generator=generator)[:batch]
            loss = torch.nn.functional.mse_loss(self.net_(inputs[rows]).squeeze(1), targets[rows])
            optimizer.zero_grad()
            loss.backward()  # type: ignore[no-untyped-call]
            optimizer.step()
            on_step(step)

    def _predict(self, X: np.ndarray) -> np.ndarray:
        import torch

        with torch.no_grad():
            inputs = torch.as_tensor(X / np.asarray(self.options.feature_norm), dtype=torch.float32)
            out = self.net_(inputs).squeeze(1).double().numpy()
        prediction: np.ndarray = out * self.latency_norm_
        return prediction

    def _arrays(self) -> dict[str, np.ndarray]:
        return {f"net.{key}": value.detach().numpy() for key, value in self.net_.state_dict().items()}

    def _facts(self) -> dict[str, Any]:
        import torch

        return {"latency_norm": self.latency_norm_, "torch": torch.__version__}

    def _restore(self, facts: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        import torch

        self.latency_norm_ = float(facts["latency_norm"])
        self.net_ = _mlp(self._widths(len(self.options.feature_norm)), torch.Generator())
        state = {key.removeprefix("net."): torch.as_tensor(value) for key, value in arrays.items()}
        self.net_.load_state_dict(state)
