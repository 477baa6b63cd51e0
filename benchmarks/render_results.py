"""Render the README's results section from the newest benchmark JSON files (figures are never typed by hand).

python benchmarks/render_results.py            # print the Markdown
python benchmarks/render_results.py --write    # replace the block between the markers in README.md
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))  # the benchmarks' own modules (e.g. a table's wording)
RESULTS = ROOT / "benchmarks" / "results"
BEGIN, END = "<!-- results:begin -->", "<!-- results:end -->"


def _newest(prefix: str, *, device: str | None = None) -> tuple[Path, dict[str, Any]] | None:
    for path in sorted(RESULTS.glob(f"{prefix}-2*.json"), reverse=True):
        data = json.loads(path.read_text())
        gpu = data.get("machine", {}).get("gpu_name")
        if device is None or (device == "cuda") == bool(gpu):
            return path, data
    return None


def _multi30k() -> list[str]:
    found = _newest("multi30k", device="cuda")
    if found is None:
        return []
    path, data = found
    s, t = data["settings"], data["training"]
    rows = [
        f"**Multi30k En->De, `{s['space']}` SuperTransformer** ({data['machine'].get('gpu_name')}, "
        f"sacreBLEU on {s['split']}, beam 4, length penalty 0.6; `{path.relative_to(ROOT)}`):",
        "",
        "| model | BLEU | training |",
        "|---|---|---|",
    ]
    train_of = {"supernet": "supernet", "scratch": "scratch_largest"}
    for key, label in (
        ("supernet_largest", "largest subnet, inherited weights"),
        ("supernet_smallest", "smallest subnet, inherited weights"),
        ("scratch_largest", "largest, trained from scratch"),
    ):
        run = t[train_of[key.split("_")[0]]]
        epochs = s["supernet_epochs"] if key.startswith("supernet") else s["scratch_epochs"]
        rows.append(f"| {label} | {data['bleu'][key]['bleu']:.2f} | {epochs:g} epochs, {run['wall_s']:.0f} s |")
    return [*rows, ""]


def _throughput() -> list[str]:
    found = _newest("supernet_throughput", device="cuda")
    if found is None:
        return []
    path, data = found
    rows = [
        f"**Supernet training throughput** ({data['machine'].get('gpu_name')}, bf16 autocast, "
        f"`{path.relative_to(ROOT)}`):",
        "",
        "| subnet | tokens / batch / side | supernet tokens/s | MFU | vs plain nn.Transformer |",
        "|---|---|---|---|---|",
    ]
    speedups = {
        (r["tokens"], r["subnet"]): r["vs_plain"] for r in data["speedup_vs_plain"] if r["variant"] == "supernet"
    }
    for r in data["results"]:
        if r["variant"] != "supernet":
            continue
        key = (r["tokens_per_batch_per_side"], r["subnet"])
        rows.append(
            f"| {r['subnet']} | {key[0]:,} | {r['tokens_per_s']:,.0f} | {r['mfu']:.1%} | "
            f"{speedups.get(key, float('nan')):.2f}x |"
        )
    return [*rows, ""]


def _latency_predictors() -> list[str]:
    """One row per dataset, each from the newest benchmark file that covers it (runs may cover a subset)."""
    newest: dict[str, tuple[Path, dict[str, Any]]] = {}
    for path in sorted(RESULTS.glob("latency_predictors-2*.json")):
        data = json.loads(path.read_text())
        for name in data["summary"]:
            newest[name] = (path, data)
    if not newest:
        return []
    rows = [
        "**Latency predictors** (MAPE on held-out rows, mean of 5 seeds; the default predictor vs HAT's MLP):",
        "",
        "| dataset | default @ 100 rows | HAT MLP @ 100 rows | HAT MLP @ 1,600 rows | noise floor | source |",
        "|---|---|---|---|---|---|",
    ]
    for name, (path, data) in sorted(newest.items()):
        sizes, default = data["summary"][name], data["default_predictor"]
        hat_1600 = sizes.get("1600", {}).get("hat-mlp", {}).get("mape_mean")
        floor = data["noise_floor"].get(name, {}).get("near_pairs", {}).get("mape_floor")
        cells = [sizes["100"][default]["mape_mean"], sizes["100"]["hat-mlp"]["mape_mean"], hat_1600, floor]
        text = " | ".join("-" if v is None else f"{v:.1%}" for v in cells)
        rows.append(f"| {name} | {text} | `{path.name}` ({default}) |")
    return [*rows, ""]


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.2%}"


def _repeatability() -> list[str]:
    rows = []
    for device in ("cuda", "cpu"):
        found = _newest("measurement_repeatability", device=device)
        if found is None:
            continue
        path, data = found
        figures, settings = data["figures"], data["settings"]
        where = data["machine"].get("gpu_name") if device == "cuda" else data["machine"].get("cpu_model")
        rows.append(
            f"| {where} ({settings['device']}, {settings['threads'] or 'default'} threads) | {figures['archs']} | "
            f"{settings['warmup']} / {settings['runs']} | {figures['total_median']['median']:.2%} | "
            f"{_percent(figures.get('total_min', {}).get('median'))} | {data['headline']['goal']:.0%} | `{path.name}` |"
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


def _llm_pp() -> list[str]:
    """Per model, its newest full run (every task, seed and test arch; a smoke or timing run on a subset never
    replaces it), then the newest side-by-side timing of the embedded backends."""
    rows: list[str] = []
    shown: set[str] = set()
    for path in sorted(RESULTS.glob("llm_pp-2*.json"), reverse=True):
        data = json.loads(path.read_text())
        config = data["config"]
        if len(config["tasks"]) < 3 or len(config["seeds"]) < 3 or config.get("limit") is not None:
            continue
        for run in (r for r in data["runs"] if r["model"] not in shown):
            shown.add(run["model"])
            rows += [
                f"**LLM-PP on the LLM-PP seed archs** ({run['model']}; MAE in BLEU / Kendall tau vs valid BLEU, "
                f"mean ± std over split seeds {', '.join(map(str, config['seeds']))}; failed predictions are counted "
                f"in the cells, never filled in; median {run['median_s']:.1f} s per answer; "
                f"`{path.relative_to(ROOT)}`):",
                "",
                data["tables"][run["label"]],
                "",
            ]
    return rows + _llm_backends()


def _llm_backends() -> list[str]:
    for path in sorted(RESULTS.glob("llm_pp-2*.json"), reverse=True):
        runs = [r for r in json.loads(path.read_text())["runs"] if r["label"].startswith("embedded-")]
        if len(runs) > 1:
            times = ", ".join(f"{r['label'].removeprefix('embedded-')} {r['median_s']:.1f} s" for r in runs)
            return [f"Embedded backends side by side, median seconds per LLM-PP answer: {times} (`{path.name}`).", ""]
    return []


def _hybrid_search() -> list[str]:
    found = _newest("hybrid_search")
    if found is None:
        return []
    path, data = found
    settings = data["settings"]
    return [
        f"**Hybrid search** (`{settings.get('schedule', 'llm-distill, then supernet')}` vs supernet-only at the same "
        f"iterations, `{settings.get('space', 'tiny')}` supernet on {_where(data, settings)}, LLM labels from "
        f"{data['one_off']['llm_labelling']['result']['llm']['model']}; `{path.relative_to(ROOT)}`):",
        "",
        _hybrid_table(data),
        "",
        *_hybrid_drivers(data["summary"].get("drivers", {}).get("mean", {})),
        *_earlier_hybrids(path),
    ]


def _earlier_hybrids(newest: Path) -> list[str]:
    """One line per earlier hybrid_search result: its mean wall-clock ratio per hybrid, and what made its phase-1
    models (the LLM, and the regressor type its distillation chose, which the reference models share)."""
    lines = []
    for path in sorted(RESULTS.glob("hybrid_search-2*.json"), reverse=True):
        if path == newest:
            continue
        data = json.loads(path.read_text())
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


def _hybrid_drivers(mean: dict[str, float]) -> list[str]:
    """The time ratios' driver, which unlike wall-clock does not depend on the machine's load: how many archs the
    supernet evaluated in each hybrid, over supernet-only's."""
    prefix = "ratio_supernet_evaluations_"
    ratios = [f"{key.removeprefix(prefix)} {value:.3f}" for key, value in mean.items() if key.startswith(prefix)]
    if not ratios:
        return []
    share = mean.get("supernet_only_first_half_share")
    half = "" if share is None else f"; supernet-only spends {share:.0%} of its loop time in its first half"
    return [f"Supernet evaluations over supernet-only's (mean of the seeds): {', '.join(ratios)}{half}.", ""]


def render() -> str:
    sections = [
        *_multi30k(),
        *_throughput(),
        *_latency_predictors(),
        *_repeatability(),
        *_llm_pp(),
        *_hybrid_search(),
    ]
    return "\n".join(sections).rstrip() + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--write", action="store_true", help="update README.md in place")
    text = render()
    if not parser.parse_args().write:
        print(text, end="")
        return
    readme = ROOT / "README.md"
    content = readme.read_text()
    start, end = content.index(BEGIN) + len(BEGIN), content.index(END)
    readme.write_text(content[:start] + "\n" + text + content[end:])


if __name__ == "__main__":
    main()
