"""Pick quality of a ranker on held-out ranking samples (:mod:`hwnas.llm.lm_data`): for each sample the runner scores
the pool's codes as the searcher does (log-likelihood of each code as the answer to the same prompt) and the
best-scored candidate is its pick. Reported: top-1 accuracy (the pick is the pool's best) and the mean rank of the
pick (1 = best, K = worst) with its standard error, overall and per source, beside the exact expectation of a
uniformly random pick (a pool's rank-1 share and its mean rank, so ties are accounted for).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from hwnas.llm.base import LLMError, Message, Request, Sampling
from hwnas.llm.runner import Runner


def pick_outcomes(
    samples: Sequence[dict[str, Any]], runner: Runner, *, progress: Callable[[int, int], None] | None = None
) -> list[dict[str, Any]]:
    """One record per sample: ``pick`` (index or None when the LLM failed), ``rank`` of the pick, ``error``."""
    out: list[dict[str, Any]] = []
    for number, sample in enumerate(samples, 1):
        meta = sample["meta"]
        messages = tuple(Message(m["role"], m["content"]) for m in sample["messages"][:-1])
        pool = list(meta["pool"])
        scores = runner.score_choices(Request(messages, Sampling(max_tokens=len(pool[0]) + 16)), pool)
        if isinstance(scores, LLMError):
            out.append({"source": meta["source"], "pick": None, "rank": None, "error": str(scores)})
        else:
            pick = max(range(len(pool)), key=lambda i: (scores[i], -i))
            out.append({"source": meta["source"], "pick": pick, "rank": int(meta["pool_ranks"][pick]), "error": None})
        if progress is not None:
            progress(number, len(samples))
    return out


def _stats(samples: Sequence[dict[str, Any]], outcomes: Sequence[dict[str, Any]]) -> dict[str, Any]:
    ranks = [o["rank"] for o in outcomes if o["rank"] is not None]
    pools = [np.asarray(s["meta"]["pool_ranks"]) for s in samples]
    return {
        "samples": len(samples),
        "failed": sum(o["rank"] is None for o in outcomes),
        "pool": float(np.mean([len(p) for p in pools])),
        "top1": float(np.mean([r == 1 for r in ranks])) if ranks else None,
        "mean_rank": float(np.mean(ranks)) if ranks else None,
        "mean_rank_se": float(np.std(ranks, ddof=1) / np.sqrt(len(ranks))) if len(ranks) > 1 else None,
        "random_top1": float(np.mean([np.mean(p == 1) for p in pools])),
        "random_mean_rank": float(np.mean([np.mean(p) for p in pools])),
    }


def summarise(samples: Sequence[dict[str, Any]], outcomes: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Overall and per-source statistics (see the module doc)."""
    groups: dict[str, list[int]] = defaultdict(list)
    for i, sample in enumerate(samples):
        groups[sample["meta"]["source"]].append(i)
    per_source = {
        name: _stats([samples[i] for i in rows], [outcomes[i] for i in rows]) for name, rows in sorted(groups.items())
    }
    return {"overall": _stats(samples, outcomes), "sources": per_source}
