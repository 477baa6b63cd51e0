"""LLM-Distill-PP: label random archs of a space with LLM-PP, fit a cheap regressor on HAT's features to those
labels, and use it as a free BLEU predictor in search.

Labelling is the expensive part, so it is resumable: each batch of labels is appended (fsync'd) to
``labels-s<seed>.jsonl`` in the output folder the moment the runner returns it, a re-run skips the archs already
labelled, and the runner's disk cache answers any prompt asked before. A folder remembers the settings that
produced its labels (``labels-meta.json``); resuming it with other settings is refused rather than mixing labels.
The regressor comes from :mod:`hwnas.predictors` (``auto``: the MLP ensemble or boosted trees, whichever has the
lower cross-validated error), saved in its usual model file.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from hwnas.contracts.predictor import Predictor
from hwnas.core.arch import Arch
from hwnas.core.errors import ConfigError, DataError
from hwnas.core.files import append_json_lines, read_json_lines
from hwnas.core.space import SearchSpace
from hwnas.llm.llmpp import LLMPPPredictor

if TYPE_CHECKING:
    from hwnas.predictors import EncodedPredictor

AUTO_CANDIDATES = ("mlp-ensemble", "gbdt")
BLEU_METRIC = "bleu_pred"
Progress = Callable[[int, int], None]  # (archs labelled so far, total)


def sample_archs(space: SearchSpace, n: int, seed: int) -> list[Arch]:
    """``n`` distinct archs drawn uniformly (same seed, same archs); fewer only if the space is that small."""
    rng = np.random.default_rng(seed)
    archs: dict[str, Arch] = {}
    for _ in range(50 * n):
        arch = space.sample(rng)
        archs.setdefault(arch.arch_id, arch)
        if len(archs) == n:
            break
    return list(archs.values())


def _is_label(record: Any) -> bool:
    return isinstance(record, dict) and "arch_id" in record


class LabelStore:
    """Append-only JSONL of labels: ``{arch_id, space, genes, value, failures}`` per line."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def read(self) -> dict[str, dict[str, Any]]:
        """arch_id -> the latest record (a later line for an arch supersedes an earlier failed one); a line cut short
        by a kill mid-write is left out, so that arch is simply asked again."""
        records, _ = read_json_lines(self.path, what="labels file", valid=_is_label, expected="a label record")
        return {str(record["arch_id"]): record for record in records}

    def done(self) -> set[str]:
        return {arch_id for arch_id, r in self.read().items() if r.get("value") is not None}

    def append(self, records: Sequence[dict[str, Any]]) -> None:
        append_json_lines(self.path, records)


def label_archs(
    predictor: LLMPPPredictor,
    archs: Sequence[Arch],
    store: LabelStore,
    *,
    batch_size: int,
    progress: Progress | None = None,
) -> dict[str, int]:
    """Label the archs not yet in ``store``, one runner call per batch, appending each batch as it returns."""
    done = store.done()
    todo = [a for a in archs if a.arch_id not in done]
    labelled = len(archs) - len(todo)
    failed = 0
    for start in range(0, len(todo), batch_size):
        batch = todo[start : start + batch_size]
        predictions = predictor.predict(batch)
        store.append(
            [
                {"arch_id": a.arch_id, **a.to_dict(), "value": p.value, "failures": list(p.failures)}
                for a, p in zip(batch, predictions, strict=True)
            ]
        )
        labelled += sum(p.ok for p in predictions)
        failed += sum(not p.ok for p in predictions)
        if progress is not None:
            progress(labelled, len(archs))
    return {"asked": len(todo), "already_labelled": len(archs) - len(todo), "failed": failed}


def fit_on_labels(
    records: Sequence[dict[str, Any]], space: SearchSpace, *, regressor: str, seed: int
) -> EncodedPredictor:
    """A :mod:`hwnas.predictors` predictor fitted on HAT's 10 raw features -> labelled BLEU. Labels <= 0 are left
    out (the regressors fit log targets; no trained translation model scores 0 BLEU) and counted by the caller."""
    from hwnas.predictors import fit_predictor

    rows = [r for r in records if r.get("value") is not None and r["value"] > 0]
    if len(rows) < 4:
        raise DataError(f"only {len(rows)} usable labels (> 0 BLEU); at least 4 are needed to fit a regressor")
    archs = [space.make(r["genes"]) for r in rows]
    options: dict[str, Any] = {"encoding": "hat10-raw", "seed": seed}
    if regressor == "auto":
        options["candidates"] = AUTO_CANDIDATES
    return fit_predictor(regressor, archs, [float(r["value"]) for r in rows], space=space, options=options)


class DistilledEvaluator:
    """A search evaluator: the distilled model's predicted BLEU (``bleu_pred``, to maximise), cheap to query.

    Prediction runs with one BLAS/OpenMP thread: a search asks for a few archs at a time, and on a busy machine
    scikit-learn's threaded tree prediction then took ~0.3 s per call against ~1.5 ms single-threaded.
    """

    metrics: tuple[str, ...] = (BLEU_METRIC,)
    cheap: bool = True
    fitness_direction: str = "max"

    def __init__(self, space: SearchSpace, model: Predictor, *, source: str = "") -> None:
        if space.family != "hat":
            raise ConfigError(f"evaluator 'llm-distill' predicts BLEU of HAT spaces; space {space.name!r} is not one")
        from threadpoolctl import ThreadpoolController

        self.space, self.model, self.source = space, model, source
        self._threads = ThreadpoolController()

    def evaluate(self, archs: Sequence[Arch]) -> list[dict[str, float]]:
        if not archs:
            return []
        with self._threads.limit(limits=1):
            values = self.model.predict(archs)
        return [{BLEU_METRIC: float(v)} for v in values]


def make_distilled_evaluator(space: SearchSpace, *, accuracy_model: str | None) -> DistilledEvaluator:
    """Evaluator factory (registered as ``llm-distill``): ``accuracy_model`` is a model file written by
    ``hwnas llm-pp distill`` (``<out>/model.npz``)."""
    from hwnas.predictors import load_predictor

    if not accuracy_model:
        raise ConfigError(
            "evaluator 'llm-distill' needs a distilled model: give --accuracy-model PATH (config key "
            "accuracy_model), e.g. the model.npz written by `hwnas llm-pp distill`"
        )
    return DistilledEvaluator(space, load_predictor(accuracy_model, space=space), source=str(accuracy_model))
