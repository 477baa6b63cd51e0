"""Latency predictors on HAT's datasets and the repeatability of the measurement protocol."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rendering.common import RESULTS, load, newest, percent


def latency_predictors() -> list[str]:
    """One row per dataset, each from the newest benchmark file that covers it (runs may cover a subset)."""
    newest_of: dict[str, tuple[Path, dict[str, Any]]] = {}
    for path in sorted(RESULTS.glob("latency_predictors-2*.json")):
        data = load(path)
        for name in data["summary"]:
            newest_of[name] = (path, data)
    if not newest_of:
        return []
    rows = [
        "**Latency predictors** (MAPE on held-out rows, mean of 5 seeds; the default predictor vs HAT's MLP):",
        "",
        "| dataset | default @ 100 rows | HAT MLP @ 100 rows | HAT MLP @ 1,600 rows | noise floor | source |",
        "|---|---|---|---|---|---|",
    ]
    for name, (path, data) in sorted(newest_of.items()):
        sizes, default = data["summary"][name], data["default_predictor"]
        hat_1600 = sizes.get("1600", {}).get("hat-mlp", {}).get("mape_mean")
        floor = data["noise_floor"].get(name, {}).get("near_pairs", {}).get("mape_floor")
        cells = [sizes["100"][default]["mape_mean"], sizes["100"]["hat-mlp"]["mape_mean"], hat_1600, floor]
        text = " | ".join(percent(v, 1) for v in cells)
        rows.append(f"| {name} | {text} | `{path.name}` ({default}) |")
    return [*rows, ""]


def repeatability() -> list[str]:
    rows = []
    for device in ("cuda", "cpu"):
        found = newest("measurement_repeatability", device=device)
        if found is None:
            continue
        path, data = found
        figures, settings = data["figures"], data["settings"]
        where = data["machine"].get("gpu_name") if device == "cuda" else data["machine"].get("cpu_model")
        rows.append(
            f"| {where} ({settings['device']}, {settings['threads'] or 'default'} threads) | {figures['archs']} | "
            f"{settings['warmup']} / {settings['runs']} | {percent(figures['total_median']['median'])} | "
            f"{percent(figures.get('total_min', {}).get('median'))} | {data['headline']['goal']:.0%} | `{path.name}` |"
        )
    if not rows:
        return []
    header = [
        "**Measurement repeatability** (HAT's protocol; the same archs measured in two separate runs; median over "
        "archs of |relative difference| of total latency):",
        "",
        "| device | archs | warm-up / runs | median estimator | minimum estimator | goal | source |",
        "|---|---|---|---|---|---|---|",
    ]
    return [*header, *rows, ""]
