"""Hybrid search (LLM-PP's schedule) against supernet-only search: the newest run in full, every committed run in
one row (whatever the shape its JSON was written in), and what these runs do and do not show, worded from the
figures they hold."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rendering.common import RESULTS, load, relative

WEAK_LABELS = 10  # at most this many distinct label values (of ~80) and phase 1 is called close to random steering
# Runs under --constraint were written as hybrid_search_constrained-* before the default problem was constrained.
PREFIXES = ("hybrid_search", "hybrid_search_constrained")


@dataclass(frozen=True)
class HybridRun:
    """One committed result with its runs under the current mode names and their summary, recomputed from the
    stored per-search figures by the benchmark's own (pure) code, so every file is worded alike."""

    path: Path
    data: dict[str, Any]
    runs: dict[int, dict[str, dict[str, Any]]]
    summary: dict[str, Any]

    @property
    def settings(self) -> dict[str, Any]:
        return self.data["settings"]

    @property
    def labelling(self) -> dict[str, Any]:
        return dict(self.data["one_off"]["llm_labelling"])


def hybrid_runs() -> list[HybridRun]:
    """Every committed full run of the benchmark (smoke runs skipped), newest first by the UTC stamp of its name."""
    from hybrid_search_summary import renamed, summarize

    paths = [p for prefix in PREFIXES for p in RESULTS.glob(f"{prefix}-2*.json")]
    found = []
    for path in sorted(paths, key=lambda p: p.stem.rsplit("-", 1)[1], reverse=True):
        data = load(path)
        if data["settings"].get("smoke"):
            continue
        runs = renamed({int(seed): by_mode for seed, by_mode in data["runs"].items()})
        found.append(HybridRun(path, data, runs, summarize(runs)))
    return found


def hybrid_search() -> list[str]:
    """The README's section: the newest run's table, its drivers, every run, and the limits."""
    found = hybrid_runs()
    if not found:
        return []
    newest = found[0]
    settings = newest.settings
    return [
        f"**Hybrid search** (`{settings.get('schedule', 'llm-distill, then supernet')}` vs supernet-only at the same "
        f"iterations, `{settings.get('space', 'tiny')}` supernet on {_where(newest.data, settings)}, LLM labels from "
        f"{newest.labelling['result']['llm']['model']}; `{relative(newest.path)}`):",
        "",
        _table(newest),
        "",
        *hybrid_drivers(newest.summary["drivers"]["mean"]),
        *hybrid_history(found),
    ]


def hybrid_history(found: list[HybridRun] | None = None) -> list[str]:
    """Every run in one row each, then what they show and do not show (also the block of docs/llm.md)."""
    found = hybrid_runs() if found is None else found
    return [*every_run(found), *limits(found)] if found else []


def _where(data: dict[str, Any], settings: dict[str, Any]) -> str:
    device = settings.get("device", "cpu")
    return "this CPU" if device == "cpu" else f"{device} ({data['machine'].get('gpu_name', 'GPU')})"


def _problem(run: HybridRun) -> str:
    from hybrid_search_summary import problem_text

    return problem_text(run.settings.get("constraints", []), run.settings.get("feasible"))


def _table(run: HybridRun) -> str:
    from hybrid_search_summary import format_table, reference_costs

    costs = reference_costs(run.data["one_off"])
    return format_table(run.runs, run.summary, one_off_s=costs, problem=_problem(run))


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


def _cells(values: list[float | None], digits: int) -> str:
    return " / ".join("-" if v is None else f"{v:.{digits}f}" for v in values)


def run_row(run: HybridRun) -> str:
    """One Markdown row: problem, labels, each hybrid's wall-clock and supernet-evaluation ratio, BLEU per mode,
    distinct archs found and the BLEU goal's verdict ("-": the mode did not exist when the run was made)."""
    from hybrid_search_summary import ALIGNED, LLM, MODES, STRONG

    summary, hybrids = run.summary, (LLM, STRONG, ALIGNED)
    versus, evaluations = summary["vs_supernet"], summary["drivers"]["mean"]
    ratios = [versus[m]["ratio_search_mean"] if m in versus else None for m in hybrids]
    supernet = [evaluations.get(f"ratio_supernet_evaluations_{m}") for m in hybrids]
    bleu = [summary["mean"][m]["bleu"] if m in summary["mean"] else None for m in MODES]
    labels, goal, found = run.labelling["labels"], summary["goals"], summary["found_archs"]
    elsewhere = found["seeds_elsewhere_than_supernet_only"][LLM]
    return (
        f"| `{run.path.name}` | {_problem(run)} | {run.labelling['result']['llm']['model'].removeprefix('embedded:')}"
        f", {labels['distinct']} distinct of {labels['labels']} | {_cells(ratios, 3)} | {_cells(supernet, 2)} | "
        f"{_cells(bleu, 2)} | {found['distinct']} of {found['searches']} ({_ids(found['distinct_arch_ids'])}); "
        f"LLM hybrid elsewhere in {elsewhere}/{len(run.runs)} seeds | "
        f"{goal['bleu_verdict']} ({goal['bleu_diff_mean']:+.2f}) |"
    )


def _ids(count: int) -> str:
    return f"{count} arch id{'' if count == 1 else 's'}"


def every_run(found: list[HybridRun]) -> list[str]:
    return [
        "Every committed run, newest first (hybrids: LLM-distilled / supernet-BLEU ref. / supernet-loss ref.; "
        "BLEU: supernet-only, then the same three; models found: distinct (valid loss, BLEU) outcomes, since two "
        'arch ids can build one network; the BLEU goal is "not informative" when every search ended at the same '
        "model):",
        "",
        "| run | problem | LLM labels | wall-clock ratio | supernet evaluations ratio | mean BLEU | models found "
        "| BLEU goal (diff) |",
        "|---|---|---|---|---|---|---|---|",
        *(run_row(run) for run in found),
        "",
    ]


def _span(values: list[float], digits: int, *, signed: bool = False) -> str:
    """``low-high`` (``low to high`` with signs), or one value when both print alike."""
    sign = "+" if signed else ""
    low, high = (f"{v:{sign}.{digits}f}" for v in (min(values), max(values)))
    return low if low == high else f"{low} to {high}" if signed else f"{low}-{high}"


def model_size(model: str) -> str | None:
    """The parameter count a model's name states (``SmolLM2-135M-Instruct`` -> ``135M``), if any."""
    match = re.search(r"(?<![\d.])(\d+(?:\.\d+)?[MB])(?![A-Za-z])", model)
    return match.group(1) if match else None


def limits(found: list[HybridRun]) -> list[str]:
    """What the committed runs do and do not show, each claim worded from their figures."""
    return [
        "What these runs do and do not show:",
        "",
        _labeller(found),
        _bleu_goal(found),
        _wall_clock(found),
        _what_would_change(found),
        "",
    ]


def _labeller(found: list[HybridRun]) -> str:
    """The LLM's labels and what a predictor fitted on them can do; "close to random" only while no run's labels
    took more than WEAK_LABELS distinct values."""
    models = sorted({run.labelling["result"]["llm"]["model"] for run in found})
    sizes = sorted({s for s in (model_size(m) for m in models) if s})
    size = f", a {' / '.join(sizes)}-parameter model" if sizes else ""
    distinct = [float(run.labelling["labels"]["distinct"]) for run in found]
    taus = [run.labelling["result"]["fit_on_demonstrations"]["kendall"] for run in found]
    finite = [t for t in taus if t is not None and math.isfinite(t)]
    undefined = len(taus) - len(finite)
    tau_text = _span(finite, 2, signed=True) if finite else "undefined"
    if undefined:
        tau_text += f" (undefined in {undefined} of {len(taus)} runs: constant labels or predictions)"
    weak = (
        "A predictor fitted on so few distinct values orders the population by little more than noise, so the LLM "
        "row's first phase is close to random steering: it measures the schedule with an uninformed phase 1, not "
        "LLM-PP's predictor, and says nothing of what a capable LLM would do."
    )
    varied = "Labels this varied can steer phase 1: compare the LLM row with the supernet-BLEU reference."
    return (
        f"- The labeller: {', '.join(models)}{size}. Its labels took {_span(distinct, 0)} distinct values per run, "
        f"and the model distilled from them ranked the demonstrations at Kendall tau {tau_text}. "
        f"{weak if max(distinct) <= WEAK_LABELS else varied}"
    )


def _constraints(run: HybridRun) -> str:
    return ", ".join(f"`{c}`" for c in run.settings.get("constraints", [])) or "unconstrained"


def _bleu_goal(found: list[HybridRun]) -> str:
    same = [run for run in found if not run.summary["goals"]["bleu_informative"]]
    differ = [run for run in found if run.summary["goals"]["bleu_informative"]]
    text = f"- The BLEU goal: {len(same)} of {len(found)} runs ended every search at one model"
    if same:
        text += f" ({', '.join(sorted({_constraints(r) for r in same}))}), so their BLEU is equal by construction"
    if differ:
        counts = [float(r.summary["found_archs"]["distinct"]) for r in differ]
        text += (
            f"; in {len(differ)} ({', '.join(sorted({_constraints(r) for r in differ}))}) the searches ended at "
            f"{_span(counts, 0)} distinct models, so there the hybrid can end worse than supernet-only and the check "
            "can fail"
        )
    return text + "."


def _ratios(found: list[HybridRun], mode: str, key: str = "ratio_search_mean") -> list[float]:
    return [r.summary["vs_supernet"][mode][key] for r in found if mode in r.summary["vs_supernet"]]


def _repeats(found: list[HybridRun]) -> list[str]:
    """The LLM hybrid's mean wall-clock and supernet-evaluation ratios over runs of one problem with the same labels
    and regressor: the same work measured again, so what moves between them is the machine."""
    from hybrid_search_summary import LLM

    groups: dict[tuple[str, str, str], list[HybridRun]] = {}
    for run in found:
        result = run.labelling["result"]
        key = (_problem(run), result["llm"]["model"], result["labels"].get("regressor_choice", "?"))
        groups.setdefault(key, []).append(run)
    evaluations = f"ratio_supernet_evaluations_{LLM}"
    return [
        f"{_span(_ratios(runs, LLM), 3)} over {len(runs)} runs with the same problem ({key[0]}), labels and regressor "
        f"(supernet evaluation ratio {_span([r.summary['drivers']['mean'][evaluations] for r in runs], 3)})"
        for key, runs in groups.items()
        if len(runs) > 1
    ]


def _wall_clock(found: list[HybridRun]) -> str:
    from hybrid_search_summary import LLM

    loads = [v for run in found for v in run.data["load_average"]["at_search_start"].values()]
    cores = sorted({run.data["machine"].get("cpu_count") for run in found} - {None})
    per_seed = [list(run.summary["vs_supernet"][LLM]["per_seed"].values()) for run in found]
    spreads = [max(s["ratio_search"] for s in seeds) - min(s["ratio_search"] for s in seeds) for seeds in per_seed]
    repeats = _repeats(found)
    again = f"; the LLM hybrid's mean ratio moved {'; '.join(repeats)}" if repeats else ""
    within = f"; its per-seed ratios within one run spread by up to {max(spreads):.3f}" if len(per_seed[0]) > 1 else ""
    return (
        f"- Wall-clock: searches ran one at a time, one torch thread each, on a {'/'.join(map(str, cores))}-core "
        f"machine whose 1-min load at their starts was {_span(loads, 1)} (above 1: other work shared the cores)"
        f"{again}{within}. Differences of that size are noise; the supernet evaluation ratios, which do not depend "
        "on the load, are the steadier figure."
    )


def _what_would_change(found: list[HybridRun]) -> str:
    from hybrid_search_summary import ALIGNED, GOAL_RATIO, STRONG

    strong, aligned = _ratios(found, STRONG), _ratios(found, ALIGNED)
    gpu = sum(run.settings.get("device", "cpu") != "cpu" for run in found)
    return (
        f"- What would change it: a strong LLM's labels would approach the supernet-BLEU reference (wall-clock ratio "
        f"{_span(strong, 3) if strong else '-'}); the supernet-loss reference, whose phase 1 ranks as phase 2 does, "
        f"is near the best this schedule reaches here ({_span(aligned, 3) if aligned else '-'}; goal "
        f"{GOAL_RATIO}). {gpu or 'No'} committed run{'' if gpu == 1 else 's'} used a GPU supernet: on a large space "
        "(`hat-wmt14ende`), where evolution rarely asks for an arch twice and every iteration costs about the same, "
        "the schedule's saving should approach one half, which this tiny CPU space cannot show."
    )
