"""Scoring BLEU predictors on the LLM-PP seed archs: MAE and Kendall's tau-b against the true valid BLEU of the
20 test archs of each split, mean and std over split seeds, LLM-PP next to the four weight-sharing supernets whose
predictions the data files store.

A failed prediction is left out of MAE and tau and counted (``n_failed``); it is never replaced by a number.
Kendall's tau-b is undefined (NaN) when the predictions are all equal, which a weak model's answers often are: it is
reported as such, not as 0. Std is the sample std (ddof=1) over seeds; NaN with one seed.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from hwnas.llm.base import LLMRunner, Sampling
from hwnas.llm.llmpp import DEFAULT_SAMPLING, Demonstration, LLMPPPredictor, Prediction, PromptContext
from hwnas.llm.llmpp_config import EvaluateConfig, PredictorConfig
from hwnas.llm.prompts import PromptTemplate, load_template
from hwnas.llm.seedarchs import SUPERNET_PREDICTORS, SeedArch, get_task, load_seed_archs, task_examples


@dataclass(frozen=True)
class SplitScore:
    task: str
    seed: int
    mae: float
    kendall: float
    n: int
    n_failed: int


def score_split(task: str, seed: int, true: Sequence[float], predicted: Sequence[float | None]) -> SplitScore:
    """MAE and tau-b over the archs with a prediction; the others are counted as failed."""
    from scipy.stats import kendalltau

    pairs = [(t, p) for t, p in zip(true, predicted, strict=True) if p is not None and math.isfinite(p)]
    n_failed = len(true) - len(pairs)
    if not pairs:
        return SplitScore(task, seed, math.nan, math.nan, 0, n_failed)
    t, p = np.array(pairs, dtype=np.float64).T
    mae = float(np.mean(np.abs(t - p)))
    with warnings.catch_warnings():  # constant input: scipy warns and returns NaN, which is what we report
        warnings.simplefilter("ignore")
        tau = float(kendalltau(t, p, variant="b").statistic) if len(t) > 1 else math.nan
    return SplitScore(task, seed, mae, tau, len(t), n_failed)


def _mean_std(values: list[float]) -> tuple[float, float]:
    array = np.asarray(values, dtype=np.float64)
    mean = float(array.mean()) if array.size else math.nan
    std = float(array.std(ddof=1)) if array.size > 1 else math.nan
    return mean, std


def summarize(scores: Sequence[SplitScore]) -> dict[str, Any]:
    """Mean/std over seeds of one predictor on one task, with the per-seed scores and the failure count."""
    mae_mean, mae_std = _mean_std([s.mae for s in scores])
    tau_mean, tau_std = _mean_std([s.kendall for s in scores])
    return {
        "mae_mean": mae_mean,
        "mae_std": mae_std,
        "kendall_mean": tau_mean,
        "kendall_std": tau_std,
        "n_failed": sum(s.n_failed for s in scores),
        "per_seed": [asdict(s) for s in scores],
    }


def supernet_rows(tasks: Sequence[str], seeds: Sequence[int], *, limit: int | None = None) -> list[dict[str, Any]]:
    """The four supernet predictors, scored exactly like LLM-PP from the BLEU the data files store for them."""
    tests = {(t, s): load_seed_archs(s, t, "test")[:limit] for t in tasks for s in seeds}
    rows = []
    for key, label in SUPERNET_PREDICTORS.items():
        per_task = {}
        for task in tasks:
            scores = []
            for seed in seeds:
                archs = tests[(task, seed)]
                scores.append(score_split(task, seed, [a.valid_bleu for a in archs], [a.supernets[key] for a in archs]))
            per_task[task] = summarize(scores)
        rows.append({"predictor": label, "kind": "supernet", "tasks": per_task})
    return rows


def baseline_rows(tasks: Sequence[str], seeds: Sequence[int], *, limit: int | None = None) -> list[dict[str, Any]]:
    """A constant predictor, the mean valid BLEU of the split's 10 demonstrations: the MAE any useful predictor must
    beat (BLEU of the 30 archs spans only a few points, so a small MAE alone says little; tau is undefined)."""
    per_task = {}
    for task in tasks:
        scores = []
        for seed in seeds:
            mean = float(np.mean([a.valid_bleu for a in load_seed_archs(seed, task, "train")]))
            tests = load_seed_archs(seed, task, "test")[:limit]
            scores.append(score_split(task, seed, [a.valid_bleu for a in tests], [mean] * len(tests)))
        per_task[task] = summarize(scores)
    return [{"predictor": "Mean of the demonstrations", "kind": "baseline", "tasks": per_task}]


def build_predictor(
    runner: LLMRunner,
    config: PredictorConfig,
    *,
    task: str,
    demonstrations: Sequence[SeedArch],
    template: PromptTemplate | None = None,
    sampling: Sampling = DEFAULT_SAMPLING,
) -> tuple[LLMPPPredictor, str]:
    """An LLM-PP predictor for ``task`` with these demonstrations (valid BLEU), and the note on its examples
    (empty when the corpus supplied them)."""
    from hwnas.spaces import get_space

    spec = get_task(task)
    examples, note = task_examples(spec, config.examples, config.example_seed)
    context = PromptContext(
        template=template or load_template(config.template),
        space=get_space(spec.space),
        task=spec.variables(),
        examples=examples,
        metric=config.metric,
    )
    demos = [Demonstration(d.arch, d.valid_bleu) for d in demonstrations]
    predictor = LLMPPPredictor.from_config(
        config, runner=runner, context=context, demonstrations=demos, sampling=sampling
    )
    return predictor, note


SplitDone = Callable[[str, int, SplitScore], None]


def evaluate_llmpp(
    runner: LLMRunner,
    config: EvaluateConfig,
    *,
    sampling: Sampling = DEFAULT_SAMPLING,
    on_split: SplitDone | None = None,
) -> dict[str, Any]:
    """LLM-PP on every (task, seed) split of ``config``, then the supernet rows; the result is JSON-able.
    ``sampling`` is the base of every request (temperature, answer length; its seed is sample 0's)."""
    template = load_template(config.template)  # once: a bad template fails before any request is sent
    splits: list[dict[str, Any]] = []
    notes: dict[str, str] = {}
    scores_by_task: dict[str, list[SplitScore]] = {}
    describe: dict[str, Any] = {}
    for task in config.tasks:
        scores_by_task[task] = []
        for seed in config.seeds:
            demos = load_seed_archs(seed, task, "train")
            tests = load_seed_archs(seed, task, "test")[: config.limit]
            predictor, notes[task] = build_predictor(
                runner, config, task=task, demonstrations=demos, template=template, sampling=sampling
            )
            describe = predictor.describe()
            predictions = predictor.predict([a.arch for a in tests])
            score = score_split(task, seed, [a.valid_bleu for a in tests], [p.value for p in predictions])
            scores_by_task[task].append(score)
            splits.append(_split_record(task, seed, tests, predictions, score))
            if on_split is not None:
                on_split(task, seed, score)
    llm_row = {
        "predictor": f"LLM-PP ({runner.model})",
        "kind": "llm",
        "tasks": {task: summarize(scores) for task, scores in scores_by_task.items()},
    }
    return _result(config, llm_row, describe=describe, notes=notes, splits=splits)


def _result(
    config: EvaluateConfig,
    llm_row: dict[str, Any],
    *,
    describe: dict[str, Any],
    notes: dict[str, str],
    splits: list[dict[str, Any]],
) -> dict[str, Any]:
    """The settings, the LLM's description, LLM-PP's row above the supernets' and the baseline's (scored on the same
    test archs, so the table compares like with like), and every split's answers."""
    return {
        "tasks": list(config.tasks),
        "seeds": list(config.seeds),
        "limit": config.limit,
        "llm": {
            **describe,
            "examples": config.examples,
            "example_seed": config.example_seed,
            "example_notes": {t: n for t, n in notes.items() if n},
        },
        "rows": [
            llm_row,
            *supernet_rows(config.tasks, config.seeds, limit=config.limit),
            *baseline_rows(config.tasks, config.seeds, limit=config.limit),
        ],
        "splits": splits,
    }


def _split_record(
    task: str, seed: int, tests: Sequence[SeedArch], predictions: Sequence[Prediction], score: SplitScore
) -> dict[str, Any]:
    return {
        "task": task,
        "seed": seed,
        "score": asdict(score),
        "predictions": [
            {**p.to_dict(), "true_valid_bleu": a.valid_bleu} for a, p in zip(tests, predictions, strict=True)
        ],
    }


# presentation -----------------------------------------------------------------------------------------------
TASK_TITLES = {"wmt14ende": "WMT'14 En-De", "wmt14enfr": "WMT'14 En-Fr", "wmt19ende": "WMT'19 En-De"}


def _cell(summary: Mapping[str, Any]) -> str:
    def fmt(mean: float, std: float) -> str:
        if mean is None or not math.isfinite(mean):
            return "n/a"
        return f"{mean:.2f}" if std is None or not math.isfinite(std) else f"{mean:.2f}±{std:.2f}"

    text = f"{fmt(summary['mae_mean'], summary['mae_std'])} / {fmt(summary['kendall_mean'], summary['kendall_std'])}"
    return text + (f" ({summary['n_failed']} failed)" if summary["n_failed"] else "")


def format_table(result: Mapping[str, Any]) -> str:
    """A Markdown table: one row per predictor, one column per task, cells ``MAE / Kendall tau`` (mean±std)."""
    tasks = result["tasks"]
    lines = [
        "| predictor | " + " | ".join(TASK_TITLES.get(t, t) for t in tasks) + " |",
        "|---|" + "---|" * len(tasks),
    ]
    for row in result["rows"]:
        lines.append(f"| {row['predictor']} | " + " | ".join(_cell(row["tasks"][t]) for t in tasks) + " |")
    return "\n".join(lines)


def json_safe(value: Any) -> Any:
    """NaN/inf become None so the result file is strict JSON."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value
