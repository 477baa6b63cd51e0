"""The few-shot protocol: for each target device, sample size and seed, sample the archs to measure, let the
method predict every arch from them, and score the prediction by tie-aware Spearman over all archs of the space
(NASFLAT's number: the sampled archs included) and over the archs not sampled (the honest one); then the mean and
standard deviation over seeds, per target and averaged over the targets.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from hwnas.core.errors import ConfigError
from hwnas.fewshot.methods import get_method
from hwnas.fewshot.samplers import get_sampler
from hwnas.fewshot.tables import SpaceTable
from hwnas.predictors.metrics import spearman


def run_transfer(
    table: SpaceTable,
    source: Sequence[str],
    target: Sequence[str],
    *,
    samples: Sequence[int] = (5, 10, 20),
    seeds: Sequence[int] = (0, 1, 2),
    method: str = "best-source",
    sampler: str = "random",
) -> list[dict[str, Any]]:
    """One record per (target, samples), plus one per samples averaged over the targets (``target: "mean"``)."""
    predict, draw = get_method(method), get_sampler(sampler)
    if not source or not target or set(source) & set(target):
        raise ConfigError("give one or more source and target devices, none in both lists")
    if not seeds or not samples:
        raise ConfigError("give one or more sample sizes and seeds")
    table.columns([*source, *target])  # every name checked before any work
    records: list[dict[str, Any]] = []
    for n in samples:
        per_target = []
        for device in target:
            truth = table.device(device).latency
            every, unseen, started = [], [], time.process_time()
            for seed in seeds:
                rows = draw(table, source, n, seed)
                prediction = predict(table, source, rows, truth[rows])
                rest = np.ones(len(truth), dtype=bool)
                rest[rows] = False
                every.append(spearman(truth, prediction))
                unseen.append(spearman(truth[rest], prediction[rest]))
            per_target.append(_record(device, n, every, unseen, time.process_time() - started))
        records += per_target
        records.append(_mean(per_target, n))
    return records


def _record(target: str, n: int, every: list[float], unseen: list[float], cpu_s: float) -> dict[str, Any]:
    return {
        "target": target,
        "samples": n,
        "spearman_all": float(np.mean(every)),
        "spearman_all_std": float(np.std(every)),
        "spearman_unseen": float(np.mean(unseen)),
        "spearman_unseen_std": float(np.std(unseen)),
        "seeds": len(every),
        "cpu_s": cpu_s,
    }


def _mean(records: list[dict[str, Any]], n: int) -> dict[str, Any]:
    keys = ("spearman_all", "spearman_all_std", "spearman_unseen", "spearman_unseen_std")
    return {"target": "mean", "samples": n, **{k: float(np.mean([r[k] for r in records])) for k in keys},
            "seeds": records[0]["seeds"], "cpu_s": float(sum(r["cpu_s"] for r in records))}  # fmt: skip
