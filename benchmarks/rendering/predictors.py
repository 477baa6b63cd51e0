"""Latency predictors on HAT's datasets and the project's own.

HAT's MLP is shown under HAT's name only when it was trained with HAT's recipe (5,000 steps); a run read off
earlier is shown as "HAT MLP, 2k steps". Which record holds which follows each file's ``hat_steps``, so files from
before ``hat-mlp@2000`` existed (trained 2,000 steps only) still render, in the 2k column.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from latency_predictors_summary import HAT_RECIPE_STEPS, hat_name_at

from rendering.common import RESULTS, load, percent

CHEAP_STEPS = 2000
NEAR_PAIRS = 50  # what files without a ``pairs`` count used (the estimator's default)


def _newest_per_dataset() -> dict[str, tuple[Path, dict[str, Any]]]:
    """dataset -> the newest benchmark file that covers it (runs may cover a subset)."""
    newest_of: dict[str, tuple[Path, dict[str, Any]]] = {}
    for path in sorted(RESULTS.glob("latency_predictors-2*.json")):
        data = load(path)
        for name in data["summary"]:
            newest_of[name] = (path, data)
    return newest_of


def _hat(sizes: dict[str, Any], size: str, steps: int, hat_steps: int) -> float | None:
    """HAT's MLP after ``steps`` steps at ``size`` rows, or None when the file holds no such run."""
    cell = sizes.get(size, {}).get(hat_name_at(steps, hat_steps), {})
    value: float | None = cell.get("mape_mean")
    return value


def _row(name: str, path: Path, data: dict[str, Any]) -> str:
    sizes, default = data["summary"][name], data["default_predictor"]
    hat_steps = int(data["settings"]["hat_steps"])
    near = data["noise_floor"].get(name, {}).get("near_pairs", {})
    cells = [
        sizes.get("100", {}).get(default, {}).get("mape_mean"),
        *(_hat(sizes, size, HAT_RECIPE_STEPS, hat_steps) for size in ("100", "1600")),
        *(_hat(sizes, size, CHEAP_STEPS, hat_steps) for size in ("100", "1600")),
        near.get("mape_floor_corrected"),  # files without it show "-"
    ]
    return f"| {name} | {' | '.join(percent(v, 1) for v in cells)} | `{path.name}` ({default}) |"


def _notes(files: list[dict[str, Any]]) -> list[str]:
    """What the HAT columns and the floor mean, from the files' own settings."""
    references = sorted(
        {d["noise_floor"][n]["near_pairs"].get("reference", "cost-mape") for d in files for n in d["summary"]}
    )
    pairs = sorted({d["noise_floor"][n]["near_pairs"].get("pairs", NEAR_PAIRS) for d in files for n in d["summary"]})
    return [
        f"HAT MLP is HAT's recipe ({HAT_RECIPE_STEPS:,} Adam steps of 128 rows, lr 1e-5, 10 features over HAT's "
        f"feature norm, 4 ReLU layers of 400); HAT MLP, 2k steps is the same run read off after {CHEAP_STEPS:,} "
        "steps, a cheaper recipe. A dash: the file has no such run (runs before HAT's recipe was benchmarked "
        "trained 2,000 steps only) or the dataset has too few rows.",
        "",
        "Noise floor (near pairs, corrected): the error no predictor on HAT's 10 averaged features can remove "
        "(measurement noise plus what the averages hide), estimated from the "
        f"{', '.join(map(str, pairs))} closest pairs of archs in HAT's normalised feature space as mean "
        f"|latency difference - the difference {', '.join(references)} (fitted on every row) predicts| / mean "
        "latency / √2; subtracting the model's difference removes what the pair's small feature distance "
        "explains. It assumes independent errors of similar size: rare large errors (raspberrypi's encoder "
        "artefacts) inflate it, so a predictor can land below it there.",
        "",
    ]


def latency_predictors() -> list[str]:
    """One row per dataset, each from the newest benchmark file that covers it, and what the columns mean."""
    newest_of = _newest_per_dataset()
    if not newest_of:
        return []
    used = list({path: data for path, data in newest_of.values()}.values())
    seeds = ", ".join(str(s) for s in sorted({int(d["settings"]["seeds"]) for d in used}))
    rows = [
        f"**Latency predictors** (MAPE on held-out rows, mean of {seeds} seeds; the default predictor vs HAT's MLP):",
        "",
        "| dataset | default @ 100 rows | HAT MLP @ 100 rows | HAT MLP @ 1,600 rows | HAT MLP, 2k steps @ 100 rows "
        "| HAT MLP, 2k steps @ 1,600 rows | noise floor (near pairs, corrected) | source |",
        "|---|---|---|---|---|---|---|---|",
        *(_row(name, path, data) for name, (path, data) in sorted(newest_of.items())),
        "",
    ]
    return [*rows, *_notes(used)]
