"""The pure parts of benchmarks/latency_predictors.py: from per-fit records to the JSON's summary, goal check,
learning curves and floor ratios (tested without running the benchmark).

HAT's MLP appears under two names: ``hat-mlp`` is trained for the run's ``hat_steps`` (HAT's recipe: 5,000), and
``hat-mlp@K`` is the same run read off after K steps, a cheaper recipe that must never be shown as HAT's.
"""

from __future__ import annotations

from typing import Any

import numpy as np

HAT = "hat-mlp"
HAT_RECIPE_STEPS = 5000  # HAT's latency_predictor.py: train_steps=5000 (and every config under latency_predictor/)


def hat_variant(steps: int) -> str:
    """The record name of HAT's MLP read off after ``steps`` steps of a longer run."""
    return f"{HAT}@{steps}"


def hat_name_at(steps: int, hat_steps: int) -> str:
    """Which record holds HAT's MLP at ``steps`` in a run trained for ``hat_steps`` (files before ``hat-mlp@K``
    existed hold only ``hat-mlp``, at their ``hat_steps``)."""
    return HAT if steps == hat_steps else hat_variant(steps)


def aggregate(records: list[dict[str, Any]]) -> dict[str, Any]:
    """dataset -> size -> predictor -> mean/std over seeds of MAPE and Kendall (+ mean fit seconds)."""
    table: dict[str, Any] = {}
    keys = sorted({(r["dataset"], r["size"], r["predictor"]) for r in records}, key=lambda k: (k[0], k[1]))
    for dataset, size, predictor in keys:
        rows = [r for r in records if (r["dataset"], r["size"], r["predictor"]) == (dataset, size, predictor)]
        stats = {
            f"{m}_{f.__name__}": float(f([r[m] for r in rows])) for m in ("mape", "kendall") for f in (np.mean, np.std)
        }
        stats.update(fit_s=float(np.mean([r["fit_s"] for r in rows])), seeds=len(rows))
        table.setdefault(dataset, {}).setdefault(str(size), {})[predictor] = stats
    return table


def learning_curves(records: list[dict[str, Any]]) -> dict[str, Any]:
    """``dataset@size`` -> HAT MLP's held-out MAPE after each tracked step, mean over every seed that tracked it."""
    curves: dict[str, list[dict[str, float]]] = {}
    for r in records:
        if "hat_mape_by_step" in r:
            curves.setdefault(f"{r['dataset']}@{r['size']}", []).append(r["hat_mape_by_step"])
    out = {}
    for key, runs in curves.items():
        steps = sorted(set.intersection(*(set(map(int, run)) for run in runs)))
        mean = {str(s): float(np.mean([_at(run, s) for run in runs])) for s in steps}
        out[key] = {"seeds": len(runs), "mape_mean_by_step": mean}
    return out


def _at(curve: dict[Any, float], step: int) -> float:
    """A curve's value at ``step`` whether its keys are ints (in memory) or strings (read back from JSON)."""
    return curve[step] if step in curve else curve[str(step)]


def goal_check(table: dict[str, Any], default: str, baseline: str) -> dict[str, Any]:
    """The issue's goal per dataset against one HAT baseline: default beats it at every size <= 400, and
    default@100 <= 1.05 x baseline@1600."""
    out = {}
    for dataset, sizes in table.items():
        small = {s: v for s, v in sizes.items() if int(s) <= 400 and baseline in v and default in v}
        beats = {s: v[default]["mape_mean"] < v[baseline]["mape_mean"] for s, v in small.items()}
        entry: dict[str, Any] = {"beats_at_sizes_le_400": beats, "beats_all": all(beats.values()) if beats else None}
        if default in sizes.get("100", {}) and baseline in sizes.get("1600", {}):
            ours, theirs = sizes["100"][default]["mape_mean"], sizes["1600"][baseline]["mape_mean"]
            entry.update(default_mape_at_100=ours, baseline_mape_at_1600=theirs)
            entry["matches_baseline_1600_within_5pct"] = ours <= 1.05 * theirs
        out[dataset] = entry
    return out


def best_by_cell(table: dict[str, Any]) -> dict[str, dict[str, str]]:
    return {d: {s: min(v, key=lambda p: v[p]["mape_mean"]) for s, v in sizes.items()} for d, sizes in table.items()}


def floor_ratio(table: dict[str, Any], floors: dict[str, Any]) -> dict[str, Any]:
    """Held-out MAPE / near-pair floor (corrected) per dataset, size and predictor: 1.0 = at the floor."""
    out: dict[str, Any] = {}
    for dataset, sizes in table.items():
        floor = floors[dataset]["near_pairs"].get("mape_floor_corrected")
        if floor:
            out[dataset] = {s: {p: v["mape_mean"] / floor for p, v in preds.items()} for s, preds in sizes.items()}
    return out
