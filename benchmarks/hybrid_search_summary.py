"""The pure parts of benchmarks/hybrid_search.py: the schedule, the order of the searches, the ratios against
supernet-only search, the goal check (the LLM row's alone) and the Markdown table. No I/O, so they are tested
without running a search."""

from __future__ import annotations

from typing import Any

GOAL_RATIO = 0.55  # hybrid search wall-clock / supernet-only search wall-clock, at most
GOAL_BLEU_DROP = 0.3  # hybrid's found arch may score at most this much BLEU below supernet-only's
BASELINE = "supernet"
LLM = "hybrid-llm"  # the hybrid: phase 1 ranked by the model distilled from the LLM's labels
STRONG = "hybrid-strong"  # reference only: phase 1 ranked by the same regressor fitted on supernet BLEU labels
ALIGNED = "hybrid-aligned"  # reference only: ... fitted on the supernet's valid loss, the metric phase 2 ranks by
MODES = (BASELINE, LLM, STRONG, ALIGNED)
HYBRIDS = (LLM, STRONG, ALIGNED)
REFERENCES = (STRONG, ALIGNED)  # never count towards the goal
LABELS = {
    BASELINE: "supernet-only",
    LLM: "hybrid, LLM-distilled",
    STRONG: "hybrid, supernet-BLEU predictor (ref.)",
    ALIGNED: "hybrid, supernet-loss predictor (ref.)",
}
REFERENCE_TEXT = {
    STRONG: "labelled with the supernet's own valid BLEU, standing in for a strong LLM",
    ALIGNED: "labelled with the supernet's own valid loss, the metric the second phase ranks by (phase 1 then "
    "agrees with phase 2 as far as the regressor and the labels allow)",
}
Runs = dict[int, dict[str, dict[str, Any]]]


def schedule(iterations: int) -> str:
    """The distilled predictor for the first half of the iterations, the supernet for the rest (both hybrids)."""
    if iterations < 2:
        raise ValueError(f"a hybrid search needs at least 2 iterations, got {iterations}")
    half = iterations // 2
    return f"llm-distill:0-{half - 1},supernet:{half}-"


def mode_order(index: int) -> tuple[str, ...]:
    """The modes rotate which runs first, second, ... from one seed to the next, so a drift in the machine's load
    (it is shared) weighs on every mode alike: over len(MODES) seeds each mode holds each place once."""
    shift = index % len(MODES)
    return MODES[shift:] + MODES[:shift]


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)


def mode_means(runs: Runs) -> dict[str, dict[str, float]]:
    keys = ("search_s", "process_s", "best_valid_loss", "bleu")
    return {mode: {key: _mean([runs[s][mode][key] for s in runs]) for key in keys} for mode in MODES}


def compare(runs: Runs, mode: str) -> dict[str, Any]:
    """``mode`` against supernet-only: per seed and over the mean of the seeds (ratio of the mean wall-clocks)."""
    per_seed = {}
    for seed, by_mode in sorted(runs.items()):
        base, hyb = by_mode[BASELINE], by_mode[mode]
        per_seed[seed] = {
            "ratio_search": hyb["search_s"] / base["search_s"],
            "ratio_process": hyb["process_s"] / base["process_s"],
            "bleu_diff": hyb["bleu"] - base["bleu"],
            "valid_loss_diff": hyb["best_valid_loss"] - base["best_valid_loss"],
        }
    mean = mode_means(runs)
    return {
        "per_seed": per_seed,
        "ratio_search_mean": mean[mode]["search_s"] / mean[BASELINE]["search_s"],
        "ratio_process_mean": mean[mode]["process_s"] / mean[BASELINE]["process_s"],
        "bleu_diff_mean": mean[mode]["bleu"] - mean[BASELINE]["bleu"],
        "valid_loss_diff_mean": mean[mode]["best_valid_loss"] - mean[BASELINE]["best_valid_loss"],
    }


def goals(versus: dict[str, Any]) -> dict[str, Any]:
    """The issue's two goals, checked on one comparison (the LLM row's; never the strong predictor's)."""
    out = {
        "ratio_search_mean": versus["ratio_search_mean"],
        "ratio_process_mean": versus["ratio_process_mean"],
        "ratio_goal": GOAL_RATIO,
        "ratio_met": versus["ratio_search_mean"] <= GOAL_RATIO,
        "bleu_diff_mean": versus["bleu_diff_mean"],
        "bleu_goal": f"hybrid BLEU >= supernet-only BLEU - {GOAL_BLEU_DROP}",
        "bleu_met": versus["bleu_diff_mean"] >= -GOAL_BLEU_DROP,
        "bleu_met_per_seed": {s: v["bleu_diff"] >= -GOAL_BLEU_DROP for s, v in versus["per_seed"].items()},
    }
    return out | {"met": out["ratio_met"] and out["bleu_met"]}


def summarize(runs: Runs) -> dict[str, Any]:
    """Means per mode, each hybrid against supernet-only, the goal check (the LLM row: the issue's hybrid) and the
    reference predictors' figures beside it, marked as not counting towards the goal; then what drove the times."""
    versus = {mode: compare(runs, mode) for mode in HYBRIDS}
    keys = ("ratio_search_mean", "ratio_process_mean", "bleu_diff_mean", "valid_loss_diff_mean")
    references = {mode: {**{k: versus[mode][k] for k in keys}, "counts_towards_goal": False} for mode in REFERENCES}
    return {
        "mean": mode_means(runs),
        "vs_supernet": versus,
        "goals": {"row": LLM, **goals(versus[LLM])},
        "references": references,
        "drivers": drivers(runs),
        "searches_measured_side_by_side": not any(r.get("reused") for by in runs.values() for r in by.values()),
    }


def drivers(runs: Runs) -> dict[str, Any]:
    """What the wall-clock ratios follow. Search time goes with the number of distinct archs the supernet
    evaluates (each arch once per phase; repeats are journal hits), and an evolutionary search repeats more archs
    as it converges, so supernet-only's later iterations cost less than its first ones. ``first_half_share`` is
    the part of supernet-only's loop time spent in the iterations a hybrid hands to the predictor: the saving a
    hybrid could reach if its supernet phase cost what supernet-only's second half costs."""
    per_seed = {}
    for seed, by_mode in sorted(runs.items()):
        base = by_mode[BASELINE]
        iterations = base["iterations_s"]
        half = len(iterations) // 2
        evaluations = {BASELINE: base["counts"]["evaluations"]}
        evaluations |= {mode: by_mode[mode]["phase_counts"][-1]["evaluations"] for mode in HYBRIDS}
        per_seed[seed] = {
            "supernet_evaluations": evaluations,
            **{f"ratio_supernet_evaluations_{m}": evaluations[m] / evaluations[BASELINE] for m in HYBRIDS},
            "phases_s": {mode: by_mode[mode]["phases_s"] for mode in HYBRIDS},
            "supernet_only_first_half_share": sum(iterations[:half]) / sum(iterations),
        }
    keys = [f"ratio_supernet_evaluations_{m}" for m in HYBRIDS] + ["supernet_only_first_half_share"]
    return {"per_seed": per_seed, "mean": {k: _mean([v[k] for v in per_seed.values()]) for k in keys}}


def _row(seed: str, mode: str, figures: dict[str, float], ratio: float | None) -> str:
    return (
        f"| {seed} | {LABELS[mode]} | {figures['search_s']:.1f} | {figures['process_s']:.1f} | "
        f"{figures['best_valid_loss']:.4f} | {figures['bleu']:.2f} | {'' if ratio is None else f'{ratio:.3f}'} |"
    )


def reference_costs(one_off: dict[str, Any]) -> dict[str, float]:
    """Each reference mode's one-off labelling + fit seconds, from the result's ``one_off`` section (where the
    labelling of mode ``hybrid-NAME`` is stored as ``NAME_labelling``)."""
    return {mode: one_off[f"{mode.removeprefix('hybrid-')}_labelling"]["wall_s"] for mode in REFERENCES}


def format_table(runs: Runs, summary: dict[str, Any], *, one_off_s: dict[str, float] | None = None) -> str:
    """Markdown: one row per seed and mode, the means, the goal check (LLM row) and a line per reference predictor
    (``one_off_s``: its labelling + fit seconds, by mode)."""
    lines = [
        "| seed | search | wall-clock (s) | process (s) | best valid loss | BLEU | vs supernet-only |",
        "|---|---|---|---|---|---|---|",
    ]
    versus = summary["vs_supernet"]
    for seed, by_mode in sorted(runs.items()):
        for mode in MODES:
            ratio = versus[mode]["per_seed"][seed]["ratio_search"] if mode in versus else None
            lines.append(_row(str(seed), mode, by_mode[mode], ratio))
    for mode in MODES:
        ratio = versus[mode]["ratio_search_mean"] if mode in versus else None
        lines.append(_row("mean", mode, summary["mean"][mode], ratio))
    goal = summary["goals"]
    lines += [
        "",
        f"Goal (the LLM-distilled hybrid): wall-clock ratio <= {GOAL_RATIO}: {goal['ratio_search_mean']:.3f} -> "
        f"{'met' if goal['ratio_met'] else 'not met'}; BLEU within {GOAL_BLEU_DROP} of supernet-only: "
        f"{goal['bleu_diff_mean']:+.2f} -> {'met' if goal['bleu_met'] else 'not met'}.",
    ]
    for mode in REFERENCES:
        figures = summary["references"][mode]
        seconds = (one_off_s or {}).get(mode)
        cost = "" if seconds is None else f"; its one-off labelling + fit took {seconds:.0f} s"
        lines += [
            "",
            f"Reference, not a goal check: {LABELS[mode]}, the same regressor fitted on the same random archs "
            f"{REFERENCE_TEXT[mode]}{cost}: wall-clock ratio {figures['ratio_search_mean']:.3f}, "
            f"BLEU {figures['bleu_diff_mean']:+.2f}.",
        ]
    return "\n".join(lines)
