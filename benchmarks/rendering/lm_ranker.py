"""LM-Searcher's ranker (``benchmarks/lm_ranker.py``): pick quality on held-out ranking samples of a random pick, the
untuned embedded model and its LoRA-tuned version, per test group, with what the adapter was trained on."""

from __future__ import annotations

from typing import Any

from rendering.common import newest, relative

NO_RESULT = ["(No ranker result yet: run `python benchmarks/lm_ranker.py --work DIR`.)", ""]


def _num(value: float | None, digits: int) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _rank(row: dict[str, Any], model: str) -> str:
    se = row.get(f"{model}_mean_rank_se")
    return _num(row[f"{model}_mean_rank"], 2) + ("" if se is None else f" ± {se:.2f}")


def _verdict(data: dict[str, Any]) -> str:
    unseen = [r for r in data["rows"] if r["split"] == "unseen"]
    names = ", ".join(r["group"] for r in unseen)
    over_untuned = [r["group"] for r in unseen if r["tuned_mean_rank"] < r["untuned_mean_rank"]]
    over_random = [r["group"] for r in unseen if r["tuned_mean_rank"] < r["random_mean_rank"]]
    close = [r["group"] for r in unseen
             if r["tuned_mean_rank_se"] is not None
             and abs(r["tuned_mean_rank"] - r["random_mean_rank"]) <= r["tuned_mean_rank_se"]]  # fmt: skip
    facts = (
        f"On the unseen groups ({names}) the tuned ranker's mean rank is better than the untuned model's on "
        f"{len(over_untuned)} of {len(unseen)} and better than a random pick's on {len(over_random)} of {len(unseen)}; "
        f"it is within one standard error of a random pick on {len(close)} of {len(unseen)}."
    )
    if data["tuned_helps_on_unseen"] and not close:
        return facts + " The tuned ranker helps."
    return facts + " It does **not** pick reliably better than chance, so no adapter is shipped as a default."


def lm_ranker() -> list[str]:
    found = newest("lm_ranker")
    if found is None:
        return NO_RESULT
    path, data = found
    s, adapter = data["settings"], data["adapter"]
    machine = data["machine"]
    train = ", ".join(f"`{g}` ({spec['samples']})" for g, spec in data["groups"].items() if spec["split"] == "train")
    lines = [
        f"**Ranker pick quality** (`{relative(path)}`, {machine.get('cpu_model')}, {s['threads']} thread(s); "
        f"`{data['command']}`). Trained on {train}: {adapter['trained_samples']} sample passes, {adapter['steps']} "
        f"steps, LoRA rank {s['rank']} on the top {s['layers']} blocks, lr {s['lr']}, histories of {s['history']} "
        f"trials, pools of {s['pool']}; fine-tuning took {adapter['train_seconds']:,.0f} s. Top-1: the pick "
        "is the pool's best; mean rank (± standard error over samples): 1 best, 10 worst; a random pick's figures are "
        "exact expectations.",
        "",
        "| held-out group | split | samples | top-1 random | top-1 untuned | top-1 tuned "
        "| mean rank random | untuned | tuned |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in data["rows"]:
        lines.append(
            f"| {r['group']} | {r['split']} | {r['samples']} | {_num(r['random_top1'], 3)} "
            f"| {_num(r['untuned_top1'], 3)} | {_num(r['tuned_top1'], 3)} | {_num(r['random_mean_rank'], 2)} "
            f"| {_rank(r, 'untuned')} | {_rank(r, 'tuned')} |"
        )
    lines += ["", _verdict(data), ""]
    return lines
