"""LLM-PP on the LLM-PP seed archs, and the embedded model's backends side by side."""

from __future__ import annotations

from rendering.common import newest_first, relative


def llm_pp() -> list[str]:
    """Per model, its newest full run (every task, seed and test arch; a smoke or timing run on a subset never
    replaces it), then the newest side-by-side timing of the embedded backends."""
    rows: list[str] = []
    shown: set[str] = set()
    for path, data in newest_first("llm_pp"):
        config = data["config"]
        if len(config["tasks"]) < 3 or len(config["seeds"]) < 3 or config.get("limit") is not None:
            continue
        for run in (r for r in data["runs"] if r["model"] not in shown):
            shown.add(run["model"])
            rows += [
                f"**LLM-PP on the LLM-PP seed archs** ({run['model']}; MAE in BLEU / Kendall tau vs valid BLEU, "
                f"mean ± std over split seeds {', '.join(map(str, config['seeds']))}; failed predictions are counted "
                f"in the cells, never filled in; median {run['median_s']:.1f} s per answer; "
                f"`{relative(path)}`):",
                "",
                data["tables"][run["label"]],
                "",
            ]
    return rows + llm_backends()


def llm_backends() -> list[str]:
    for path, data in newest_first("llm_pp"):
        runs = [r for r in data["runs"] if r["label"].startswith("embedded-")]
        if len(runs) > 1:
            times = ", ".join(f"{r['label'].removeprefix('embedded-')} {r['median_s']:.1f} s" for r in runs)
            return [f"Embedded backends side by side, median seconds per LLM-PP answer: {times} (`{path.name}`).", ""]
    return []


def llm_distill() -> list[str]:
    """The newest LLM-Distill-PP benchmark run: its scores next to the supernets, and what its labels looked like."""
    found = next(newest_first("llm_distill"), None)
    if found is None:
        return ["(No LLM-Distill-PP benchmark result yet: run `python benchmarks/llm_distill.py`.)", ""]
    path, data = found
    config, machine, answers = data["config"], data["machine"], data["answers"]
    seeds = config["seeds"]
    load = machine.get("load_average_at_start")
    where = f"{machine.get('cpu_model')}, {machine.get('cpu_count')} vCPUs" + (
        f", load {load[0]:.1f} at the start" if load else ""
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
        f"{where}.",
        "",
    ]
