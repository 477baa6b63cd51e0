"""Few-shot latency transfer (``benchmarks/fewshot.py``): the goals, hwnas's methods next to the published numbers
(README), and every method at every sample size, per target and on the HAT space (docs/fewshot.md). Both read the
newest full (not ``--quick``) result."""

from __future__ import annotations

from typing import Any

from rendering.common import newest_first, relative

NO_RESULT = ["(No few-shot result yet: run `python benchmarks/fewshot.py`.)", ""]
LABELS = {
    "flops": "FLOPs",
    "params": "params",
    "best-source": "best source",
    "ridge-transfer": "ridge on sources",
    "opcount-ridge": "ridge on op counts",
    "op-sum": "sum of op costs (ms)",
    "ridge-all": "ridge on all",
    "gbdt-all": "boosted trees on all",
    "gnn": "GNN",
    "stack": "**stack (default)**",
    "hat-mlp": "HAT's MLP, from scratch",
    "cost-l2": "HAT's cost model, from scratch",
}


def _newest() -> tuple[str, dict[str, Any]] | None:
    for path, data in newest_first("fewshot"):
        if not data.get("quick"):
            return relative(path), data
    return None


def _at(records: list[dict[str, Any]], n: int) -> dict[str, Any] | None:
    return next((r for r in records if r["target"] == "mean" and r["samples"] == n), None)


def _value(records: list[dict[str, Any]] | None, n: int, key: str = "spearman_all") -> float | None:
    found = None if records is None else _at(records, n)
    return None if found is None else float(found[key])


def _cell(value: float | None, best: float | None = None) -> str:
    if value is None:
        return "-"
    text = f"{value:.3f}"
    return f"**{text}**" if best is not None and abs(value - best) < 5e-4 else text


def _header(data: dict[str, Any], path: str) -> str:
    s, m = data["settings"], data["machine"]
    return (
        f"Few-shot latency transfer (`benchmarks/fewshot.py`: NASFLAT's public tasks, {len(s['seeds'])} seeds, "
        f"samples {', '.join(map(str, s['samples']))}, sampler `{s['sampler']}`; Spearman over all archs of the "
        f"space, mean over the targets and seeds; {m.get('cpu_model', '?')}, {m.get('cpu_count', '?')} cores, one "
        f"thread; `{path}`)."
    )


def _goal_lines(data: dict[str, Any]) -> list[str]:
    g = data["goals"]
    if not g.get("assessed"):
        return [f"- Goals not assessed: {g.get('reason')}."]

    def met(flag: bool | None) -> str:
        return "not assessed" if flag is None else "**met**" if flag else "**not met**"

    n0, fb = g["n0_at_20"], g["fbnet_mean_at_20"]
    behind_nasflat = [t for t, ok in g["ahead_of_nasflat"].items() if not ok]
    behind = "; ".join(f"{t}: {', '.join(v)}" for t, v in g["not_ahead_of"].items())
    slowest = max(g["cpu_s"].values())
    return [
        f"- N0 at 20 samples >= {n0['goal']}: {met(n0['met'])} ({_cell(n0['value'])}).",
        f"- FBNet mean (F0-F5) at 20 samples >= {fb['goal']}: {met(fb['met'])} ({_cell(fb['value'])}).",
        f"- Ahead of NASFLAT on every task: {met(not behind_nasflat)}"
        + (f" (not on {', '.join(behind_nasflat)})." if behind_nasflat else "."),
        f"- Ahead of the trivial baselines (FLOPs, params, best source) on every task: {met(not behind)}"
        + (f" (not ahead of: {behind})." if behind else "."),
        f"- Under 5 CPU-minutes per task: {met(g['cpu_met'])} (slowest task {slowest:.0f} s: the default's "
        "pretraining, adaptation and prediction over every seed, target and sample size; it includes the GNN's "
        "pretraining and fine-tuning, which this run shares among the methods and the default does not need).",
    ]


def _published_row(data: dict[str, Any], tasks: list[str]) -> list[str]:
    nasflat = data["published"]["nasflat@20"]
    cells = [_cell(nasflat["tasks"].get(t)) for t in tasks]
    return [f"| NASFLAT (published, 20 samples) | {' | '.join(cells)} | {_cell(nasflat['fbnet_mean'])} |"]


def _fbnet_mean(data: dict[str, Any], method: str, n: int) -> float | None:
    values = [_value(data["tasks"][t]["methods"].get(method), n) for t in data["tasks"] if t.startswith("F")]
    if len(values) != 6 or any(v is None for v in values):
        return None
    return sum(v for v in values if v is not None) / 6


def summary_table(data: dict[str, Any], n: int) -> list[str]:
    tasks = list(data["tasks"])
    methods = data["settings"]["methods"]
    head = f"| method (@{n} samples) | {' | '.join(tasks)} | FBNet mean |"
    rows = [head, "|---" * (len(tasks) + 2) + "|"]
    best = {t: max(_value(data["tasks"][t]["methods"].get(m), n) or -1 for m in methods) for t in tasks}
    for method in methods:
        cells = [_cell(_value(data["tasks"][t]["methods"].get(method), n), best[t]) for t in tasks]
        rows.append(f"| {LABELS.get(method, method)} | {' | '.join(cells)} | {_cell(_fbnet_mean(data, method, n))} |")
    if n == 20:
        rows += _published_row(data, tasks)
    return rows


def _published_at_10(data: dict[str, Any]) -> list[str]:
    out = []
    ours_n0 = _value(data["tasks"].get("N0", {}).get("methods", {}).get("stack"), 10)
    ours_fb = _fbnet_mean(data, "stack", 10)
    for key in ("help@10 (NASFLAT's report)", "multipredict@10 (NASFLAT's report)", "help@10 (own protocol)"):
        entry = data["published"][key]
        out.append(f"| {key} | {_cell(entry['tasks'].get('N0'))} | {_cell(entry['tasks'].get('F0'))} | "
                   f"{_cell(entry['fbnet_mean'])} |")  # fmt: skip
    ours_f0 = _value(data["tasks"].get("F0", {}).get("methods", {}).get("stack"), 10)
    return [
        "| at 10 samples | N0 | F0 | FBNet mean |",
        "|---|---|---|---|",
        f"| hwnas stack | {_cell(ours_n0)} | {_cell(ours_f0)} | {_cell(ours_fb)} |",
        *out,
    ]


def _hat_lines(data: dict[str, Any]) -> list[str]:
    hat = data.get("hat")
    if not hat:
        return []
    samples = data["settings"]["samples"]
    rows = [
        f"**HAT space** ({', '.join(hat['source'])} -> {', '.join(hat['target'])}; {hat['note']}): Spearman and MAPE "
        "on the archs not sampled.",
        "",
        "| method | " + " | ".join(f"@{n}: Spearman / MAPE" for n in samples) + " |",
        "|---" * (len(samples) + 1) + "|",
    ]
    for method, records in {**hat["methods"], **hat["scratch"]}.items():
        cells = [
            f"{_cell(_value(records, n, 'spearman_unseen'))} / {(_value(records, n, 'mape_unseen') or 0):.1%}"
            for n in samples
        ]
        rows.append(f"| {LABELS.get(method, method)} | {' | '.join(cells)} |")
    return rows


def fewshot_summary() -> list[str]:
    found = _newest()
    if found is None:
        return NO_RESULT
    path, data = found
    lines = [_header(data, path), "", *_goal_lines(data), ""]
    if 20 in data["settings"]["samples"]:
        lines += [*summary_table(data, 20), ""]
    if 10 in data["settings"]["samples"]:
        lines += [*_published_at_10(data), ""]
    lines += [
        "Published figures are typed from the papers with their own protocols (NASFLAT: its encodings-based "
        "sampler; HELP's README: meta-test archs only); every hwnas figure is a rerun here. Per target, every "
        "sample size and the unseen-arch figures: [docs/fewshot.md](docs/fewshot.md).",
        "",
    ]
    return lines


def fewshot() -> list[str]:
    found = _newest()
    if found is None:
        return NO_RESULT
    path, data = found
    lines = [_header(data, path), ""]
    for n in data["settings"]["samples"]:
        lines += [*summary_table(data, n), ""]
    reference = next(((relative(p), d) for p, d in newest_first("fewshot_ceiling") if not d.get("quick")), None)
    lines += ["Per target at the largest sample size, the default method (`stack`): Spearman over all archs / over "
              "the archs not sampled (mean ± std over seeds), MAPE on the archs not sampled."]  # fmt: skip
    if reference is not None:
        lines[-1] += (" *Full-data reference*: the best Spearman of four models fitted on half of the target's archs "
                      "and scored on the other half (ridge on the sources, ridge on the option counts, `op-sum`, one "
                      "ridge on everything with pairwise products; `fewshot.py --kind ceiling`, "
                      f"`{reference[0]}`): how predictable the table is at all, not a bound.")  # fmt: skip
    n = max(data["settings"]["samples"])
    extra = " full-data reference |" if reference else ""
    lines += [
        "",
        f"| task | target | all | unseen | MAPE unseen |{extra}",
        "|---|---|---|---|---|" + "---|" * bool(extra),
    ]
    for task, entry in data["tasks"].items():
        for r in entry["methods"]["stack"]:
            if r["samples"] == n and r["target"] != "mean":
                fits = {} if reference is None else reference[1]["tasks"].get(task, {}).get(r["target"], {})
                cell = f" {max(fits.values()):.3f} |" if fits else (" — |" if reference else "")
                lines.append(f"| {task} | {r['target']} | {r['spearman_all']:.3f} ± {r['spearman_all_std']:.3f} | "
                             f"{r['spearman_unseen']:.3f} ± {r['spearman_unseen_std']:.3f} | "
                             f"{r['mape_unseen']:.1%} |{cell}")  # fmt: skip
    lines += ["", *_hat_lines(data), ""]
    return lines


def fewshot_samplers() -> list[str]:
    """docs: the default method with every sampler (``fewshot.py --kind samplers``)."""
    found = next(((relative(p), d) for p, d in newest_first("fewshot_samplers") if not d.get("quick")), None)
    if found is None:
        return ["(No sampler comparison yet: run `python benchmarks/fewshot.py --kind samplers`.)", ""]
    path, data = found
    tasks = list(data["tasks"])
    samplers = list(next(iter(data["tasks"].values())))
    lines = [
        f"Samplers (`{path}`: the default method, {len(data['settings']['seeds'])} seeds; Spearman over all archs, "
        "mean over the targets and seeds; the best per task in bold).",
        "",
    ]
    for n in data["settings"]["samples"]:
        lines += [f"| sampler (@{n} samples) | {' | '.join(tasks)} | FBNet mean |", "|---" * (len(tasks) + 2) + "|"]
        best = {t: max(_value(data["tasks"][t][s], n) or -1 for s in samplers) for t in tasks}
        for sampler in samplers:
            values = [_value(data["tasks"][t][sampler], n) for t in tasks]
            fbnet = [v for t, v in zip(tasks, values, strict=True) if t.startswith("F") and v is not None]
            mean = sum(fbnet) / len(fbnet) if len(fbnet) == 6 else None
            cells = [_cell(v, best[t]) for t, v in zip(tasks, values, strict=True)]
            lines.append(f"| `{sampler}` | {' | '.join(cells)} | {_cell(mean)} |")
        lines.append("")
    return lines
