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
