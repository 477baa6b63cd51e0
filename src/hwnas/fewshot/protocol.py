"""The few-shot protocol: for each target device, sample size and seed, sample the archs to measure, adapt the
pretrained model to them, predict every arch of the target's table, and score the prediction by tie-aware
Spearman over all those archs (NASFLAT's number: the sampled archs included) and over the archs not sampled (the
honest one), with the MAPE of the latency in ms on the archs not sampled; then the mean and standard deviation
over seeds, per target and averaged over the targets.

Two kinds of device sets run through it: a HELP space (:func:`run_transfer` / :func:`compare_methods` on a
:class:`~hwnas.fewshot.tables.SpaceTable`, every device measured on the same archs) and the HAT space
(:func:`compare_hat`: HAT's CSVs, which hold HAT's 10 averaged features and no archs, as sources; a dataset with
archs, such as the project's own, as the target).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from hwnas.contracts.predictor import DeviceId
from hwnas.core.arch import Arch
from hwnas.core.errors import ConfigError
from hwnas.fewshot.features import ArchFeatures
from hwnas.fewshot.methods import get_method
from hwnas.fewshot.model import FewShotOptions, FewShotPredictor
from hwnas.fewshot.samplers import DEFAULT_SAMPLER, check_count, get_sampler
from hwnas.fewshot.tables import SpaceTable
from hwnas.predictors.metrics import mape, spearman
from hwnas.spaces import get_space

Target = tuple[Sequence[Arch], np.ndarray]  # a target device's archs and their latency (ms)


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
    return compare_methods(table, source, target, [options.method], samples=samples, seeds=seeds, options=options,
                           sampler=sampler)[options.method]  # fmt: skip


def _check(source: Sequence[str], target: Sequence[str], samples: Sequence[int], seeds: Sequence[int],
           methods: Sequence[str], sampler: str) -> None:  # fmt: skip
    get_sampler(sampler)
    for method in methods:
        get_method(method)
    if not source or not target or set(source) & set(target):
        raise ConfigError("give one or more source and target devices, none in both lists")
    if not seeds or not samples or not methods:
        raise ConfigError("give one or more sample sizes, seeds and methods")


def compare_methods(
    table: SpaceTable,
    source: Sequence[str],
    target: Sequence[str],
    methods: Sequence[str],
    *,
    samples: Sequence[int] = (5, 10, 20),
    seeds: Sequence[int] = (0, 1, 2),
    options: FewShotOptions | None = None,
    sampler: str = DEFAULT_SAMPLER,
    mapper: SeedMap | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """:func:`run_transfer`'s records for several methods at once, on the same pretrained models, samples and
    adapted GNNs. A method's CPU time is the shared pretraining and adaptation plus its own prediction."""
    options = options or FewShotOptions()
    _check(source, target, samples, seeds, methods, sampler)
    table.columns([*source, *target])  # every name checked before any work
    for n in samples:
        check_count(n, len(table.archs), f"the {table.space} table's archs")
    space = get_space(table.space)

    def pretrain(seed: int) -> FewShotPredictor:
        seeded = options.model_copy(update={"seed": seed})
        return FewShotPredictor.pretrain(space, table.archs, table.columns(source), source, seeded)

    targets = {d: (table.archs, table.device(d).latency) for d in target}
    return _evaluate(pretrain, targets, methods, samples, seeds, sampler, kind="help", mapper=mapper)


def compare_hat(
    sources: dict[str, tuple[np.ndarray, np.ndarray]],
    targets: Mapping[str, Target],
    methods: Sequence[str],
    *,
    space: str = "hat-wmt14ende",
    samples: Sequence[int] = (5, 10, 20),
    seeds: Sequence[int] = (0, 1, 2),
    options: FewShotOptions | None = None,
    sampler: str = DEFAULT_SAMPLER,
    mapper: SeedMap | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """The protocol on the HAT space: ``sources`` are {name: (HAT's 10 features [rows, 10], latency ms)},
    ``targets`` {name: (archs, latency ms)} (a target needs archs: that is what the user measures and searches)."""
    from hwnas.fewshot.features import SourceBank

    options = options or FewShotOptions()
    _check(list(sources), list(targets), samples, seeds, methods, sampler)
    for name, (archs, _) in targets.items():
        for n in samples:
            check_count(n, len(archs), f"target {name!r}'s archs")
    bank = SourceBank.from_tables(get_space(space), sources)

    def pretrain(seed: int) -> FewShotPredictor:
        return FewShotPredictor.from_bank(bank, options.model_copy(update={"seed": seed}))

    return _evaluate(pretrain, targets, methods, samples, seeds, sampler, kind="cpu", mapper=mapper)


Scores = dict[tuple[str, str, int], tuple[float, float, float]]  # (method, target, samples) -> one seed's scores
SeedMap = Callable[[Callable[[int], Any], Sequence[int]], list[Any]]
"""``map(fn, seeds) -> [fn(seed) ...]`` in order: the loop here by default, Ray tasks with ``--executor ray``
(:func:`hwnas.hardware.ray_cluster.task_map`)."""


def local_map(fn: Callable[[int], Any], seeds: Sequence[int]) -> list[Any]:
    return [fn(seed) for seed in seeds]


def _evaluate(
    pretrain: Callable[[int], FewShotPredictor],
    targets: Mapping[str, Target],
    methods: Sequence[str],
    samples: Sequence[int],
    seeds: Sequence[int],
    sampler: str,
    *,
    kind: str,
    mapper: SeedMap | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """The seed is the unit of work (``mapper`` may run the seeds anywhere): the model is pretrained once per seed
    and every (target, samples) adapts it, so a finer unit would pretrain it again per target. The seeds' scores
    are merged in seed order, so the records do not depend on where each seed ran."""

    def one_seed(seed: int) -> tuple[Scores, dict[tuple[str, str, int], float]]:
        return _one_seed(pretrain, targets, methods, samples, seed, sampler, kind)

    scores: dict[tuple[str, str, int], list[tuple[float, float, float]]] = {}
    cpu: dict[tuple[str, str, int], float] = {}
    for seed_scores, seed_cpu in (mapper or local_map)(one_seed, list(seeds)):
        for key, value in seed_scores.items():
            scores.setdefault(key, []).append(value)
            cpu[key] = cpu.get(key, 0.0) + seed_cpu[key]
    out: dict[str, list[dict[str, Any]]] = {}
    for method in methods:
        records: list[dict[str, Any]] = []
        for n in samples:
            per_target = [_record(d, n, scores[method, d, n], cpu[method, d, n]) for d in targets]
            records += [*per_target, _mean(per_target, n)]
        out[method] = records
    return out


def _one_seed(
    pretrain: Callable[[int], FewShotPredictor],
    targets: Mapping[str, Target],
    methods: Sequence[str],
    samples: Sequence[int],
    seed: int,
    sampler: str,
    kind: str,
) -> tuple[Scores, dict[tuple[str, str, int], float]]:
    """One seed: pretrain, then adapt to every (samples, target) and score every method; with the CPU seconds of
    each (the pretraining split evenly)."""
    draw = get_sampler(sampler)
    scores: Scores = {}
    cpu: dict[tuple[str, str, int], float] = {}
    started = time.process_time()
    model = pretrain(seed)
    cache: dict[int, ArchFeatures] = {}  # targets measured on the same archs share their features
    share = (time.process_time() - started) / (len(samples) * len(targets))  # pretraining, split evenly
    for n in samples:
        for device, (archs, truth) in targets.items():
            started = time.process_time()
            if id(archs) not in cache:
                cache[id(archs)] = model.static_features(archs)
            features = cache[id(archs)]
            rows = draw(features, n, seed)
            adapted = model.adapt(DeviceId(kind, device), [archs[i] for i in rows], truth[rows])
            complete = adapted.complete(features)
            shared = share + time.process_time() - started
            rest = np.ones(len(truth), dtype=bool)
            rest[rows] = False
            for method in methods:
                started = time.process_time()
                prediction = adapted.with_method(method).predict_features(complete)
                key = (method, device, n)
                scores[key] = (spearman(truth, prediction), spearman(truth[rest], prediction[rest]),
                               mape(truth[rest], prediction[rest]))  # fmt: skip
                cpu[key] = shared + time.process_time() - started
    return scores, cpu


KEYS = ("spearman_all", "spearman_unseen", "mape_unseen")


def _record(target: str, n: int, scores: list[tuple[float, float, float]], cpu_s: float) -> dict[str, Any]:
    values = np.array(scores)
    record: dict[str, Any] = {"target": target, "samples": n}
    for j, key in enumerate(KEYS):
        record[key], record[f"{key}_std"] = float(np.mean(values[:, j])), float(np.std(values[:, j]))
    return {**record, "seeds": len(scores), "cpu_s": cpu_s}


def _mean(records: list[dict[str, Any]], n: int) -> dict[str, Any]:
    keys = [k for key in KEYS for k in (key, f"{key}_std")]
    return {"target": "mean", "samples": n, **{k: float(np.mean([r[k] for r in records])) for k in keys},
            "seeds": records[0]["seeds"], "cpu_s": float(sum(r["cpu_s"] for r in records))}  # fmt: skip
