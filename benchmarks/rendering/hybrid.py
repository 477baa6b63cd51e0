"""Hybrid search (LLM-PP's schedule) against supernet-only search."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rendering.common import RESULTS, load, newest, relative


def hybrid_search() -> list[str]:
    found = newest("hybrid_search")
    if found is None:
        return []
    path, data = found
    settings = data["settings"]
    return [
        f"**Hybrid search** (`{settings.get('schedule', 'llm-distill, then supernet')}` vs supernet-only at the same "
        f"iterations, `{settings.get('space', 'tiny')}` supernet on {_where(data, settings)}, LLM labels from "
        f"{data['one_off']['llm_labelling']['result']['llm']['model']}; `{relative(path)}`):",
        "",
        _hybrid_table(data),
        "",
        *hybrid_drivers(data["summary"].get("drivers", {}).get("mean", {})),
        *_earlier_hybrids(path),
    ]


def _earlier_hybrids(newest_path: Path) -> list[str]:
    """One line per earlier hybrid_search result: its mean wall-clock ratio per hybrid, and what made its phase-1
    models (the LLM, and the regressor type its distillation chose, which the reference models share)."""
    lines = []
    for path in sorted(RESULTS.glob("hybrid_search-2*.json"), reverse=True):
        if path == newest_path:
            continue
        data = load(path)
        summary = data["summary"]  # the first version of the benchmark had one hybrid and only its goal check
        versus = summary.get("vs_supernet") or {"hybrid-llm": summary["goals"]}
        ratios = ", ".join(f"{mode} {figures['ratio_search_mean']:.3f}" for mode, figures in versus.items())
        labelling = data["one_off"]["llm_labelling"]
        regressor = labelling["result"]["labels"].get("regressor_choice", "?")
        llm = labelling["result"]["llm"]["model"]
        lines.append(f"- `{path.name}` ({llm}, regressor {regressor}): wall-clock ratios {ratios}")
    return ["Earlier runs of the same benchmark:", "", *lines, ""] if lines else []


def _where(data: dict[str, Any], settings: dict[str, Any]) -> str:
    device = settings.get("device", "cpu")
    return "this CPU" if device == "cpu" else f"{device} ({data['machine'].get('gpu_name', 'GPU')})"


def _hybrid_table(data: dict[str, Any]) -> str:
    """The table as the benchmark's current code words it (results written before a mode existed keep the table
    they were written with)."""
    from hybrid_search_summary import MODES, format_table, reference_costs, summarize

    runs = {int(seed): by_mode for seed, by_mode in data["runs"].items()}
    if any(set(by_mode) != set(MODES) for by_mode in runs.values()):
        return str(data["table"])
    summary = summarize(runs)  # pure: the stored figures again
    return format_table(runs, summary, one_off_s=reference_costs(data["one_off"]))


def hybrid_drivers(mean: dict[str, float]) -> list[str]:
    """The time ratios' driver, which unlike wall-clock does not depend on the machine's load: how many archs the
    supernet evaluated in each hybrid, over supernet-only's."""
    prefix = "ratio_supernet_evaluations_"
    ratios = [f"{key.removeprefix(prefix)} {value:.3f}" for key, value in mean.items() if key.startswith(prefix)]
    if not ratios:
        return []
    share = mean.get("supernet_only_first_half_share")
    half = "" if share is None else f"; supernet-only spends {share:.0%} of its loop time in its first half"
    return [f"Supernet evaluations over supernet-only's (mean of the seeds): {', '.join(ratios)}{half}.", ""]
