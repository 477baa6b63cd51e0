"""The pure parts of benchmarks/hybrid_search.py: the schedule, the order of the searches, the ratios against
supernet-only search, how many distinct archs the searches found, the goal check (the LLM row's alone) and the
Markdown table. No I/O, so they are tested without running a search (and the README renders older results with
them)."""

from __future__ import annotations

from typing import Any

GOAL_RATIO = 0.55  # hybrid search wall-clock / supernet-only search wall-clock, at most
GOAL_BLEU_DROP = 0.3  # hybrid's found arch may score at most this much BLEU below supernet-only's
BASELINE = "supernet"
LLM = "hybrid-llm"  # the hybrid: phase 1 ranked by the model distilled from the LLM's labels
STRONG = "hybrid-strong"  # reference only: phase 1 ranked by the same regressor fitted on supernet BLEU labels
ALIGNED = "hybrid-aligned"  # reference only: ... fitted on the supernet's valid loss, the metric phase 2 ranks by
MODES = (BASELINE, LLM, STRONG, ALIGNED)
LEGACY_NAMES = {"hybrid": LLM}  # the first results had one hybrid, the LLM one, under this name
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


def modes_of(runs: Runs) -> tuple[str, ...]:
    """The modes present in every seed, in MODES order (older results hold fewer)."""
    present = set.intersection(*(set(by_mode) for by_mode in runs.values())) if runs else set()
    return tuple(mode for mode in MODES if mode in present)


def renamed(runs: Runs) -> Runs:
    """``runs`` with the first results' mode names (``hybrid``) as the current ones (``hybrid-llm``)."""
    return {seed: {LEGACY_NAMES.get(m, m): r for m, r in by_mode.items()} for seed, by_mode in runs.items()}


def mode_means(runs: Runs) -> dict[str, dict[str, float]]:
    keys = ("search_s", "process_s", "best_valid_loss", "bleu")
    return {mode: {key: _mean([runs[s][mode][key] for s in runs]) for key in keys} for mode in modes_of(runs)}


def found_archs(runs: Runs) -> dict[str, Any]:
    """How many distinct models the searches ended at, over all of them and per mode, and in how many seeds each
    hybrid ended at another model than supernet-only. When every search ends at one model, their BLEU is equal by
    construction and a BLEU comparison cannot tell a good search from a bad one.

    A model is told apart by its valid loss and BLEU, not by its arch id: two ids can build the same network (in
    HAT's spaces, a decoder attending the "last 2" of a single encoder layer attends the one there is), and such a
    pair gives equal figures to the last digit, which distinct networks do not."""
    modes = modes_of(runs)
    found = {mode: [_model(runs[s][mode]) for s in sorted(runs)] for mode in modes}
    elsewhere = {m: sum(a != b for a, b in zip(found[m], found[BASELINE], strict=True)) for m in modes if m != BASELINE}
    return {
        "searches": len(runs) * len(modes),
        "distinct": len({model for models in found.values() for model in models}),
        "distinct_arch_ids": len({r["best_arch_id"] for by_mode in runs.values() for r in by_mode.values()}),
        "per_mode": {mode: len(set(models)) for mode, models in found.items()},
        "seeds_elsewhere_than_supernet_only": elsewhere,
    }


def _model(run: dict[str, Any]) -> tuple[float, float]:
    return (run["best_valid_loss"], run["bleu"])


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


def goals(versus: dict[str, Any], found: dict[str, Any]) -> dict[str, Any]:
    """The issue's two goals, checked on one comparison (the LLM row's; never a reference's). The BLEU goal is
    only assessed when the searches ended at more than one model (``found``); otherwise it is "not informative"
    (``bleu_met`` None) and the goals are not met, since a problem every search solves alike cannot fail."""
    informative = found["distinct"] > 1
    bleu_met = versus["bleu_diff_mean"] >= -GOAL_BLEU_DROP if informative else None
    out = {
        "ratio_search_mean": versus["ratio_search_mean"],
        "ratio_process_mean": versus["ratio_process_mean"],
        "ratio_goal": GOAL_RATIO,
        "ratio_met": versus["ratio_search_mean"] <= GOAL_RATIO,
        "bleu_diff_mean": versus["bleu_diff_mean"],
        "bleu_goal": f"hybrid BLEU >= supernet-only BLEU - {GOAL_BLEU_DROP}",
        "bleu_informative": informative,
        "bleu_met": bleu_met,
        "bleu_verdict": verdict(bleu_met),
        "bleu_met_per_seed": {s: v["bleu_diff"] >= -GOAL_BLEU_DROP for s, v in versus["per_seed"].items()},
        "distinct_models": found["distinct"],
        "searches": found["searches"],
    }
    return out | {"met": out["ratio_met"] and bleu_met is True}


def verdict(met: bool | None) -> str:
    return "not informative" if met is None else "met" if met else "not met"


def hybrids_of(runs: Runs) -> tuple[str, ...]:
    return tuple(mode for mode in modes_of(runs) if mode != BASELINE)


def summarize(runs: Runs) -> dict[str, Any]:
    """Means per mode, each hybrid against supernet-only, the archs found, the goal check (the LLM row: the issue's
    hybrid) and the reference predictors' figures beside it, marked as not counting towards the goal; then what
    drove the times. Results written before a reference mode existed are summarised with the modes they hold."""
    versus = {mode: compare(runs, mode) for mode in hybrids_of(runs)}
    keys = ("ratio_search_mean", "ratio_process_mean", "bleu_diff_mean", "valid_loss_diff_mean")
    references = {
        m: {**{k: versus[m][k] for k in keys}, "counts_towards_goal": False} for m in REFERENCES if m in versus
    }
    found = found_archs(runs)
    return {
        "mean": mode_means(runs),
        "vs_supernet": versus,
        "found_archs": found,
        "goals": {"row": LLM, **goals(versus[LLM], found)},
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
    per_seed, hybrids = {}, hybrids_of(runs)
    for seed, by_mode in sorted(runs.items()):
        base = by_mode[BASELINE]
        iterations = base["iterations_s"]
        half = len(iterations) // 2
        evaluations = {BASELINE: base["counts"]["evaluations"]}
        evaluations |= {mode: by_mode[mode]["phase_counts"][-1]["evaluations"] for mode in hybrids}
        per_seed[seed] = {
            "supernet_evaluations": evaluations,
            **{f"ratio_supernet_evaluations_{m}": evaluations[m] / evaluations[BASELINE] for m in hybrids},
            "phases_s": {mode: by_mode[mode]["phases_s"] for mode in hybrids},
            "supernet_only_first_half_share": sum(iterations[:half]) / sum(iterations),
        }
    keys = [f"ratio_supernet_evaluations_{m}" for m in hybrids] + ["supernet_only_first_half_share"]
    return {"per_seed": per_seed, "mean": {k: _mean([v[k] for v in per_seed.values()]) for k in keys}}


def _row(seed: str, mode: str, figures: dict[str, float], ratio: float | None) -> str:
    return (
        f"| {seed} | {LABELS[mode]} | {figures['search_s']:.1f} | {figures['process_s']:.1f} | "
        f"{figures['best_valid_loss']:.4f} | {figures['bleu']:.2f} | {'' if ratio is None else f'{ratio:.3f}'} |"
    )


def reference_costs(one_off: dict[str, Any]) -> dict[str, float]:
    """Each reference mode's one-off labelling + fit seconds, from the result's ``one_off`` section (where the
    labelling of mode ``hybrid-NAME`` is stored as ``NAME_labelling``)."""
    keys = {mode: f"{mode.removeprefix('hybrid-')}_labelling" for mode in REFERENCES}
    return {mode: one_off[key]["wall_s"] for mode, key in keys.items() if key in one_off}


def problem_text(constraints: list[str] | tuple[str, ...], feasible: dict[str, Any] | None = None) -> str:
    """The searched problem in words: its constraints and, when counted, how many archs meet them."""
    if not constraints:
        return "unconstrained"
    text = ", ".join(f"`{c}`" for c in constraints)
    if feasible and feasible.get("feasible") is not None:
        text += f" ({feasible['feasible']:,} feasible archs of {feasible['space_size']:,})"
    return text


def found_text(found: dict[str, Any]) -> str:
    per_mode = ", ".join(f"{mode} {count}" for mode, count in found["per_mode"].items())
    ids = found["distinct_arch_ids"]
    return (
        f"{found['distinct']} distinct model{'s' if found['distinct'] != 1 else ''} ({ids} arch "
        f"id{'s' if ids != 1 else ''}) over {found['searches']} searches (models per mode: {per_mode})"
    )


def goal_text(goal: dict[str, Any]) -> str:
    """The goal check of the LLM row in words; a BLEU comparison between searches that all ended at one arch
    says that it cannot discriminate instead of "met"."""
    bleu = goal["bleu_verdict"]
    if goal.get("bleu_informative") is False:
        bleu += f" (all {goal['searches']} searches ended at the same model, so their BLEU is equal by construction)"
    return (
        f"Goal (the LLM-distilled hybrid): wall-clock ratio <= {GOAL_RATIO}: {goal['ratio_search_mean']:.3f} -> "
        f"{verdict(goal['ratio_met'])}; BLEU within {GOAL_BLEU_DROP} of supernet-only: "
        f"{goal['bleu_diff_mean']:+.2f} -> {bleu}."
    )


def format_table(
    runs: Runs, summary: dict[str, Any], *, one_off_s: dict[str, float] | None = None, problem: str | None = None
) -> str:
    """Markdown: the problem (``problem``, when given), one row per seed and mode, the means, the distinct archs
    found, the goal check (LLM row) and a line per reference predictor (``one_off_s``: its labelling + fit seconds,
    by mode)."""
    lines = [f"Problem: {problem}.", ""] if problem else []
    lines += [
        "| seed | search | wall-clock (s) | process (s) | best valid loss | BLEU | vs supernet-only |",
        "|---|---|---|---|---|---|---|",
    ]
    versus, modes = summary["vs_supernet"], modes_of(runs)
    for seed, by_mode in sorted(runs.items()):
        for mode in modes:
            ratio = versus[mode]["per_seed"][seed]["ratio_search"] if mode in versus else None
            lines.append(_row(str(seed), mode, by_mode[mode], ratio))
    for mode in modes:
        ratio = versus[mode]["ratio_search_mean"] if mode in versus else None
        lines.append(_row("mean", mode, summary["mean"][mode], ratio))
    lines += ["", f"Archs found: {found_text(summary['found_archs'])}."]
    lines += ["", goal_text(summary["goals"])]
    for mode, figures in summary["references"].items():
        seconds = (one_off_s or {}).get(mode)
        cost = "" if seconds is None else f"; its one-off labelling + fit took {seconds:.0f} s"
        lines += [
            "",
            f"Reference, not a goal check: {LABELS[mode]}, the same regressor fitted on the same random archs "
            f"{REFERENCE_TEXT[mode]}{cost}: wall-clock ratio {figures['ratio_search_mean']:.3f}, "
            f"BLEU {figures['bleu_diff_mean']:+.2f}.",
        ]
    return "\n".join(lines)
