"""The pipeline's own sections of ``report.md``: the latency-budget check on the device, each baseline next to the
searched model with goal 1's BLEU gap and why it was chosen, every baseline candidate with its measured latency, and
the two goal checks. Each function takes the ``summary.json`` data and returns Markdown lines (empty when the run has
nothing to say on the subject).

The gap per budget (:func:`goal_gap`, :func:`gap_text`) and the goal sentences (:func:`goal_sentences`) are also
what the console summary prints (:mod:`hwnas.pipeline.summary_table`): one computation and one wording, so the
report's table, its goal line and the console cannot disagree."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

RULE_WORDING = {
    "valid_loss": "the lowest supernet validation loss (the search's fitness)",
    "params": "the most parameters (no supernet to rank with)",
}


def _ms(value: Any) -> str:
    return "-" if value is None else f"{float(value):.2f}"


def _yes_no(value: bool | None) -> str:
    return {True: "yes", False: "no", None: "unknown"}[value]


def _loss(value: Any) -> str:
    return "-" if value is None else f"{float(value):.3f}"


def _params(value: Any) -> str:
    return "-" if value is None else f"{float(value) / 1e6:.2f}M"


def budget_section(models: Sequence[Mapping[str, Any]], margin: float | None) -> list[str]:
    """Per budget: the search limit, predicted and measured latency, whether the budget held, and fallbacks."""
    if not models:
        return []
    note = f"The search kept predicted latency <= budget x (1 - {margin:.3f})." if margin is not None else ""
    lines = ["", "## Latency budgets on the device", "", note, "",
             "| budget (ms) | search limit (ms) | arch_id | predicted (ms) | measured (ms) | within budget |"
             " measured archs |", "|---:|---:|---|---:|---:|---|---:|"]  # fmt: skip
    for row in models:
        check = row.get("latency_check") or {}
        tries = len(check.get("tries") or [])
        fallback = " (fallback)" if check.get("fallback") else ""
        lines.append(
            f"| {_ms(row['budget_ms'])} | {_ms(row.get('limit_ms'))} | `{row['arch_id']}` | "
            f"{_ms(row.get('predicted_ms'))} | {_ms(row.get('measured_ms'))} | "
            f"{_yes_no(row.get('within_budget'))} | {tries}{fallback} |"
        )
    return lines


def single_baseline_arch(models: Sequence[Mapping[str, Any]], name: str) -> str | None:
    """The arch_id when there are two or more budgets and every one chose the same arch of baseline family ``name``
    (a loose set of budgets picks the largest every time): the report and the plot then say so, since the family
    is one model, not one per budget."""
    chosen = [((row.get("baselines") or {}).get(name) or {}).get("arch_id") for row in models]
    return chosen[0] if len(chosen) >= 2 and None not in chosen and len(set(chosen)) == 1 else None


def goal_gap(goals: Mapping[str, Any], name: str, budget_ms: float) -> Mapping[str, Any]:
    """The BLEU gap of goal 1 at one budget for baseline ``name`` (empty when the goal was not computed): the one
    figure both the baseline tables and the goal lines print, so they cannot disagree."""
    goal = (goals.get("beats_baseline") or {}).get(name) or {}
    return next((e for e in goal.get("per_budget") or [] if e.get("budget_ms") == budget_ms), {})


def _same_arch_note(name: str, models: Sequence[Mapping[str, Any]], reference: Mapping[str, Any] | None) -> list[str]:
    only = single_baseline_arch(models, name)
    if only is None:
        return []
    largest = " (the largest arch, the reference)" if reference and reference.get("arch_id") == only else ""
    return ["", f"Every budget chose the same {name} arch, `{only}`{largest}: this baseline is one model, one marker "
            "in the BLEU-vs-latency plot."]  # fmt: skip


def baseline_section(name: str, summary: Mapping[str, Any]) -> list[str]:
    """Per budget: the searched BLEU, the baseline chosen for the same budget (latency, BLEU), the goal's gap (which
    names the model compared with when it is not this one) and why it was chosen."""
    models, goals = summary.get("models") or [], summary.get("goals") or {}
    table = (summary.get("baseline_candidates") or {}).get(name)
    rule = RULE_WORDING.get(str((table or {}).get("rule")), "the preference recorded with each choice")
    lines = ["", f"## Baseline: {name} (retrained with the same recipe)", "",
             f"Per budget, the candidate with {rule} among those whose latency is within the budget "
             f"({(table or {}).get('measured', 'candidates as recorded')}; every candidate is listed below).", "",
             "| budget (ms) | searched BLEU | baseline arch_id | params | valid loss | measured (ms) | within budget |"
             " baseline BLEU | gap (goal) | why |", "|---:|---:|---|---:|---:|---:|---|---:|---:|---|"]  # fmt: skip
    for row in models:
        base = (row.get("baselines") or {}).get(name)
        if not base:
            lines.append(f"| {_ms(row['budget_ms'])} | {_ms(row.get('bleu'))} | (none fits) |" + " - |" * 7)
            continue
        gap = gap_text(goal_gap(goals, name, row["budget_ms"]))
        lines.append(
            f"| {_ms(row['budget_ms'])} | {_ms(row.get('bleu'))} | `{base['arch_id']}` | {_params(base.get('params'))} "
            f"| {_loss(base.get('valid_loss'))} | {_ms(base.get('measured_ms'))} | "
            f"{_yes_no(base.get('within_budget'))} | {_ms(base.get('bleu'))} | {gap} | "
            f"{(base.get('selection') or {}).get('reason', '-')} |"
        )
    return lines + _same_arch_note(name, models, summary.get("reference")) + _better_in_budget(name, models)


def _better_in_budget(name: str, models: Sequence[Mapping[str, Any]]) -> list[str]:
    """A sentence per budget where another retrained model of the family, within the budget, beat the choice."""
    lines = []
    for row in models:
        better = ((row.get("baselines") or {}).get(name) or {}).get("best_in_budget")
        if better:
            lines.append(
                f"- At {_ms(row['budget_ms'])} ms, {better['role']} (`{better['arch_id']}`, measured "
                f"{_ms(better['measured_ms'])} ms) is within the budget too and scored more BLEU "
                f"({_ms(better['bleu'])}); the goal below compares with it."
            )
    return ["", *lines] if lines else []


def _chosen_at(models: Sequence[Mapping[str, Any]], name: str) -> dict[str, list[str]]:
    chosen: dict[str, list[str]] = {}
    for row in models:
        base = (row.get("baselines") or {}).get(name)
        if base:
            chosen.setdefault(base["arch_id"], []).append(_ms(row["budget_ms"]))
    return chosen


def candidates_section(name: str, table: Mapping[str, Any], models: Sequence[Mapping[str, Any]]) -> list[str]:
    """Every candidate of the baseline family, fastest first, with the budgets that chose it."""
    rows = list(table.get("candidates") or [])
    if not rows:
        return []
    chosen = _chosen_at(models, name)
    shrunk = list(rows[0].get("shrink") or {})
    lines = ["", f"### Every {name} candidate ({table.get('measured', '')})", "",
             "| arch_id | " + " | ".join(shrunk) + " | params | predicted (ms) | measured (ms) | valid loss |"
             " chosen for budget (ms) |", "|---|" + "---:|" * (len(shrunk) + 4) + "---|"]  # fmt: skip

    def latency(row: Mapping[str, Any]) -> float:
        value = row.get("measured_ms")
        return float(row["predicted_ms"] if value is None else value)

    for row in sorted(rows, key=latency):
        values = " | ".join(str((row.get("shrink") or {}).get(gene, "-")) for gene in shrunk)
        lines.append(
            f"| `{row['arch_id']}` | {values} | {_params(row.get('params'))} | {_ms(row.get('predicted_ms'))} | "
            f"{_ms(row.get('measured_ms'))} | {_loss(row.get('valid_loss'))} | "
            f"{', '.join(chosen.get(row['arch_id'], [])) or '-'} |"
        )
    return lines


def gap_text(entry: Mapping[str, Any], *, short: bool = False) -> str:
    """One budget's BLEU gap (goal 1's entry), naming the model compared with when it is not the chosen baseline:
    by its role, or by its arch id when ``short`` (a console table cell). The report and the console summary both
    print it in their baseline tables and their goal lines."""
    if entry.get("gap") is None:
        return "-"
    if entry.get("baseline_arch_id") in (None, entry.get("chosen_arch_id")):
        return f"{entry['gap']:+.2f}"
    other = str(entry["baseline_arch_id"])[:8] if short else entry.get("baseline_role")
    return f"{entry['gap']:+.2f} vs {other}"


def _verdict(goal: Mapping[str, Any], verdict: Callable[[bool | None], str]) -> str:
    """yes / no / unknown, or "not assessable" when the latency data the goal rests on was judged unreliable."""
    return verdict(goal["met"]) if goal.get("assessable", True) else "not assessable (latency data unreliable)"


def goal_sentences(goals: Mapping[str, Any], verdict: Callable[[bool | None], str]) -> list[str]:
    """The goal checks as sentences, worded once for the report and the console summary (``verdict`` renders the
    yes / no / unknown of each); the gaps are :func:`gap_text` of the same entries the baseline tables print."""
    sentences = []
    for name, goal in (goals.get("beats_baseline") or {}).items():
        gaps = ", ".join(f"{_ms(b['budget_ms'])} ms: {gap_text(b)}" for b in goal["per_budget"])
        sentences.append(
            f"Searched model beats the best same-latency {name} baseline by >= {goal['margin_bleu']} BLEU at "
            f"every budget: {_verdict(goal, verdict)} (gap per budget: {gaps or '-'})."
        )
    speed = goals.get("fastest_vs_largest") or {}
    if speed:
        detail = "not computable (a BLEU or latency is missing)"
        if "speedup" in speed:
            detail = (
                f"{speed['speedup']:.2f}x faster ({speed['latency_kind']} {speed['fastest_ms']:.2f} vs "
                f"{speed['largest_ms']:.2f} ms), BLEU loss {speed['bleu_loss']:+.2f}"
            )
        sentences.append(
            f"Fastest searched model >= {speed['min_speedup']}x faster than the largest with <= "
            f"{speed['max_bleu_loss']} BLEU loss: {_verdict(speed, verdict)} ({detail})."
        )
    return sentences


def goals_section(reference: Mapping[str, Any] | None, goals: Mapping[str, Any]) -> list[str]:
    """The reference (largest) model and the two goal checks with their numbers."""
    if not reference and not goals:
        return []
    lines = ["", "## Goals", ""]
    if reference:
        lines += [
            f"Reference: the largest arch `{reference['arch_id']}`, predicted {_ms(reference.get('predicted_ms'))} "
            f"ms, measured {_ms(reference.get('measured_ms'))} ms, BLEU {_ms(reference.get('bleu'))}.",
            "",
        ]
    return lines + [f"- {sentence}" for sentence in goal_sentences(goals, lambda met: f"**{_yes_no(met)}**")]


def pipeline_sections(summary: Mapping[str, Any]) -> list[str]:
    """Every section above, in report order."""
    models = summary.get("models") or []
    tables = summary.get("baseline_candidates") or {}
    lines = budget_section(models, summary.get("latency_margin"))
    names = sorted({name for row in models for name in (row.get("baselines") or {})} | set(tables))
    for name in names:
        lines += baseline_section(name, summary)
        if name in tables:
            lines += candidates_section(name, tables[name], models)
    return lines + goals_section(summary.get("reference"), summary.get("goals") or {})
