"""The evaluate stage: BLEU of every retrained model (searched, baselines, the largest as reference) on the test
set, their latency on the search device, the searched-vs-baseline gaps and the two goal checks.

The test set is a split of the training corpus, a split of another registered corpus (``evaluate.corpus``: WMT's
newstest2014 for a model trained on the user's WMT'14 files) or the user's own two files. Each arch is scored
once, however many budgets chose it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hwnas.core.arch import Arch
from hwnas.core.files import write_json_atomic
from hwnas.pipeline.config import expand_path
from hwnas.pipeline.goals import add_best_in_budget, pipeline_goals
from hwnas.pipeline.latency_stages import measurer, torch_threads_restored
from hwnas.pipeline.outputs import (
    BaselinesOutput,
    BudgetSearch,
    EvaluateOutput,
    LatencyOutput,
    PredictorOutput,
    RetrainOutput,
    SearchOutput,
)
from hwnas.pipeline.progress import progress_bar
from hwnas.pipeline.runner import StageContext
from hwnas.report.builder import COMPARISON_FILE


def _translate_and_score(ctx: StageContext, checkpoint: str) -> dict[str, Any]:
    """BLEU on ``evaluate.corpus``'s split or the user's test files (the checkpoint gives languages + tokenizer)."""
    from hwnas.data.corpus import load_corpus, load_parallel
    from hwnas.evaluate.checkpoint import model_for_arch
    from hwnas.evaluate.translate import bleu_score, translate
    from hwnas.train.config import TrainConfig

    stage = ctx.config.evaluate
    model, codec, _arch, meta = model_for_arch(checkpoint, None, device=ctx.config.device)
    data = TrainConfig.model_validate(meta["config"]).data
    if stage.corpus is not None:
        assert stage.split is not None  # checked by EvaluateStage
        corpus = load_corpus(stage.corpus, split=stage.split, src=data.src_lang, tgt=data.tgt_lang)
    else:
        src, tgt = expand_path(stage.test_src), expand_path(stage.test_tgt)
        corpus = load_parallel(src, tgt, src_lang=data.src_lang, tgt_lang=data.tgt_lang, name=f"user/{Path(src).name}")
    if stage.max_sentences is not None and stage.max_sentences < len(corpus):
        corpus = corpus.subset(range(stage.max_sentences))
    hypotheses = translate(model, codec, corpus.src, beam=stage.beam)
    return {"bleu": bleu_score(hypotheses, corpus.tgt), "split": corpus.name, "sentences": len(corpus)}


def score_bleu(ctx: StageContext, checkpoint: str) -> dict[str, Any]:
    """BLEU of one retrained model on the configured test set (``split`` of the training corpus by default)."""
    from hwnas.evaluate.checkpoint import evaluate_checkpoint

    stage = ctx.config.evaluate
    threads = (ctx.config.training.get("run") or {}).get("threads")
    with torch_threads_restored(None if threads is None else int(threads)):
        if stage.corpus is not None or stage.test_src is not None:
            return _translate_and_score(ctx, checkpoint)
        scored = evaluate_checkpoint(
            checkpoint,
            arch=None,
            metric="bleu",
            split=stage.split,
            max_sentences=stage.max_sentences,
            beam=stage.beam,
            device=ctx.config.device,
        )
    return {"bleu": scored["bleu"], "split": scored["split"], "sentences": scored["sentences"]}


class _Scores:
    """BLEU per arch (each model scored once) and measured latency for choices the search did not measure."""

    def __init__(self, ctx: StageContext, latency: LatencyOutput, retrain: RetrainOutput) -> None:
        self.ctx = ctx
        self.models = retrain.models
        self.bleu: dict[str, dict[str, Any]] = {}
        wants_measure = ctx.config.evaluate.measure_latency
        self.measure = measurer(ctx, latency) if wants_measure else None

    def scored(self, choice: dict[str, Any]) -> dict[str, Any]:
        """``choice`` (an arch chosen by the search stage) with its BLEU, test split and measured latency."""
        arch_id = choice["arch_id"]
        if arch_id not in self.bleu:
            self.bleu[arch_id] = score_bleu(self.ctx, self.models[arch_id])
        measured = choice.get("measured_ms")
        if measured is None and self.measure is not None:
            measured = self.measure(Arch.from_dict(choice["arch"]))
        return {**choice, **self.bleu[arch_id], "measured_ms": measured}


def _row(item: BudgetSearch, baselines: dict[str, Any], scores: _Scores) -> dict[str, Any]:
    """One budget: the searched model (BLEU, latencies, budget check) and each baseline (the baselines stage's
    choice for this budget) with its BLEU gap."""
    budget_ms = item.budget.budget_ms
    row: dict[str, Any] = {"budget_ms": budget_ms, "limit_ms": item.budget.limit_ms, "arch_id": None}
    best = item.best
    if best is not None:
        got = scores.scored(best)
        metrics = best.get("metrics") or {}
        row.update(
            arch_id=best["arch_id"],
            arch=best["arch"],
            predicted_ms=best.get("predicted_ms", metrics.get("latency")),
            measured_ms=got["measured_ms"],
            within_budget=_within(got["measured_ms"], budget_ms, best.get("within_budget")),
            latency_check={"fallback": best.get("fallback", False), "tries": best.get("tries", [])},
            valid_loss=metrics.get("valid_loss"),
            params=metrics.get("params"),
            bleu=got["bleu"],
            split=got["split"],
        )
    row["baselines"] = {}
    for name, choice in baselines.items():
        if choice is None:
            row["baselines"][name] = None
            continue
        got = scores.scored(choice)
        gap = None if row.get("bleu") is None else float(row["bleu"]) - float(got["bleu"])
        keep = ("arch_id", "arch", "predicted_ms", "measured_ms", "bleu", "selection")
        metrics = choice.get("metrics") or {}
        row["baselines"][name] = {
            **{k: got.get(k) for k in keep},
            "params": metrics.get("params"),
            "valid_loss": metrics.get("valid_loss"),
            "within_budget": _within(got["measured_ms"], budget_ms, choice.get("within_budget")),
            "bleu_gap": gap,  # searched minus baseline
        }
    return row


def _within(measured: float | None, budget: float, recorded: bool | None) -> bool | None:
    return recorded if measured is None else float(measured) <= budget


def evaluate_stage(
    ctx: StageContext,
    latency: LatencyOutput,
    predictor: PredictorOutput,
    search: SearchOutput,
    baselines: BaselinesOutput,
    retrain: RetrainOutput,
) -> EvaluateOutput:
    """Score every budget's models and the reference; write ``results.json`` (one row per budget) and
    ``comparison.json`` (reference + goals)."""
    scores = _Scores(ctx, latency, retrain)
    found = search.found
    rows = []
    with progress_bar("BLEU + latency", total=len(found) + 1, quiet=ctx.quiet) as advance:
        for number, (item, chosen) in enumerate(zip(found, baselines.per_budget, strict=True), start=1):
            rows.append(_row(item, chosen["baselines"], scores))
            advance(number)
        reference = baselines.reference
        if reference is not None:
            reference = {k: v for k, v in scores.scored(reference).items() if k != "tries"}
        advance(len(found) + 1)
    families = {n: {r["arch_id"] for r in t["candidates"]} for n, t in baselines.candidates.items()}
    add_best_in_budget(rows, reference, families)
    goals = pipeline_goals(rows, reference, ctx.config.baselines, predictor.latency_reliability)
    out = ctx.stage_dir("evaluate")
    write_json_atomic(out / "results.json", rows)
    write_json_atomic(out / COMPARISON_FILE, {"reference": reference, "goals": goals})
    return EvaluateOutput(rows, reference, goals)
