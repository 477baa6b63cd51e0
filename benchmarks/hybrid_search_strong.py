"""The reference predictors of benchmarks/hybrid_search.py: the LLM-Distill-PP recipe with a perfect labeller.

The same ``n`` random archs the LLM labels (same space, count and sample seed) are labelled instead by the supernet,
and the regressor type the LLM's distillation ended up with is fitted on them. The distilled evaluator then ranks
phase 1 exactly as it does with LLM labels (``bleu_pred``, maximised), so nothing in the search changes but the
labels. Two labellers:

- ``strong``: the supernet's own valid BLEU (inherited weights, the demonstrations' split, sentences and beam), the
  quantity an LLM is asked for; it stands in for what a strong LLM behind an endpoint would approach.
- ``aligned``: the supernet's own validation loss, the very metric the hybrid's second phase ranks by, given as
  ``100 * exp(-valid_loss)`` (100 / perplexity: positive, and ranked exactly as the loss is). Phase 1 then agrees
  with phase 2 as far as 80 labels allow, so this row is the ceiling of the schedule on this engine.

Their labelling is a one-off cost, reported apart (like the LLM's).
"""

from __future__ import annotations

import json
import math
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hybrid_search_steps import Settings, cached, checkpoint_key


@dataclass(frozen=True)
class Labeller:
    name: str  # also the work sub-folder and step file of its model
    description: str
    label: Callable[[Settings, Path, list[Any]], list[float]]
    bleu_units: bool  # labels in BLEU, so an MAE against the demonstrations' BLEU means something


def _bleu_labels(settings: Settings, checkpoint: Path, archs: list[Any]) -> list[float]:
    from hwnas.evaluate.checkpoint import evaluate_checkpoint

    values = []
    for arch in archs:
        out = evaluate_checkpoint(
            checkpoint, arch=arch, metric="bleu", split=settings.demo_split,
            max_sentences=settings.demo_sentences, beam=settings.beam, device=settings.device,
        )  # fmt: skip
        values.append(round(out["bleu"], 4))
    return values


def _loss_labels(settings: Settings, checkpoint: Path, archs: list[Any]) -> list[float]:
    """The search's own supernet evaluator (same validation batches as every search's), as 100 / perplexity."""
    from hwnas.search.evaluator import make_evaluator
    from hwnas.spaces import get_space

    options = {"checkpoint": str(checkpoint), "device": settings.device}
    evaluator = make_evaluator("supernet", get_space(settings.space), options)
    return [round(100.0 * math.exp(-m["valid_loss"]), 6) for m in evaluator.evaluate(archs)]


STRONG = Labeller("strong", "supernet-inherited valid BLEU", _bleu_labels, bleu_units=True)
ALIGNED = Labeller(
    "aligned", "supernet valid loss as 100*exp(-loss), the metric phase 2 ranks by", _loss_labels, bleu_units=False
)


def _on_demonstrations(model: Any, space: Any, demos: Path, labelled: set[str], *, bleu_units: bool) -> dict[str, Any]:
    """Kendall tau (and, for BLEU labels, MAE) of the fitted model on the demonstration archs (other random archs
    with their valid BLEU), the figure the LLM's distillation reports as ``fit_on_demonstrations``."""
    from hwnas.llm.demonstrations import load_demonstrations
    from hwnas.llm.evaluation import score_split

    shown = load_demonstrations(demos, space)
    predicted = model.predict([d.arch for d in shown])
    score = score_split("demonstrations", 0, [d.value for d in shown], [float(v) for v in predicted])
    overlap = sum(d.arch.arch_id in labelled for d in shown)
    mae = score.mae if bleu_units else None  # other units than BLEU: only the ranking compares
    return {"mae": mae, "kendall": score.kendall, "n": score.n, "overlap_with_labelled": overlap}


def label_stats(values: list[float]) -> dict[str, Any]:
    """How varied the labels are (the LLM's took 2 distinct values; a useful labeller spreads them)."""
    spread = statistics.pstdev(values) if len(values) > 1 else 0.0
    return {"labels": len(values), "distinct": len(set(values)), "min": min(values), "max": max(values), "std": spread}


def reference_predictor(
    settings: Settings, checkpoint: Path, labeller: Labeller, *, regressor: str, demos: Path, llm_labels: Path | None
) -> tuple[Path, dict[str, Any]]:
    """Label, fit and save the labeller's model (cached in ``<work>/<name>.json``); returns its model file and the
    one-off cost and facts. ``llm_labels`` (the LLM's labels file) is only read to confirm the archs are the same."""
    from hwnas.llm.distill import fit_on_labels, sample_archs
    from hwnas.spaces import get_space

    space = get_space(settings.space)
    archs = sample_archs(space, settings.n, settings.sample_seed)
    out = settings.work / labeller.name

    def compute() -> dict[str, Any]:
        started = time.perf_counter()
        values = labeller.label(settings, checkpoint, archs)
        records = [{"arch_id": a.arch_id, **a.to_dict(), "value": v} for a, v in zip(archs, values, strict=True)]
        labelled = time.perf_counter()
        model = fit_on_labels(records, space, regressor=regressor, seed=settings.sample_seed)
        fit_s = time.perf_counter() - labelled
        out.mkdir(parents=True, exist_ok=True)
        (out / "labels.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
        model.save(out / "model.npz")
        known = {a.arch_id for a in archs}
        return {
            "labelling_s": labelled - started,
            "fit_s": fit_s,
            "wall_s": labelled - started + fit_s,
            "labels": label_stats(values),
            "regressor": model.name,
            "regressor_choice": model.describe().get("chosen", model.name),
            "on_demonstrations": _on_demonstrations(model, space, demos, known, bleu_units=labeller.bleu_units),
        }

    key = checkpoint_key(checkpoint) | {k: getattr(settings, k) for k in ("n", "sample_seed", "demo_split")}
    key |= {"demo_sentences": settings.demo_sentences, "beam": settings.beam, "regressor": regressor}
    outcome = cached(settings.work / f"{labeller.name}.json", key, compute)
    same = _same_archs(archs, llm_labels)
    facts = {"labeller": labeller.description, "split": settings.demo_split, "sentences": settings.demo_sentences}
    return out / "model.npz", {**outcome, **facts, "same_archs_as_llm_labels": same}


def _same_archs(archs: list[Any], llm_labels: Path | None) -> bool | None:
    """Whether the LLM labelled exactly these archs (None: no LLM labels file to compare with)."""
    if llm_labels is None or not llm_labels.is_file():
        return None
    lines = llm_labels.read_text(encoding="utf-8").splitlines()
    return {json.loads(line)["arch_id"] for line in lines if line.strip()} == {a.arch_id for a in archs}
