"""hwnas.bench's surrogates against LightGBM on held-out rows of HW-GPT-Bench's table, and the benchmark's query
throughput (``benchmarks/bench_surrogates.py``): the full table per scale for docs/bench.md, a summary for the
README. Both read the newest full (not smoke) result."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rendering.common import ROOT, load, newest_first, percent, relative

TABLE_HEADER = [
    "| metric | device | held out | hwnas MAPE | LightGBM MAPE | lower | Kendall tau (hwnas / LightGBM) "
    "| 80% coverage (hwnas / LightGBM) | hwnas interval width | HW-GPT-Bench recipe MAPE |",
    "|---|---|---:|---:|---:|---|---|---|---:|---:|",
]


NO_RESULT = [
    '(No HW-GPT-Bench surrogate benchmark result yet: run `pip install -e ".[benchmarks]"` and then '
    "`python benchmarks/bench_surrogates.py`.)",
    "",
]


def _newest() -> tuple[Path, dict[str, Any]] | None:
    for path, data in newest_first("bench_surrogates"):
        if not data.get("smoke"):
            return path, data
    return None


def _mape(value: float) -> str:
    """A MAPE in percent, to 3 significant digits (the pairs span 0.03% to 20%)."""
    return f"{value:.3g}%"


def _spread(stats: dict[str, Any]) -> str:
    """Mean, and +- the standard deviation over seeds when there were several (in percentage points)."""
    if len(stats["per_seed"]) < 2:
        return _mape(stats["mean"])
    return f"{stats['mean']:.3g} ± {stats['std']:.2g}%"


def _seeds(data: dict[str, Any]) -> str:
    return ", ".join(str(s) for s in data["settings"]["seeds"])


def _row(pair: dict[str, Any]) -> str:
    hwnas, lgbm, recipe = pair["hwnas"], pair["lightgbm"], pair["hwgpt_recipe"]
    lower = "hwnas" if pair["verdict"]["mape_lower_than_lightgbm"] else "**LightGBM**"
    tau = f"{hwnas['kendall']['mean']:.3f} / {lgbm['kendall']['mean']:.3f}"
    coverage = f"{percent(hwnas['coverage']['mean'], 1)} / {percent(lgbm['quantile']['coverage']['mean'], 1)}"
    reference = (
        "-" if recipe is None else f"{_mape(recipe['mape']['mean'])} (hwnas {_mape(recipe['hwnas_mape']['mean'])})"
    )
    return (
        f"| {pair['metric']} | {pair['device'] or '-'} | {pair['test_rows']:,} | {_spread(hwnas['mape'])} "
        f"| {_spread(lgbm['mape'])} ({lgbm['best']}) | {lower} | {tau} | {coverage} "
        f"| {_mape(hwnas['width']['mean'] * 100)} | {reference} |"
    )


def _goals(data: dict[str, Any]) -> list[str]:
    """The counts against the goals and, by name, every pair that misses one."""
    s = data["summary"]
    low, high = s["coverage_goal"]
    lines = [
        f"- MAPE below LightGBM's: **{s['mape_lower_than_lightgbm']} of {s['pairs']}** (scale, metric, device) "
        "pairs (goal: all).",
        f"- 80% interval holding {low:.0%}-{high:.0%} of the held-out values: **{s['coverage_in_range']} of "
        f"{s['pairs']}**; hwnas's coverage ranges {percent(s['coverage_range'][0], 1)}-"
        f"{percent(s['coverage_range'][1], 1)} (LightGBM's quantile interval: "
        f"{percent(s['lightgbm_quantile_coverage_range'][0], 1)}-{percent(s['lightgbm_quantile_coverage_range'][1], 1)}"
        f", {s['lightgbm_quantile_coverage_in_range']} of {s['pairs']} in range).",
    ]
    wins = [
        f"{w['pair']} (hwnas {w['hwnas_mape']:.3f}% vs {w['lightgbm_mape']:.3f}%, {w['lightgbm_config']}; hwnas "
        f"lower on {w['seeds_lower']} of {len(data['settings']['seeds'])} seeds)"
        for w in s["lightgbm_wins"]
    ]
    lines.append("- LightGBM has the lower MAPE on: " + ("; ".join(wins) if wins else "none") + ".")
    if s["coverage_outside"]:
        outside = "; ".join(f"{c['pair']} ({percent(c['coverage'], 1)})" for c in s["coverage_outside"])
        lines.append(f"- Coverage outside {low:.0%}-{high:.0%}: {outside}.")
    if s["hwgpt_recipe_pairs"]:
        lines.append(
            f"- HW-GPT-Bench's own MLP recipe (perplexity, accuracy, memory): hwnas lower on "
            f"{s['mape_lower_than_hwgpt_recipe']} of {s['hwgpt_recipe_pairs']} pairs; its latency and energy "
            "surrogates (AutoGluon stacks) are not reproduced."
        )
    return lines


def _rate(value: float) -> str:
    return f"{value / 1e3:,.0f}k"


def _throughput(data: dict[str, Any]) -> list[str]:
    """Archs per second, one row per (scale, metric), with the load the timings ran under."""
    rows = [
        "| scale | query | Arch, mean | dict, mean | Arch, interval | dict, interval | encoding dicts alone "
        "| 1-min load |",
        "|---|---|---:|---:|---:|---:|---:|---|",
    ]
    for scale, speed in data["throughput"].items():
        for metric, device in dict.fromkeys((q["metric"], q["device"]) for q in speed["queries"]):
            cells = {
                (q["form"], q["mode"]): q for q in speed["queries"] if (q["metric"], q["device"]) == (metric, device)
            }
            order = [("Arch", "mean"), ("dict", "mean"), ("Arch", "interval"), ("dict", "interval")]
            loads = [v for q in cells.values() for v in q["load_1min"]]
            rows.append(
                f"| {scale} | {metric} / {device} | {' | '.join(_rate(cells[k]['archs_per_s']) for k in order)} "
                f"| {_rate(speed['encode_dicts']['archs_per_s'])} | {min(loads):.1f}-{max(loads):.1f} |"
            )
    return rows


def _throughput_range(data: dict[str, Any]) -> tuple[float, float, float, float, int]:
    """(slowest, fastest archs/s, lowest, highest load) over every timed query, and the archs per query."""
    queries = [q for speed in data["throughput"].values() for q in speed["queries"]]
    loads = [v for q in queries for v in q["load_1min"]]
    archs = min(speed["archs"] for speed in data["throughput"].values())
    return min(q["archs_per_s"] for q in queries), max(q["archs_per_s"] for q in queries), min(loads), max(loads), archs


def _goal_met(data: dict[str, Any]) -> str:
    """How many of the timed queries reached the throughput goal (median rate)."""
    queries = [q for speed in data["throughput"].values() for q in speed["queries"]]
    return f"{sum(q['meets_goal'] for q in queries)} of {len(queries)} timed queries at or above it"


def _machine(data: dict[str, Any]) -> str:
    machine = data["machine"]
    return f"{machine.get('cpu_model')}, {machine.get('cpu_count')} cores"


def bench_surrogates() -> list[str]:
    """docs/bench.md: the goals, every pair per scale, the throughput."""
    found = _newest()
    if found is None:
        return NO_RESULT
    path, data = found
    settings = data["settings"]
    lines = [
        f"**Surrogates on held-out archs** (`benchmarks/bench_surrogates.py`: {settings['test_fraction']:.0%} of each "
        f"(metric, device)'s measured rows held out, mean ± std over split seeds {_seeds(data)}; LightGBM on the same "
        "rows and features, the best of its configurations on the held-out rows; `" + relative(path) + "`):",
        "",
        *_goals(data),
        "",
    ]
    for scale in settings["scales"]:
        pairs = [p for p in data["pairs"] if p["scale"] == scale]
        lines += [f"*{scale}*", "", *TABLE_HEADER, *(_row(p) for p in pairs), ""]
    lines += [
        "Held out: archs scored. LightGBM's configuration is named beside its MAPE (`l2-default`: its defaults; "
        "`l2-500`: 500 trees, learning rate 0.05; `l1-log-500`: the same on log(value) with an L1 loss). Coverage: "
        "share of held-out values inside the central 80% interval (LightGBM: its quantile objective at 0.1 / 0.9); "
        "width: mean (high - low) / value. HW-GPT-Bench recipe: its MLP retrained on the same split "
        f"(seeds {', '.join(map(str, settings['seeds'][: settings['hwgpt_seeds']]))}), hwnas's MAPE on those seeds "
        "in brackets.",
        "",
    ]
    if data["throughput"]:
        archs = _throughput_range(data)[-1]
        lines += [
            f"**Query throughput** (archs/s, median of {settings['repeats']}, one batch of {archs:,} new archs, one "
            f"thread; {_machine(data)}; goal {data['goals']['throughput_archs_per_s']:,.0f}, {_goal_met(data)}):",
            "",
            *_throughput(data),
            "",
        ]
    return lines


def bench_surrogates_summary() -> list[str]:
    """README: the counts against the goals, the pairs LightGBM wins, the throughput, where the full table is."""
    found = _newest()
    if found is None:
        return NO_RESULT
    path, data = found
    lines = [
        "**HW-GPT-Bench surrogates** (`benchmarks/bench_surrogates.py`: hwnas.bench's surrogate vs LightGBM on the "
        f"same features, {data['settings']['test_fraction']:.0%} of each table's rows held out, split seeds "
        f"{_seeds(data)}; every pair in [docs/bench.md](docs/bench.md); `{relative(path)}`):",
        "",
        *_goals(data),
    ]
    if data["throughput"]:
        low, high, load_low, load_high, archs = _throughput_range(data)
        lines.append(
            f"- Queries: {low:,.0f}-{high:,.0f} archs/s, median of {data['settings']['repeats']} (batches of "
            f"{archs:,} new archs, latency and energy, one thread; goal "
            f"{data['goals']['throughput_archs_per_s']:,.0f}: {_goal_met(data)}) on {_machine(data)} with a 1-min "
            f"load of {load_low:.1f}-{load_high:.1f}."
        )
    return [*lines, ""]


SHIPPED = ROOT / "src" / "hwnas" / "bench" / "measured"


def bench_shipped_devices() -> list[str]:
    """The devices hwnas ships (src/hwnas/bench/measured/*.json), each with its raw measurement's provenance: the
    workload, the machine, when, the load while measuring and the latencies' range."""
    import csv
    import statistics

    metas = sorted(SHIPPED.glob("*.json"))
    if not metas:
        return ["(No device shipped yet: see `benchmarks/ship_bench_device.py`.)", ""]
    lines = [
        "| device | space | archs | workload | machine | measured (UTC) | 1-min load (median / max) "
        "| CPU contention (max) | latency, ms (min - max) | raw data |",
        "|---|---|---:|---|---|---|---|---:|---|---|",
    ]
    for meta_path in metas:
        meta = load(meta_path)
        raw = ROOT / meta["source"]
        sidecar = load(raw.with_suffix(".json"))
        settings, info = sidecar["settings"], sidecar["device_info"]
        with raw.open(encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        loads = [float(r["load_1m"]) for r in rows]
        contention = max(float(r["contention"]) for r in rows)
        latency = [float(r["latency_mean"]) for r in rows]
        sessions = sidecar["sessions"]
        when = f"{sessions[0]['started'][:16].replace('T', ' ')} - {sessions[-1].get('finished', '?')[:16][11:]}"
        workload = (
            f"batch {settings['batch']} x {settings['seq_len']} tokens, {settings['dtype']}, {settings['threads']} "
            f"thread, {settings['warmup']} warm-up + {settings['runs']} timed passes, {settings['estimator']}"
        )
        machine = f"{info['cpu_model']}, {info['cpu_count']} cores, torch {info['torch']}"
        lines.append(
            f"| `{meta['name']}` | {meta['scale']} | {meta['rows']} | {workload} | {machine} | {when} "
            f"| {statistics.median(loads):.2f} / {max(loads):.2f} | {contention:.1%} "
            f"| {min(latency):.0f} - {max(latency):.0f} | `{meta['source']}` |"
        )
    return [*lines, ""]
