"""LLM-Distill-PP on a user's own demonstrations: one label set, one model, for any HAT-family space.

The prompts show the user's measured archs (:func:`hwnas.llm.demonstrations.load_demonstrations`), the space's
genes as the template's hyperparameter list, the user's metric name and task text. Labels go to ``labels.jsonl``
(resumable, as in the seed-arch mode), the model to ``model.npz`` (what ``--accuracy-model`` takes). There are no
held-out test archs, so the result reports how the distilled model fits the demonstrations themselves: the LLM saw
them in every prompt, so that is a consistency check, not a test score.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from hwnas.contracts.predictor import Predictor
from hwnas.core.space import SearchSpace
from hwnas.llm.base import LLMRunner, Sampling
from hwnas.llm.demonstrations import UserTask, file_sha256, load_demonstrations, user_task
from hwnas.llm.distill import LabelStore, label_archs, sample_archs
from hwnas.llm.distill_run import LABEL_KEYS, MODEL_FILE, RESULT_FILE, Log, check_meta, fit_and_save
from hwnas.llm.evaluation import SplitScore, json_safe, score_split
from hwnas.llm.llmpp import DEFAULT_SAMPLING, Demonstration, LLMPPPredictor, PromptContext
from hwnas.llm.llmpp_config import DistillConfig
from hwnas.llm.prompts import PromptTemplate, load_template

LABELS_FILE = "labels.jsonl"


def run_user_distill(
    runner: LLMRunner, config: DistillConfig, *, sampling: Sampling = DEFAULT_SAMPLING, log: Log | None = None
) -> dict[str, Any]:
    """Label ``config.n`` random archs with LLM-PP shown the user's demonstrations, fit, save ``model.npz``;
    returns the JSON written to ``result.json``."""
    from hwnas.spaces import get_space

    assert config.demonstrations is not None
    say = log or (lambda message: None)
    space = get_space(config.space)
    demos = load_demonstrations(config.demonstrations, space)
    template = load_template(config.template)
    task = user_task(config.task_description, metric=config.metric, examples=config.examples, seed=config.example_seed)
    out = Path(config.out)
    sha256 = _check_meta(runner, config, template, sampling)
    predictor = _llm_predictor(runner, config, space, demos, template, task, sampling)
    archs = sample_archs(space, config.n, config.sample_seed)
    store = LabelStore(out / LABELS_FILE)
    counts = label_archs(
        predictor, archs, store, batch_size=config.batch_size, progress=lambda done, n: say(f"{done}/{n} labelled")
    )
    model, facts = fit_and_save(config, space, archs, store, out / MODEL_FILE)
    fit = _fit_on(model, demos)
    say(f"model: {out / MODEL_FILE}; on the demonstrations MAE {fit.mae:.3f}, Kendall {fit.kendall:.3f}")
    result = {
        "mode": "demonstrations",
        "space": space.name,
        "n": len(archs),
        "demonstrations": _described(config, sha256, demos),
        "task": task.variables,
        "example_note": task.note,
        "llm": {**predictor.describe(), "examples": len(task.examples), "example_seed": config.example_seed},
        "labels": {**counts, **facts},
        "model_file": MODEL_FILE,
        "fit_on_demonstrations": {"mae": fit.mae, "kendall": fit.kendall, "n": fit.n},
    }
    (out / RESULT_FILE).write_text(json.dumps(json_safe(result), indent=2) + "\n", encoding="utf-8")
    return result


def _llm_predictor(
    runner: LLMRunner,
    config: DistillConfig,
    space: SearchSpace,
    demos: list[Demonstration],
    template: PromptTemplate,
    task: UserTask,
    sampling: Sampling,
) -> LLMPPPredictor:
    """LLM-PP prompted with the user's task text, examples and demonstrations: the labeller."""
    context = PromptContext(
        template=template,
        space=space,
        task=task.variables,
        examples=task.examples,
        metric=config.metric,
    )
    return LLMPPPredictor.from_config(config, runner=runner, context=context, demonstrations=demos, sampling=sampling)


def _check_meta(runner: LLMRunner, config: DistillConfig, template: PromptTemplate, sampling: Sampling) -> str:
    """Refuse an output folder labelled with other settings (or other demonstrations); the demonstrations' sha256."""
    assert config.demonstrations is not None
    sha256 = file_sha256(config.demonstrations)
    meta = {key: getattr(config, key) for key in LABEL_KEYS}
    meta |= {"demonstrations_sha256": sha256, "task_description": config.task_description}
    meta |= {"template": template.describe(), "model": runner.model, "sampling": asdict(sampling)}
    check_meta(Path(config.out), meta)
    return sha256


def _fit_on(model: Predictor, demos: list[Demonstration]) -> SplitScore:
    """How the distilled model fits the demonstrations (which the LLM saw in every prompt: a consistency check)."""
    predicted = model.predict([d.arch for d in demos])
    return score_split("demonstrations", 0, [d.value for d in demos], [float(v) for v in predicted])


def _described(config: DistillConfig, sha256: str, demos: list[Demonstration]) -> dict[str, Any]:
    values = [d.value for d in demos]
    return {"file": str(config.demonstrations), "sha256": sha256, "count": len(demos), "values": values}
