"""Ranking training data for the LM searcher: LM-Searcher's pruning-based subspace sampling, written as chat JSONL.

One sample is one pick the searcher could face. A *subspace* is drawn first: every decision keeps a random subset of
its options (at least one, at least two where it has two) and the kept options are re-indexed, so the same code digit
means different options in different samples and the model has to read the legend rather than memorise digits. Then
a history of ``h`` trials and a pool of ``k`` candidates (disjoint) are drawn from the subspace with their true
values, and the answer is the code of the pool's best (lowest value; ties: the first). The prompt is rendered with
the searcher's own template and variables (legend of the subspace, history as :func:`shown_history` shows it, the
candidates' codes), so training and search see the same text.

Where the values come from (a :class:`Source`):

* :class:`TableSource`: measured rows (HELP's NB201 / FBNet latency tables, a latency dataset with archs). A table
  covers only part of a large space (FBNet: 5,000 of 9^22 archs), so its subspaces are pruned greedily: options are
  dropped, decision by decision in random order, only while at least ``h + k`` rows stay inside.
* :class:`EvaluatorSource`: any registered evaluator (the ``bench`` evaluator answers HW-GPT-Bench's metrics on every
  device for any arch; ``latency-model`` HAT's predictors): archs are drawn uniformly inside the subspace and
  evaluated, failures dropped.

Each line is ``{"messages": [system?, user, assistant], "meta": {...}}``: ``messages`` is the chat format that TRL's
SFT trainer and LLaMA-Factory (``formatting: sharegpt`` with OpenAI-style tags) read unchanged; ``meta`` holds what a
pick-quality evaluation needs (the pool's codes and true values, the label) and where the sample came from.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

import numpy as np

from hwnas.contracts.evaluator import Evaluator, evaluate_outcomes
from hwnas.core.arch import Arch
from hwnas.core.errors import ConfigError
from hwnas.core.space import Gene, SearchSpace
from hwnas.encodings._slots import choice_indices, slots
from hwnas.encodings.ncode import ncode_legend, to_ncode
from hwnas.llm.lm_history import Trial, shown_history
from hwnas.llm.prompts import PromptTemplate

DRAW_TRIES = 50  # subspaces drawn per sample before a source is declared too small for (h + k)


@dataclass(frozen=True)
class Draw:
    """One subspace with ``h + k`` distinct archs of it and their values (lower is better)."""

    subspace: SearchSpace
    archs: list[Arch]
    values: list[float]
    source: str  # e.g. "help:nb201:pixel2" or "bench:gpt-s:latency_h100"
    objective: str  # the metric as the searcher would name it


class Source(Protocol):
    name: str
    space: SearchSpace

    def draw(self, need: int, rng: np.random.Generator) -> Draw | None:
        """A subspace with ``need`` distinct archs and values, or None when this draw found too few."""
        ...


def restrict(space: SearchSpace, keep: Mapping[str, Sequence[int]]) -> SearchSpace:
    """The subspace keeping, per gene, the options at the given indices (in their original order)."""
    genes = []
    for gene in space.genes:
        kept = sorted(set(keep.get(gene.name, range(len(gene.choices)))))
        if not kept:
            raise ValueError(f"gene {gene.name!r} keeps no option")
        genes.append(replace(gene, choices=tuple(gene.choices[i] for i in kept)))
    return replace(space, genes=tuple(genes))


def random_keep(gene: Gene, rng: np.random.Generator) -> list[int]:
    """A random subset of a gene's option indices: its size uniform in [min(2, n), n]."""
    n = len(gene.choices)
    size = int(rng.integers(min(2, n), n + 1))
    return sorted(int(i) for i in rng.choice(n, size=size, replace=False))


class TableSource:
    """Measured rows of one space (one column of values). Rows are pre-indexed per decision, so finding which rows
    a subspace holds is a few array operations, not a pass over archs."""

    def __init__(self, name: str, space: SearchSpace, archs: Sequence[Arch], values: np.ndarray, objective: str):
        finite = np.isfinite(np.asarray(values, dtype=float))
        self.name, self.space, self.objective = name, space, objective
        self.archs = [a for a, ok in zip(archs, finite, strict=True) if ok]
        self.values = np.asarray(values, dtype=float)[finite]
        layout = slots(space)
        index = np.array([[-1 if i is None else i for i in choice_indices(a, space)] for a in self.archs])
        self.uses: dict[str, list[np.ndarray]] = {}  # gene -> per option: rows using it at any of its slots
        for gene in space.genes:
            columns = index[:, [j for j, slot in enumerate(layout) if slot.gene.name == gene.name]]
            self.uses[gene.name] = [(columns == o).any(axis=1) for o in range(len(gene.choices))]

    def draw(self, need: int, rng: np.random.Generator) -> Draw | None:
        inside = np.ones(len(self.archs), dtype=bool)
        keep: dict[str, list[int]] = {}
        for g in rng.permutation(len(self.space.genes)):
            gene = self.space.genes[int(g)]
            wanted = len(random_keep(gene, rng))
            kept = list(range(len(gene.choices)))
            for option in rng.permutation(len(gene.choices)):
                if len(kept) <= wanted:
                    break
                without = inside & ~self.uses[gene.name][int(option)]
                if int(without.sum()) >= need:
                    inside = without
                    kept.remove(int(option))
            keep[gene.name] = kept
        rows = np.flatnonzero(inside)
        if len(rows) < need:
            return None
        chosen = rng.choice(rows, size=need, replace=False)
        return Draw(
            restrict(self.space, keep),
            [self.archs[int(r)] for r in chosen],
            [float(self.values[int(r)]) for r in chosen],
            self.name,
            self.objective,
        )


class EvaluatorSource:
    """Values from an evaluator, for archs drawn uniformly inside each subspace; ``metrics`` are the evaluator's
    metrics to learn from (each draw takes one at random)."""

    def __init__(self, name: str, space: SearchSpace, evaluator: Evaluator, metrics: Sequence[str]):
        unknown = [m for m in metrics if m not in evaluator.metrics]
        if unknown:
            raise ConfigError(
                f"--metric {unknown[0]!r} is not reported by evaluator {name!r}; "
                f"allowed: {', '.join(evaluator.metrics)}"
            )
        self.name, self.space, self.evaluator = name, space, evaluator
        self.metrics = list(metrics or evaluator.metrics)

    def draw(self, need: int, rng: np.random.Generator) -> Draw | None:
        sub = restrict(self.space, {g.name: random_keep(g, rng) for g in self.space.genes})
        archs = _distinct_archs(sub, need, rng)
        if len(archs) < need:
            return None
        metric = self.metrics[int(rng.integers(len(self.metrics)))]
        outcomes = evaluate_outcomes(self.evaluator, archs)
        kept = [
            (a, float(o.metrics[metric]))
            for a, o in zip(archs, outcomes, strict=True)
            if o.ok and metric in o.metrics and math.isfinite(float(o.metrics[metric]))
        ]
        if len(kept) < need:
            return None
        return Draw(sub, [a for a, _ in kept], [v for _, v in kept], f"{self.name}:{self.space.name}:{metric}", metric)


def _distinct_archs(space: SearchSpace, need: int, rng: np.random.Generator) -> list[Arch]:
    """``need`` distinct archs drawn uniformly from ``space`` (all of them, shuffled, when it has no more)."""
    if space.size() <= need:
        every = list(space.iter_all())
        return [every[int(i)] for i in rng.permutation(len(every))]
    found: dict[str, Arch] = {}
    for _ in range(need * 50):
        arch = space.sample(rng)
        found.setdefault(arch.arch_id, arch)
        if len(found) == need:
            break
    return list(found.values())


@dataclass(frozen=True)
class SampleSettings:
    history: tuple[int, int] = (5, 40)  # history size, drawn uniformly in [low, high]
    pool: int = 10  # candidates per sample (the searcher's default pool)

    def __post_init__(self) -> None:
        low, high = self.history
        if not 1 <= low <= high:
            raise ConfigError(f"--history {low}-{high}: allowed: LOW-HIGH with 1 <= LOW <= HIGH")
        if self.pool < 2:
            raise ConfigError(f"--pool {self.pool}: allowed: an integer >= 2 (a pool of one has no pick to learn)")


def ranking_sample(draw: Draw, history: int, template: PromptTemplate, space_name: str) -> dict[str, Any]:
    """The chat sample of one draw: the first ``history`` archs are the trials, the rest the pool."""
    codes = [to_ncode(a, draw.subspace) for a in draw.archs]
    trials = [Trial(code, -value, i) for i, (code, value) in enumerate(zip(codes[:history], draw.values, strict=False))]
    pool, pool_values = codes[history:], draw.values[history:]
    label = min(range(len(pool)), key=lambda i: (pool_values[i], i))
    variables = {"space": space_name, "legend": ncode_legend(draw.subspace), "objective": draw.objective,
                 "history": shown_history(trials, len(trials)), "candidates": pool}  # fmt: skip
    messages = [{"role": m.role, "content": m.content} for m in template.render(variables)]
    messages.append({"role": "assistant", "content": pool[label]})
    ranks = np.argsort(np.argsort(pool_values, kind="stable"), kind="stable") + 1
    meta = {"source": draw.source, "space": space_name, "objective": draw.objective, "history": history,
            "pool": pool, "pool_values": pool_values, "pool_ranks": [int(r) for r in ranks], "label": label,
            "template": template.describe()}  # fmt: skip
    return {"messages": messages, "meta": meta}


def make_samples(
    sources: Sequence[Source],
    n: int,
    *,
    template: PromptTemplate,
    settings: SampleSettings,
    rng: np.random.Generator,
) -> Iterator[dict[str, Any]]:
    """``n`` samples, each from a source drawn at random; a source that cannot supply ``h + k`` archs in
    :data:`DRAW_TRIES` subspaces in a row is an error naming it (its table is too small for that history)."""
    if n < 1:
        raise ConfigError(f"--n {n}: allowed: an integer >= 1")
    if not sources:
        raise ConfigError("no source: give --evaluator NAME or --table help|FILE")
    low, high = settings.history
    for _ in range(n):
        source = sources[int(rng.integers(len(sources)))]
        history = int(rng.integers(low, high + 1))
        for _ in range(DRAW_TRIES):
            draw = source.draw(history + settings.pool, rng)
            if draw is not None:
                break
        else:
            raise ConfigError(
                f"source {source.name!r} gave fewer than {history + settings.pool} distinct archs in {DRAW_TRIES} "
                f"subspaces; lower --history (now {low}-{high}) or --pool (now {settings.pool})"
            )
        yield ranking_sample(draw, history, template, source.space.name)


def read_samples(path: str, *, what: str = "--data") -> list[dict[str, Any]]:
    """Samples of a make-data JSONL file, each checked for the keys fine-tuning and evaluation read."""
    samples: list[dict[str, Any]] = []
    try:
        lines = open(path, encoding="utf-8").read().splitlines()  # noqa: SIM115
    except OSError as exc:
        raise ConfigError(f"{what} {path!r}: cannot read ({exc.strerror})") from None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            sample = json.loads(line)
            messages, meta = sample["messages"], sample["meta"]
            if messages[-1]["role"] != "assistant" or not meta["pool"] or meta["label"] >= len(meta["pool"]):
                raise ValueError
        except (ValueError, KeyError, IndexError, TypeError):
            raise ConfigError(
                f"{what} {path!r} line {number}: not a ranking sample (a JSON object with 'messages' ending in the "
                "assistant's answer and 'meta' with 'pool' and 'label'; write it with hwnas lm-searcher make-data)"
            ) from None
        samples.append(sample)
    if not samples:
        raise ConfigError(f"{what} {path!r} holds no samples")
    return samples
