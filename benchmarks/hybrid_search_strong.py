"""The strong distilled predictor of benchmarks/hybrid_search.py: the LLM-Distill-PP recipe with a perfect labeller.

The same ``n`` random archs the LLM labels (same space, count and sample seed) are labelled instead with the
supernet's own valid BLEU (inherited weights, the demonstrations' split, sentences and beam), and the regressor type
the LLM's distillation ended up with is fitted on them. The distilled evaluator then predicts BLEU (``bleu_pred``,
maximised) exactly as it does with LLM labels, so nothing in the search changes but the labels: a hybrid search
ranked by this model shows what the mechanism reaches when the labeller is good, i.e. what a strong LLM behind an
endpoint would approach. Its labelling is a one-off cost, reported apart (like the LLM's).
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path
from typing import Any

from hybrid_search_steps import SPACE, Settings, cached, checkpoint_key

LABELLER = "supernet-inherited valid BLEU"


def _label(settings: Settings, checkpoint: Path, archs: list[Any]) -> list[dict[str, Any]]:
    """One record per arch in the LLM label files' shape (``arch_id``, ``space``, ``genes``, ``value``)."""
    from hwnas.evaluate.checkpoint import evaluate_checkpoint

    records = []
    for arch in archs:
        out = evaluate_checkpoint(
            checkpoint, arch=arch, metric="bleu", split=settings.demo_split,
            max_sentences=settings.demo_sentences, beam=settings.beam, device="cpu",
        )  # fmt: skip
        records.append({"arch_id": arch.arch_id, **arch.to_dict(), "value": round(out["bleu"], 4)})
    return records


def _on_demonstrations(model: Any, space: Any, demos: Path, labelled: set[str]) -> dict[str, Any]:
    """MAE / Kendall tau of the fitted model on the demonstration archs (other random archs, scored the same way),
    the figure the LLM's distillation reports as ``fit_on_demonstrations``; ``overlap`` counts shared archs."""
    from hwnas.llm.demonstrations import load_demonstrations
    from hwnas.llm.evaluation import score_split

    shown = load_demonstrations(demos, space)
    predicted = model.predict_archs([d.arch for d in shown], space)
    score = score_split("demonstrations", 0, [d.value for d in shown], [float(v) for v in predicted])
    overlap = sum(d.arch.arch_id in labelled for d in shown)
    return {"mae": score.mae, "kendall": score.kendall, "n": score.n, "overlap_with_labelled": overlap}


def label_stats(values: list[float]) -> dict[str, Any]:
    """How varied the labels are (the LLM's took 2 distinct values; a useful labeller spreads them)."""
    spread = statistics.pstdev(values) if len(values) > 1 else 0.0
    return {"labels": len(values), "distinct": len(set(values)), "min": min(values), "max": max(values), "std": spread}


def strong_predictor(
    settings: Settings, checkpoint: Path, *, regressor: str, demos: Path, llm_labels: Path | None
) -> tuple[Path, dict[str, Any]]:
    """Label, fit and save the strong model (cached in ``<work>/strong.json``); returns its model file and the
    one-off cost and facts. ``llm_labels`` (the LLM's labels file) is only read to confirm the archs are the same."""
    from hwnas.llm.distill import fit_on_labels, sample_archs
    from hwnas.spaces import get_space

    space = get_space(SPACE)
    archs = sample_archs(space, settings.n, settings.sample_seed)
    out = settings.work / "strong"

    def compute() -> dict[str, Any]:
        started = time.perf_counter()
        records = _label(settings, checkpoint, archs)
        labelled = time.perf_counter()
        model = fit_on_labels(records, space, regressor=regressor, seed=settings.sample_seed)
        fit_s = time.perf_counter() - labelled
        out.mkdir(parents=True, exist_ok=True)
        (out / "labels.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
        model.save(out / "model.npz")
        return {
            "labelling_s": labelled - started,
            "fit_s": fit_s,
            "wall_s": labelled - started + fit_s,
            "labels": label_stats([r["value"] for r in records]),
            "regressor": model.name,
            "regressor_choice": getattr(model, "chosen_", model.name),
            "on_demonstrations": _on_demonstrations(model, space, demos, {a.arch_id for a in archs}),
        }

    key = checkpoint_key(checkpoint) | {k: getattr(settings, k) for k in ("n", "sample_seed", "demo_split")}
    key |= {"demo_sentences": settings.demo_sentences, "beam": settings.beam, "regressor": regressor}
    outcome = cached(settings.work / "strong.json", key, compute)
    same = _same_archs(archs, llm_labels)
    facts = {"labeller": LABELLER, "split": settings.demo_split, "sentences": settings.demo_sentences}
    return out / "model.npz", {**outcome, **facts, "same_archs_as_llm_labels": same}


def _same_archs(archs: list[Any], llm_labels: Path | None) -> bool | None:
    """Whether the LLM labelled exactly these archs (None: no LLM labels file to compare with)."""
    if llm_labels is None or not llm_labels.is_file():
        return None
    lines = llm_labels.read_text(encoding="utf-8").splitlines()
    return {json.loads(line)["arch_id"] for line in lines if line.strip()} == {a.arch_id for a in archs}
