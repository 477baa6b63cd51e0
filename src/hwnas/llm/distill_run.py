"""``hwnas llm-pp distill`` as a library call. On the LLM-PP seed-arch tasks: per split seed, label the space's
random archs with LLM-PP (that split's 10 demonstrations), fit the regressor, save it, and score it on that split's
20 test archs, exactly as LLM-PP and the supernets are scored; ``model.npz`` is the first seed's model, the one a
search uses. With a user's demonstrations file (any HAT-family space): one label set, one model
(:mod:`hwnas.llm.distill_user`)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from hwnas.contracts.predictor import Predictor
from hwnas.core.arch import Arch
from hwnas.core.errors import ConfigError
from hwnas.core.space import SearchSpace
from hwnas.llm.base import LLMRunner, Sampling
from hwnas.llm.distill import LabelStore, fit_on_labels, label_archs, sample_archs
from hwnas.llm.evaluation import (
    SplitScore,
    baseline_rows,
    build_predictor,
    json_safe,
    score_split,
    summarize,
    supernet_rows,
)
from hwnas.llm.llmpp import DEFAULT_SAMPLING
from hwnas.llm.llmpp_config import DistillConfig
from hwnas.llm.prompts import PromptTemplate, load_template
from hwnas.llm.seedarchs import load_seed_archs, task_of_space

META_FILE = "labels-meta.json"
RESULT_FILE = "result.json"
MODEL_FILE = "model.npz"
# Settings that change the labels: a folder labelled with some values is never resumed with others.
LABEL_KEYS = (
    "space",
    "sample_seed",
    "template",
    "k",
    "samples",
    "aggregate",
    "max_attempts",
    "value_min",
    "value_max",
    "metric",
    "examples",
    "example_seed",
)
Log = Callable[[str], None]


def check_meta(out: Path, meta: dict[str, Any]) -> None:
    meta = json.loads(json.dumps(meta))  # compare as stored (tuples become lists)
    path = out / META_FILE
    if path.exists():
        old = json.loads(path.read_text(encoding="utf-8"))
        changed = [k for k in meta if old.get(k) != meta[k]]
        if changed:
            key = changed[0]
            raise ConfigError(
                f"{str(out)!r} holds labels made with {key}={old.get(key)!r}, not {meta[key]!r}; "
                "use another --out folder (labels from different settings are never mixed)"
            )
        return
    out.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")


def run_distill(
    runner: LLMRunner, config: DistillConfig, *, sampling: Sampling = DEFAULT_SAMPLING, log: Log | None = None
) -> dict[str, Any]:
    """Label, fit, save and score (see the module docstring); returns the JSON written to ``result.json``.
    ``sampling`` is the base of every request, as in :func:`hwnas.llm.evaluation.evaluate_llmpp`."""
    from hwnas.spaces import get_space

    if config.demonstrations is not None:
        from hwnas.llm.distill_user import run_user_distill

        return run_user_distill(runner, config, sampling=sampling, log=log)
    say = log or (lambda message: None)
    space = get_space(config.space)
    task = task_of_space(space.name)  # before anything is written: a space without LLM-PP's seed archs is refused
    template = load_template(config.template)
    out = Path(config.out)
    meta = {key: getattr(config, key) for key in LABEL_KEYS}
    check_meta(out, {**meta, "template": template.describe(), "model": runner.model, "sampling": asdict(sampling)})
    archs = sample_archs(space, config.n, config.sample_seed)
    scores, per_seed = [], []
    described: dict[str, Any] = {}
    for seed in config.seeds:
        score, facts, described = _label_and_fit_seed(runner, config, seed, space, archs, template, sampling, say)
        scores.append(score)
        per_seed.append({"seed": seed, **facts})
    shutil.copyfile(out / f"model-s{config.seeds[0]}.npz", out / MODEL_FILE)
    result = _result(config, runner.model, (space.name, task.name), len(archs), scores, per_seed, described)
    (out / RESULT_FILE).write_text(json.dumps(json_safe(result), indent=2) + "\n", encoding="utf-8")
    return result


def _result(
    config: DistillConfig,
    model: str,
    space_task: tuple[str, str],
    n: int,
    scores: list[SplitScore],
    per_seed: list[dict[str, Any]],
    described: dict[str, Any],
) -> dict[str, Any]:
    """``result.json``: the distilled model's row beside the supernet and baseline rows of the same test archs."""
    space, task = space_task
    row = {"predictor": f"LLM-Distill-PP ({model})", "kind": "distilled", "tasks": {task: summarize(scores)}}
    return {
        "tasks": [task],
        "seeds": list(config.seeds),
        "limit": config.limit,
        "space": space,
        "n": n,
        "llm": described,
        "labels": per_seed,
        "rows": [
            row,
            *supernet_rows([task], config.seeds, limit=config.limit),
            *baseline_rows([task], config.seeds, limit=config.limit),
        ],
    }


def _label_and_fit_seed(
    runner: LLMRunner,
    config: DistillConfig,
    seed: int,
    space: SearchSpace,
    archs: list[Arch],
    template: PromptTemplate,
    sampling: Sampling,
    say: Log,
) -> tuple[SplitScore, dict[str, Any], dict[str, Any]]:
    """One seed: LLM-PP with that seed's demonstrations labels ``archs``, the regressor is fitted on the labels and
    scored; returns (score, label counts and fit facts, the LLM predictor's description)."""
    task = task_of_space(space.name)
    out = Path(config.out)
    demos = load_seed_archs(seed, task.name, "train")
    predictor, _ = build_predictor(
        runner, config, task=task.name, demonstrations=demos, template=template, sampling=sampling
    )
    store = LabelStore(out / f"labels-s{seed}.jsonl")
    progress = _progress(say, seed)
    counts = label_archs(predictor, archs, store, batch_size=config.batch_size, progress=progress)
    score, facts = _fit_and_score(config, space, task.name, seed, archs, store, out)
    say(f"seed {seed}: MAE {score.mae:.3f}, Kendall {score.kendall:.3f} on {score.n} test archs")
    return score, {**counts, **facts}, predictor.describe()


def _progress(say: Log, seed: int) -> Callable[[int, int], None]:
    return lambda done, total: say(f"seed {seed}: {done}/{total} archs labelled")


def _fit_and_score(
    config: DistillConfig, space: SearchSpace, task: str, seed: int, archs: list[Arch], store: LabelStore, out: Path
) -> tuple[SplitScore, dict[str, Any]]:
    """Fit the regressor on this seed's labels of ``archs``, save it, score it on the seed's test archs."""
    model, facts = fit_and_save(config, space, archs, store, out / f"model-s{seed}.npz")
    tests = load_seed_archs(seed, task, "test")[: config.limit]
    predicted = model.predict([t.arch for t in tests])
    score = score_split(task, seed, [t.valid_bleu for t in tests], [float(v) for v in predicted])
    return score, facts


def fit_and_save(
    config: DistillConfig, space: SearchSpace, archs: list[Arch], store: LabelStore, path: Path
) -> tuple[Predictor, dict[str, Any]]:
    """The regressor fitted on the stored labels of ``archs``, saved at ``path``, and the facts about its labels."""
    records = store.read()
    wanted = [records[a.arch_id] for a in archs if a.arch_id in records]
    model = fit_on_labels(wanted, space, regressor=config.regressor, seed=config.sample_seed)
    model.save(path)
    values = [r.get("value") for r in wanted]
    facts = {
        "labels_usable": sum(v is not None and v > 0 for v in values),
        "labels_failed": sum(v is None for v in values),
        "labels_nonpositive": sum(v is not None and v <= 0 for v in values),
        "regressor": model.name,
        "regressor_choice": model.describe().get("chosen", model.name),
        "model_file": path.name,
    }
    return model, facts
