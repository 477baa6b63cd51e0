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

from hwnas.contracts.predictor import DeviceId
from hwnas.core.errors import ConfigError
from hwnas.fewshot.model import FewShotOptions, FewShotPredictor
from hwnas.fewshot.samplers import DEFAULT_SAMPLER, check_count, get_sampler
from hwnas.fewshot.tables import SpaceTable
from hwnas.predictors.metrics import spearman
from hwnas.spaces import get_space


def run_transfer(
    table: SpaceTable,
    source: Sequence[str],
    target: Sequence[str],
    *,
    samples: Sequence[int] = (5, 10, 20),
    seeds: Sequence[int] = (0, 1, 2),
    options: FewShotOptions | None = None,
    sampler: str = DEFAULT_SAMPLER,
) -> list[dict[str, Any]]:
    """One record per (target, samples), plus one per samples averaged over the targets (``target: "mean"``).
    The model is pretrained once per seed (its GNN depends on it) and adapted per (target, samples)."""
    options = options or FewShotOptions()
    draw = get_sampler(sampler)
    if not source or not target or set(source) & set(target):
        raise ConfigError("give one or more source and target devices, none in both lists")
    if not seeds or not samples:
        raise ConfigError("give one or more sample sizes and seeds")
    table.columns([*source, *target])  # every name checked before any work
    for n in samples:
        check_count(n, len(table.archs), f"the {table.space} table's archs")
    space = get_space(table.space)
    every: dict[tuple[str, int], list[float]] = {}
    unseen: dict[tuple[str, int], list[float]] = {}
    cpu: dict[tuple[str, int], float] = {}
    for seed in seeds:
        started = time.process_time()
        model = FewShotPredictor.pretrain(space, table.archs, table.columns(source), source,
                                          options.model_copy(update={"seed": seed}))  # fmt: skip
        features = model.static_features(table.archs)
        share = (time.process_time() - started) / (len(samples) * len(target))  # pretraining, split evenly
        for n in samples:
            for device in target:
                started = time.process_time()
                truth = table.device(device).latency
                rows = draw(features, n, seed)
                adapted = model.adapt(DeviceId("help", device), [table.archs[i] for i in rows], truth[rows])
                prediction = adapted.predict_features(features)
                rest = np.ones(len(truth), dtype=bool)
                rest[rows] = False
                every.setdefault((device, n), []).append(spearman(truth, prediction))
                unseen.setdefault((device, n), []).append(spearman(truth[rest], prediction[rest]))
                cpu[device, n] = cpu.get((device, n), 0.0) + share + time.process_time() - started
    records: list[dict[str, Any]] = []
    for n in samples:
        per_target = [_record(d, n, every[d, n], unseen[d, n], cpu[d, n]) for d in target]
        records += [*per_target, _mean(per_target, n)]
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
