"""Hybrid search (LLM-PP's): rank candidates with the LLM-Distill-PP predictor for the first half of the iterations
and with the supernet's validation loss afterwards, against supernet-only search at the same iterations and
population, on the tiny CPU supernet (Multi30k En->De). Per seed: the search wall-clock, the final best validation
loss, and the sacreBLEU (beam 4, a fixed test2016 subset, inherited supernet weights) of the arch each search found.

One-off costs are measured and reported apart, never added to a search's wall-clock: training the supernet, scoring
the demonstrations, and labelling archs with the embedded LLM (a distilled model is made once and reused by every
search). On this CPU budget the 10 demonstrations are scored with the supernet's inherited weights (valid BLEU),
not trained from scratch as in LLM-PP: 10 from-scratch trainings do not fit.

Every step is cached in ``--work`` (a re-run skips finished steps; delete a step's files to redo it):

    python benchmarks/hybrid_search.py                           # the full run (~25 min on 1 shared core)
    python benchmarks/hybrid_search.py --checkpoint C.pt         # reuse a trained tiny supernet
    python benchmarks/hybrid_search.py --smoke --work /tmp/hs    # plumbing only: tiny budgets, meaningless figures

Needs HWNAS_DATA_DIR (Multi30k) and the embedded LLM (``hwnas llm fetch``). Writes
benchmarks/results/hybrid_search-<date>.json.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine_info, write_result
from hybrid_search_steps import (
    SMOKE,
    Settings,
    bleu_of,
    distill,
    run_search,
    score_demonstrations,
    train_supernet,
    versions,
)

GOAL_RATIO = 0.55  # hybrid search wall-clock / supernet-only search wall-clock, at most
GOAL_BLEU_DROP = 0.3  # hybrid's found arch may score at most this much BLEU below supernet-only's
MODES = ("supernet", "hybrid")


def schedule(iterations: int) -> str:
    """LLM-Distill-PP for the first half of the iterations, the supernet for the rest."""
    if iterations < 2:
        raise ValueError(f"a hybrid search needs at least 2 iterations, got {iterations}")
    half = iterations // 2
    return f"llm-distill:0-{half - 1},supernet:{half}-"


def mode_order(index: int) -> tuple[str, str]:
    """The two modes alternate which runs first from one seed to the next, so a drift in the machine's load (it
    is shared) weighs on both alike."""
    return MODES if index % 2 == 0 else (MODES[1], MODES[0])


NOTES = (
    "search_s is the search loop's wall-clock (timings.json total_s: asking, evaluating, ranking); process_s "
    "adds the process start, loading the supernet, the validation batches and the distilled model.",
    "One-off costs (supernet training, demonstration scoring, LLM labelling and fitting) are reported under "
    "one_off and are not counted in any search's wall-clock: a distilled model serves every later search.",
    "Demonstrations are supernet-inherited valid BLEU of 10 random tiny archs, not from-scratch training as "
    "in LLM-PP: training 10 archs from scratch does not fit this CPU budget.",
    "drivers: search time follows the distinct archs the supernet evaluates (each once per phase; an arch "
    "asked again is a journal hit), and evolution re-asks more archs as it converges, so supernet-only's "
    "later iterations are cheaper than its first ones, while the hybrid's supernet phase starts from a fresh "
    "population. The 55% goal assumes a constant cost per iteration (HAT's loop re-evaluates every candidate).",
    "The LLM's labels decide what the first half of a hybrid search ranks by; the embedded SmolLM2-135M "
    "(the default; one_off.llm_labelling.result.llm.model says which was used) cannot really predict BLEU. "
    "Set HWNAS_LLM_BASE_URL / HWNAS_LLM_MODEL to distil from an endpoint instead.",
)


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)


def summarize(runs: dict[int, dict[str, dict[str, Any]]]) -> dict[str, Any]:
    """Per seed and mean: search wall-clock (loop and whole process), ratio hybrid / supernet-only, best validation
    loss, BLEU and its difference; then the two goals, computed from those figures."""
    per_seed = {}
    for seed, by_mode in sorted(runs.items()):
        sup, hyb = by_mode["supernet"], by_mode["hybrid"]
        per_seed[seed] = {
            "ratio_search": hyb["search_s"] / sup["search_s"],
            "ratio_process": hyb["process_s"] / sup["process_s"],
            "bleu_diff": hyb["bleu"] - sup["bleu"],
            "valid_loss_diff": hyb["best_valid_loss"] - sup["best_valid_loss"],
        }
    mean = {
        mode: {
            key: _mean([runs[s][mode][key] for s in runs])
            for key in ("search_s", "process_s", "best_valid_loss", "bleu")
        }
        for mode in MODES
    }
    ratio = mean["hybrid"]["search_s"] / mean["supernet"]["search_s"]
    bleu_diff = mean["hybrid"]["bleu"] - mean["supernet"]["bleu"]
    goals = {
        "ratio_search_mean": ratio,
        "ratio_process_mean": mean["hybrid"]["process_s"] / mean["supernet"]["process_s"],
        "ratio_goal": GOAL_RATIO,
        "ratio_met": ratio <= GOAL_RATIO,
        "bleu_diff_mean": bleu_diff,
        "bleu_goal": f"hybrid BLEU >= supernet-only BLEU - {GOAL_BLEU_DROP}",
        "bleu_met": bleu_diff >= -GOAL_BLEU_DROP,
        "bleu_met_per_seed": {s: v["bleu_diff"] >= -GOAL_BLEU_DROP for s, v in per_seed.items()},
    }
    goals["met"] = goals["ratio_met"] and goals["bleu_met"]
    return {"per_seed": per_seed, "mean": mean, "goals": goals, "drivers": drivers(runs)}


def drivers(runs: dict[int, dict[str, dict[str, Any]]]) -> dict[str, Any]:
    """What the wall-clock ratio follows. Search time goes with the number of distinct archs the supernet
    evaluates (each arch once per phase; repeats are journal hits), and an evolutionary search repeats more archs
    as it converges, so supernet-only's later iterations cost less than its first ones. ``first_half_share`` is
    the part of supernet-only's loop time spent in the iterations the hybrid hands to the predictor: the saving a
    hybrid could reach if its supernet phase cost what supernet-only's second half costs."""
    per_seed = {}
    for seed, by_mode in sorted(runs.items()):
        sup, hyb = by_mode["supernet"], by_mode["hybrid"]
        iterations = sup["iterations_s"]
        half = len(iterations) // 2
        per_seed[seed] = {
            "supernet_evaluations": {
                "supernet": sup["counts"]["evaluations"],
                "hybrid": hyb["phase_counts"][-1]["evaluations"],
            },
            "ratio_supernet_evaluations": hyb["phase_counts"][-1]["evaluations"] / sup["counts"]["evaluations"],
            "supernet_only_first_half_share": sum(iterations[:half]) / sum(iterations),
        }
    keys = ("ratio_supernet_evaluations", "supernet_only_first_half_share")
    return {"per_seed": per_seed, "mean": {k: _mean([v[k] for v in per_seed.values()]) for k in keys}}


def format_table(runs: dict[int, dict[str, dict[str, Any]]], summary: dict[str, Any]) -> str:
    """Markdown: one row per seed and mode, then the means and the two goals."""
    lines = [
        "| seed | search | wall-clock (s) | process (s) | best valid loss | BLEU | hybrid / supernet-only |",
        "|---|---|---|---|---|---|---|",
    ]
    for seed, by_mode in sorted(runs.items()):
        for mode in MODES:
            run = by_mode[mode]
            ratio = f"{summary['per_seed'][seed]['ratio_search']:.3f}" if mode == "hybrid" else ""
            lines.append(
                f"| {seed} | {mode} | {run['search_s']:.1f} | {run['process_s']:.1f} | "
                f"{run['best_valid_loss']:.4f} | {run['bleu']:.2f} | {ratio} |"
            )
    for mode in MODES:
        mean = summary["mean"][mode]
        ratio = f"{summary['goals']['ratio_search_mean']:.3f}" if mode == "hybrid" else ""
        lines.append(
            f"| mean | {mode} | {mean['search_s']:.1f} | {mean['process_s']:.1f} | {mean['best_valid_loss']:.4f} | "
            f"{mean['bleu']:.2f} | {ratio} |"
        )
    goals = summary["goals"]
    lines += [
        "",
        f"Goal: wall-clock ratio <= {GOAL_RATIO}: {goals['ratio_search_mean']:.3f} -> "
        f"{'met' if goals['ratio_met'] else 'not met'}; BLEU within {GOAL_BLEU_DROP} of supernet-only: "
        f"{goals['bleu_diff_mean']:+.2f} -> {'met' if goals['bleu_met'] else 'not met'}.",
    ]
    return "\n".join(lines)


def _searches(settings: Settings, checkpoint: Path, model: Path) -> dict[int, dict[str, dict[str, Any]]]:
    runs: dict[int, dict[str, dict[str, Any]]] = {}
    for index, seed in enumerate(settings.seeds):
        runs[seed] = {}
        for mode in mode_order(index):
            fitness = (
                ["--fitness", "supernet"]
                if mode == "supernet"
                else ["--fitness-schedule", schedule(settings.iterations)]
            )
            run = run_search(settings, mode, seed, fitness, checkpoint=checkpoint, model=model)
            run.update(bleu_of(settings, checkpoint, run["best_arch"]))
            runs[seed][mode] = run
            print(
                f"seed {seed} {mode}: search {run['search_s']:.1f} s, loss {run['best_valid_loss']:.4f}, "
                f"BLEU {run['bleu']:.2f}",
                flush=True,
            )
    return runs


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, default=Path("runs/bench-hybrid-search"), help="cached steps")
    parser.add_argument("--checkpoint", type=Path, default=None, help="a trained tiny supernet (skips training)")
    parser.add_argument("--train-steps", type=int, default=None, help="supernet optimizer steps")
    parser.add_argument("--n", type=int, default=None, help="archs labelled by the LLM")
    parser.add_argument("--iterations", type=int, default=None)
    parser.add_argument("--population", type=int, default=None)
    parser.add_argument("--seeds", type=int, nargs="+", default=None)
    parser.add_argument("--constraint", action="append", default=None, help="METRIC<=VALUE for both modes")
    parser.add_argument("--smoke", action="store_true", help="tiny budgets to check the plumbing")
    parser.add_argument("--out-dir", type=Path, default=None)
    return parser


def main() -> None:
    args = _parser().parse_args()
    settings = Settings.from_args(args, SMOKE if args.smoke else {})
    torch.set_num_threads(settings.threads)  # demonstration and BLEU scoring here; searches run in their own process
    load_start = os.getloadavg()
    checkpoint, training = train_supernet(settings, args.checkpoint)
    demos, demo_cost = score_demonstrations(settings, checkpoint)
    model, labelling = distill(settings, demos)
    runs = _searches(settings, checkpoint, model)
    summary = summarize(runs)
    data = {
        "benchmark": "hybrid_search",
        "machine": machine_info(),
        "versions": versions(),
        "load_average": {  # the machine is shared: 1/5/15-min load of this invocation, 1-min at each search's start
            "invocation_start": load_start,
            "invocation_end": os.getloadavg(),
            "at_search_start": {
                f"{mode}-s{seed}": run["load_1min_at_start"] for seed, r in runs.items() for mode, run in r.items()
            },
        },
        "settings": settings.describe() | {"schedule": schedule(settings.iterations)},
        "notes": list(NOTES),
        "one_off": {"supernet_training": training, "demonstrations": demo_cost, "llm_labelling": labelling},
        "runs": {str(seed): by_mode for seed, by_mode in runs.items()},
        "summary": summary,
        "table": format_table(runs, summary),
    }
    name = "hybrid_search_constrained" if settings.constraints else "hybrid_search"
    path = write_result(name, data, args.out_dir)
    goals = summary["goals"]
    print(data["table"])
    print(
        f"ratio {goals['ratio_search_mean']:.3f} (goal <= {GOAL_RATIO}: {goals['ratio_met']}), BLEU diff "
        f"{goals['bleu_diff_mean']:+.2f} (goal >= -{GOAL_BLEU_DROP}: {goals['bleu_met']})\nwritten: {path}"
    )


if __name__ == "__main__":
    main()
