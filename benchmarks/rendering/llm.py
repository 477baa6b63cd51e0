"""LLM-PP on the LLM-PP seed archs, and the embedded model's backends side by side."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rendering.common import newest_first, relative


def _load(data: dict[str, Any]) -> str:
    load = data.get("machine", {}).get("load_average_at_start")
    return f"load {load[0]:.1f} at the start" if load else "load not recorded"


def _answers(run: dict[str, Any]) -> str:
    """How the run's answers were read: structured JSON, free text by the answer rules, or (results written before
    the rules existed, whose ``llm`` record has no ``answer_schema``) the old first-number reading."""
    llm = run["result"].get("llm", {})
    if "answer_schema" not in llm:
        return "answers read as the first number in range (the parser before the answer rules)"
    return "structured JSON answers" if llm["answer_schema"] else "free-text answers read by the answer rules"


def _reread(data: dict[str, Any]) -> str:
    """Where a re-read result's answers come from (``benchmarks/llm_pp_reread.py``): no new LLM call."""
    reread = data.get("reread")
    if not reread:
        return ""
    source, date = reread["source"], reread["date"][:10]
    return f"; the answers of `{source}` re-read on {date} by the current rules, no new LLM call"


def _full(data: dict[str, Any]) -> bool:
    config = data["config"]
    return len(config["tasks"]) >= 3 and len(config["seeds"]) >= 3 and config.get("limit") is None


def llm_pp() -> list[str]:
    """Per model, its newest full run (every task, seed and test arch; a smoke or timing run on a subset never
    replaces it), one line per earlier full run, then the side-by-side timings of the embedded backends."""
    rows: list[str] = []
    shown: set[str] = set()
    earlier: list[str] = []
    for path, data in newest_first("llm_pp"):
        if not _full(data):
            continue
        for run in data["runs"]:
            if run["model"] in shown:
                earlier.append(_earlier_line(path.name, run) + _reread(data))
                continue
            shown.add(run["model"])
            rows += [_heading(path, data, run), "", data["tables"][run["label"]], ""]
    if earlier:
        rows += ["Earlier full LLM-PP runs (MAE per task, the LLM row):", "", *earlier, ""]
    return rows + llm_backends()


def _heading(path: Path, data: dict[str, Any], run: dict[str, Any]) -> str:
    seeds = ", ".join(map(str, data["config"]["seeds"]))
    return (
        f"**LLM-PP on the LLM-PP seed archs** ({run['model']}; {_answers(run)}{_reread(data)}; MAE in BLEU / "
        f"Kendall tau vs valid BLEU, mean ± std over split seeds {seeds}; failed predictions are counted in the "
        f"cells, never filled in; median {run['median_s']:.1f} s per answer, {_load(data)}; `{relative(path)}`):"
    )


def _earlier_line(name: str, run: dict[str, Any]) -> str:
    row = next(r for r in run["result"]["rows"] if r["kind"] == "llm")
    maes = ", ".join(f"{task} {cell['mae_mean']:.2f}" for task, cell in row["tasks"].items())
    return f"- `{name}` ({run['model']}; {_answers(run)}): {maes}"


def llm_backends() -> list[str]:
    """Every run that timed the embedded backends side by side, newest first, with the machine's load: the ratio
    depends on what else the machine was doing."""
    lines = []
    for path, data in newest_first("llm_pp"):
        if data.get("reread"):  # the timings belong to the run it re-read, listed on its own
            continue
        runs = [r for r in data["runs"] if r["label"].startswith("embedded-")]
        if len(runs) > 1:
            times = ", ".join(f"{r['label'].removeprefix('embedded-')} {r['median_s']:.1f} s" for r in runs)
            lines.append(f"- {times} ({len(runs[0]['answer_s'])} answers each, {_load(data)}; `{path.name}`)")
    if not lines:
        return []
    return ["Embedded backends side by side, median seconds per LLM-PP answer (one thread each):", "", *lines, ""]


def llm_distill() -> list[str]:
    """The newest LLM-Distill-PP benchmark run: its scores next to the supernets, and what its labels looked like."""
    found = next(newest_first("llm_distill"), None)
    if found is None:
        return ["(No LLM-Distill-PP benchmark result yet: run `python benchmarks/llm_distill.py`.)", ""]
    path, data = found
    config, machine, answers = data["config"], data["machine"], data["answers"]
    seeds = config["seeds"]
    load, end = machine.get("load_average_at_start"), machine.get("load_average_at_end")
    where = (
        f"{machine.get('cpu_model')}, {machine.get('cpu_count')} vCPUs"
        + (f", load {load[0]:.1f} at the start" if load else "")
        + (f", {end[0]:.1f} at the end (mean of the run's last 15 min: {end[2]:.1f})" if end else "")
    )
    labels = "; ".join(
        f"seed {s['seed']}: {s['distinct']} distinct of {s['labels']} labels"
        + (f", {s['most_common']:g} for {s['most_common_share']:.0%}" if s["most_common"] is not None else "")
        + (f", {s['failed']} failed" if s["failed"] else "")
        for s in data["label_statistics"]
    )
    return [
        f"**LLM-Distill-PP on `{config['space']}`** ({data['model']}; {config['n']} random archs labelled per split "
        f"seed, seeds {', '.join(map(str, seeds))}; regressor `{config['regressor']}`; MAE in BLEU / Kendall tau on "
        f"each split's 20 test archs, mean ± std over the seeds; `{relative(path)}`):",
        "",
        data["table"],
        "",
        f"Labels: {labels}. Time: {data['wall_s'] / 60:.0f} min for {answers['answered']} answers "
        f"({answers['cached']} from the cache), median {answers.get('median_s', float('nan')):.1f} s per answer, on "
        f"{where}{_reused(data)}.",
        "",
    ]


def _reused(data: dict[str, Any]) -> str:
    """A resumed run's time covers only the labels it asked for: say how many came from an earlier session."""
    rows = data["result"].get("labels", [])
    reused = sum(int(r.get("already_labelled", 0)) for r in rows)
    if not reused:
        return ""
    total = sum(int(r.get("labels_usable", 0)) + int(r.get("labels_failed", 0)) for r in rows)
    return (
        f"; a resumed run: {reused} of the {total} labels were already in its folder from an earlier session, so "
        "this time covers the rest"
    )
