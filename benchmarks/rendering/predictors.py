"""Latency predictors on HAT's datasets and the project's own."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rendering.common import RESULTS, load, percent


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
