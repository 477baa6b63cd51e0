"""Repeatability of the latency measurement protocol (the same archs measured in two separate runs)."""

from __future__ import annotations

from rendering.common import newest, percent


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
