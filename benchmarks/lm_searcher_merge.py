"""``benchmarks/lm_searcher.py --merge``: one result from parts run with the same settings (other problems, seeds or
methods; e.g. the baselines in one session and each LLM variant's seeds in others). Runs are joined per (problem,
method, seed), a later part's run replacing an earlier one's (listed under ``replaced``); references, regrets and
goals are recomputed over the union; each part's command, machine and wall-clock are kept under ``merged_from``."""

from __future__ import annotations

import json
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from common import check_same_settings, write_result
from lm_searcher_summary import TUNED, UNTUNED, goals, summarise_problem

SAME = ("benchmark", "quick")
SETTINGS_SAME = (
    "trials",
    "budgets",
    "population",
    "history_cap",
    "pool_size",
    "lm_options",
    "llm_backend",
    "llm_timeout_s",
    "budget_fraction",
    "reference",
    "endpoint",
)


def _adapter_id(part: dict[str, Any]) -> str | None:
    adapter = part["settings"].get("adapter")
    return adapter.get("id") if adapter else None


def llm_device(paths: Sequence[Path], parts: Sequence[dict[str, Any]]) -> str | None:
    """The device the embedded model ran on, in the parts that ran it (a result made before ``--device`` existed
    ran on the CPU); None when no part ran it. Parts that disagree do not merge: bf16 picks on CUDA may differ from
    fp32 ones on the CPU. The baselines ask no LLM, so a part of baselines alone may come from anywhere."""
    found: dict[str, Path] = {}
    for path, part in zip(paths, parts, strict=True):
        methods = part["methods"]
        if any(methods.get(m, {}).get("status") == "ok" for m in (UNTUNED, TUNED)):
            found.setdefault(part["settings"].get("llm_device", "cpu"), path)
    if len(found) > 1:
        (one, first), (other, second) = list(found.items())[:2]
        raise SystemExit(f"{second}: the embedded model ran on {other}, in {first} on {one}; they do not merge")
    return next(iter(found), None)


def _check(paths: Sequence[Path], parts: Sequence[dict[str, Any]]) -> None:
    first = parts[0]
    check_same_settings(paths, parts, SAME, SETTINGS_SAME)
    for path, part in zip(paths, parts, strict=True):
        ids = {_adapter_id(part), _adapter_id(first)} - {None}
        if len(ids) > 1:
            raise SystemExit(f"{path}: its adapter differs from {paths[0]}'s (weights digest)")


def _join(paths: Sequence[Path], parts: Sequence[dict[str, Any]]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    problems: dict[str, Any] = {}
    replaced: list[dict[str, Any]] = []
    for path, part in zip(paths, parts, strict=True):
        for name, problem in part["problems"].items():
            entry = problems.setdefault(name, {**{k: v for k, v in problem.items() if k != "methods"}, "methods": {}})
            if entry["problem"] != problem["problem"]:
                raise SystemExit(f"{path}: problem {name!r} is defined otherwise than in an earlier part")
            for method, runs in problem["methods"].items():
                seeds = entry["methods"].setdefault(method, {})
                for run in runs["runs"]:
                    if run["seed"] in seeds:
                        replaced.append({"problem": name, "method": method, "seed": run["seed"], "by": path.name})
                    seeds[run["seed"]] = run
    for problem in problems.values():
        problem["methods"] = {m: {"runs": [s[k] for k in sorted(s)]} for m, s in problem["methods"].items()}
    return problems, replaced


def _statuses(parts: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Each method as the parts ran it: a part that ran it wins over one that skipped it."""
    out: dict[str, Any] = {}
    for part in parts:
        for name, status in part["methods"].items():
            if name not in out or status["status"] == "ok":
                out[name] = status
    return out


def merge(paths: Sequence[Path], results_dir: Path | None) -> Path:
    parts = [json.loads(p.read_text(encoding="utf-8")) for p in paths]
    _check(paths, parts)
    first = parts[0]
    joined, replaced = _join(paths, parts)
    budgets, trials = first["settings"]["budgets"], first["settings"]["trials"]
    kind = first["settings"]["reference"]
    problems = {n: summarise_problem(p, budgets, trials, kind) for n, p in joined.items()}
    seeds = sorted({s for part in parts for s in part["settings"]["seeds"]})
    methods = list(dict.fromkeys(m for part in parts for m in part["settings"]["methods"]))
    adapter = next((part["settings"]["adapter"] for part in parts if part["settings"].get("adapter")), None)
    device = llm_device(paths, parts)
    result = {
        **{key: first[key] for key in SAME},
        "command": shlex.join(["python", "benchmarks/lm_searcher.py", "--merge", *(p.name for p in paths)]),
        "machine": first["machine"],
        "versions": first["versions"],
        "merged_from": [
            {
                "file": p.name,
                "command": part["command"],
                "machine": part["machine"],
                "wall_s": part["wall_s"],
                "problems": list(part["problems"]),
                "seeds": part["settings"]["seeds"],
                "methods": part["settings"]["methods"],
            }
            for p, part in zip(paths, parts, strict=True)
        ],
        "replaced": replaced,
        "settings": {
            **first["settings"],
            "problems": list(problems),
            "seeds": seeds,
            "methods": methods,
            "adapter": adapter,
            **({"llm_device": device} if device is not None else {}),
        },
        "methods": _statuses(parts),
        "goals": goals(problems, budgets),
        "notes": first["notes"],
        "problems": problems,
        "wall_s": sum(part["wall_s"] for part in parts),
    }
    path = write_result("lm_searcher", result, results_dir)
    from rendering.lm_searcher import plot

    plot(result, path.with_name(path.stem + "-regret.png"))
    print(f"merged {len(paths)} results ({len(problems)} problems) into {path}", file=sys.stderr)
    return path
