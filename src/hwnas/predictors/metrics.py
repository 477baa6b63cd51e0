"""How good a predictor is: MAPE, RMSE, rank correlations (tie-aware) and a parity plot.

MAPE is what a latency constraint cares about (a 5% error on a 100 ms budget); Kendall's tau-b is what a search
ranking cares about. Tau-b (scipy's default) corrects for ties, which are common in measured latencies rounded
to a timer's resolution and in predictors that map several archs to one value (trees).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from hwnas.core.errors import DataError


def _pair(y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray]:
    true = np.asarray(y_true, dtype=np.float64).reshape(-1)
    pred = np.asarray(y_pred, dtype=np.float64).reshape(-1)
    if true.shape != pred.shape or true.size == 0:
        raise DataError(f"need as many predictions as true values (> 0); got {pred.size} and {true.size}")
    if not (np.all(np.isfinite(true)) and np.all(np.isfinite(pred))):
        raise DataError("true and predicted values must be finite")
    return true, pred


def mape(y_true: Any, y_pred: Any) -> float:
    """Mean absolute percentage error as a fraction (0.05 = 5%); true values must be > 0."""
    true, pred = _pair(y_true, y_pred)
    if np.any(true <= 0):
        raise DataError("MAPE needs true values > 0")
    return float(np.mean(np.abs(pred - true) / true))


def rmse(y_true: Any, y_pred: Any) -> float:
    true, pred = _pair(y_true, y_pred)
    return float(np.sqrt(np.mean((pred - true) ** 2)))


def spearman(y_true: Any, y_pred: Any) -> float:
    """Spearman's rho (ties get average ranks); NaN when either side is constant."""
    from scipy.stats import spearmanr

    true, pred = _pair(y_true, y_pred)
    return float(spearmanr(true, pred).statistic) if _varies(true, pred) else float("nan")


def kendall(y_true: Any, y_pred: Any) -> float:
    """Kendall's tau-b (tie-corrected); NaN when either side is constant."""
    from scipy.stats import kendalltau

    true, pred = _pair(y_true, y_pred)
    return float(kendalltau(true, pred, variant="b").statistic) if _varies(true, pred) else float("nan")


def _varies(true: np.ndarray, pred: np.ndarray) -> bool:
    """Whether a rank correlation is defined: both sides take at least two values (scipy would warn, then NaN)."""
    return bool(np.ptp(true) > 0 and np.ptp(pred) > 0)


def score(y_true: Any, y_pred: Any) -> dict[str, float | int]:
    """{"mape", "rmse", "spearman", "kendall", "n"}: what ``hwnas latency evaluate`` prints."""
    true, pred = _pair(y_true, y_pred)
    return {
        "mape": mape(true, pred),
        "rmse": rmse(true, pred),
        "spearman": spearman(true, pred),
        "kendall": kendall(true, pred),
        "n": int(true.size),
    }


def parity_plot(y_true: Any, y_pred: Any, path: str | Path, *, title: str = "", quantity: str = "latency (ms)") -> Path:
    """Measured vs predicted ``quantity`` (the axis label) with the y = x line and +-5% bands, saved as a PNG.
    Uses a bare ``Figure`` (Agg canvas), never pyplot, so it changes no global backend and works without a display."""
    from matplotlib.figure import Figure

    true, pred = _pair(y_true, y_pred)
    low, high = float(min(true.min(), pred.min())), float(max(true.max(), pred.max()))
    line = np.array([low, high])
    fig = Figure(figsize=(4.5, 4.5), dpi=120)
    ax = fig.add_subplot()
    size = min(36.0, max(6.0, 3000.0 / true.size))  # thousands of points stay apart, a handful stay visible
    ax.scatter(true, pred, s=size, alpha=0.6 if true.size > 300 else 0.9, linewidths=0, zorder=3)
    ax.plot(line, line, color="black", linewidth=1, label="y = x")
    ax.plot(line, line * 1.05, color="grey", linewidth=0.8, linestyle="--", label="+-5%")
    ax.plot(line, line * 0.95, color="grey", linewidth=0.8, linestyle="--")
    metrics = score(true, pred)
    ax.set_title(title or f"MAPE {metrics['mape']:.2%}, Kendall {metrics['kendall']:.3f}, n={metrics['n']}", fontsize=9)
    ax.set_xlabel(f"measured {quantity}")
    ax.set_ylabel(f"predicted {quantity}")
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png")
    return path
