"""From ``bench_surrogates.py``'s per-seed scores to what the issue's goals ask: per (scale, metric, device) the mean
and spread over split seeds, a verdict (hwnas's MAPE below LightGBM's best configuration; its 80% interval holding
75-85% of the held-out values), and counts over every pair."""

from __future__ import annotations

from typing import Any

import numpy as np

COVERAGE_GOAL = (0.75, 0.85)
THROUGHPUT_GOAL = 1e5  # archs per second


def stats(values: list[float]) -> dict[str, Any]:
    """Mean, standard deviation (0 for one seed), range and the per-seed values."""
    array = np.asarray(values, dtype=np.float64)
    return {
        "mean": float(array.mean()),
        "std": float(array.std(ddof=1)) if array.size > 1 else 0.0,
        "min": float(array.min()),
        "max": float(array.max()),
        "per_seed": [float(v) for v in array],
    }


def _over_seeds(runs: list[dict[str, Any]], keys: tuple[str, ...]) -> dict[str, Any]:
    return {key: stats([run[key] for run in runs]) for key in keys}


def aggregate_pair(record: dict[str, Any]) -> dict[str, Any]:
    """One pair's per-seed runs -> means and spreads per model (each with its per-seed values), LightGBM's best
    configuration and the verdict."""
    runs = record["runs"]
    hwnas = _over_seeds([r["hwnas"] for r in runs], ("mape", "kendall", "coverage", "width", "fit_s"))
    configs = {
        name: _over_seeds([r["lightgbm"]["configs"][name] for r in runs], ("mape", "kendall"))
        for name in runs[0]["lightgbm"]["configs"]
    }
    best = min(configs, key=lambda name: configs[name]["mape"]["mean"])
    quantile = _over_seeds([r["lightgbm"]["quantile"] for r in runs], ("coverage", "width"))
    with_recipe = [r for r in runs if r.get("hwgpt") is not None]  # the first --hwgpt-seeds seeds
    seeds_lower = sum(h < b for h, b in zip(hwnas["mape"]["per_seed"], configs[best]["mape"]["per_seed"], strict=True))
    low, high = COVERAGE_GOAL
    verdict = {
        "mape_lower_than_lightgbm": hwnas["mape"]["mean"] < configs[best]["mape"]["mean"],
        "mape_ratio": hwnas["mape"]["mean"] / configs[best]["mape"]["mean"],
        "seeds_lower": int(seeds_lower),
        "coverage_in_range": low <= hwnas["coverage"]["mean"] <= high,
    }
    return {
        **{k: record[k] for k in ("scale", "metric", "device", "train_rows", "test_rows")},
        "hwnas": hwnas,
        "lightgbm": {"best": best, **configs[best], "configs": configs, "quantile": quantile},
        "hwgpt_recipe": _recipe(with_recipe),
        "verdict": verdict,
    }


def _recipe(runs: list[dict[str, Any]]) -> dict[str, Any] | None:
    """HW-GPT-Bench's recipe over the seeds it ran on, with hwnas's MAPE on those same seeds."""
    if not runs:
        return None
    scores = _over_seeds([r["hwgpt"] for r in runs], ("mape", "kendall"))
    return {**scores, "seeds": [r["seed"] for r in runs], "hwnas_mape": stats([r["hwnas"]["mape"] for r in runs])}


def _label(pair: dict[str, Any]) -> str:
    return f"{pair['scale']} {pair['metric']}" + (f"/{pair['device']}" if pair["device"] else "")


def summary(pairs: list[dict[str, Any]]) -> dict[str, Any]:
    """Counts against the goals, the coverage range, and the pairs that miss a goal, by name."""
    coverage = [p["hwnas"]["coverage"]["mean"] for p in pairs]
    quantile = [p["lightgbm"]["quantile"]["coverage"]["mean"] for p in pairs]
    with_recipe = [p for p in pairs if p["hwgpt_recipe"] is not None]
    return {
        "pairs": len(pairs),
        "mape_lower_than_lightgbm": sum(p["verdict"]["mape_lower_than_lightgbm"] for p in pairs),
        "coverage_in_range": sum(p["verdict"]["coverage_in_range"] for p in pairs),
        "coverage_goal": list(COVERAGE_GOAL),
        "coverage_range": [min(coverage), max(coverage)],
        "lightgbm_quantile_coverage_range": [min(quantile), max(quantile)],
        "lightgbm_quantile_coverage_in_range": sum(COVERAGE_GOAL[0] <= c <= COVERAGE_GOAL[1] for c in quantile),
        "lightgbm_wins": [
            {
                "pair": _label(p),
                "hwnas_mape": p["hwnas"]["mape"]["mean"],
                "lightgbm_mape": p["lightgbm"]["mape"]["mean"],
                "lightgbm_config": p["lightgbm"]["best"],
                "seeds_lower": p["verdict"]["seeds_lower"],
            }
            for p in pairs
            if not p["verdict"]["mape_lower_than_lightgbm"]
        ],
        "coverage_outside": [
            {"pair": _label(p), "coverage": p["hwnas"]["coverage"]["mean"]}
            for p in pairs
            if not p["verdict"]["coverage_in_range"]
        ],
        "hwgpt_recipe_pairs": len(with_recipe),
        "mape_lower_than_hwgpt_recipe": sum(
            p["hwgpt_recipe"]["hwnas_mape"]["mean"] < p["hwgpt_recipe"]["mape"]["mean"] for p in with_recipe
        ),
    }
