"""The LLM-PP tasks and their seed architectures: what a prompt says about the task, which corpus its example
sentence pairs come from, and the 30 trained-from-scratch archs (10 demonstrations / 20 test per split seed) with
their true BLEU and the BLEU four weight-sharing supernets predicted for them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hwnas.core.arch import Arch
from hwnas.core.errors import DataError, UnknownNameError
from hwnas.data.tables import LLMPP_SEEDS, LLMPP_TASKS, load_llmpp_seedarchs

# key in the data files -> row label (the supernet predictors stored next to each arch)
SUPERNET_PREDICTORS: dict[str, str] = {
    "HAT": "HAT supernet",
    "Supernet (Sandwich)": "Sandwich supernet",
    "Layer-wise MoS": "Layer-wise MoS",
    "Neuron-wise MoS": "Neuron-wise MoS",
}
LANGUAGES = {"en": "English", "de": "German", "fr": "French"}
MAX_EXAMPLE_WORDS = 40  # long news sentences only lengthen the prompt


@dataclass(frozen=True)
class LLMPPTask:
    """One translation task: its HAT search space, language pair, the corpus examples come from, a title."""

    name: str
    space: str
    source: str
    target: str
    corpus: str
    title: str

    def variables(self) -> dict[str, str]:
        src, tgt = LANGUAGES[self.source], LANGUAGES[self.target]
        return {
            "name": self.name,
            "description": f"{self.title}: translate {src} news text into {tgt}; quality is measured by BLEU.",
            "corpus": self.corpus,
            "source_language": src,
            "target_language": tgt,
        }


TASKS: dict[str, LLMPPTask] = {
    "wmt14ende": LLMPPTask("wmt14ende", "hat-wmt14ende", "en", "de", "newstest2014", "WMT'14 English-German"),
    "wmt14enfr": LLMPPTask("wmt14enfr", "hat-wmt14enfr", "en", "fr", "newstest2014", "WMT'14 English-French"),
    "wmt19ende": LLMPPTask("wmt19ende", "hat-wmt19ende", "en", "de", "newstest2019", "WMT'19 English-German"),
}
assert tuple(TASKS) == LLMPP_TASKS


def get_task(name: str) -> LLMPPTask:
    if name not in TASKS:
        raise UnknownNameError("LLM-PP task", name, list(TASKS))
    return TASKS[name]


def task_of_space(space_name: str) -> LLMPPTask:
    """The task whose search space is ``space_name`` (distillation labels a space's archs for its task)."""
    for task in TASKS.values():
        if task.space == space_name:
            return task
    raise UnknownNameError("search space with an LLM-PP task", space_name, [t.space for t in TASKS.values()])


def check_seeds(seeds: tuple[int, ...] | list[int]) -> None:
    for seed in seeds:
        if seed not in LLMPP_SEEDS:
            raise UnknownNameError("LLM-PP split seed", str(seed), [str(s) for s in LLMPP_SEEDS])


@dataclass(frozen=True)
class SeedArch:
    """One trained arch: true valid/test BLEU and each supernet's predicted valid BLEU (keys of SUPERNET_PREDICTORS)."""

    arch: Arch
    valid_bleu: float
    test_bleu: float
    supernets: Mapping[str, float] = field(default_factory=dict)


def _seed_arch(record: Mapping[str, Any], task: LLMPPTask, where: str) -> SeedArch:
    from hwnas.encodings.hat_yaml import from_arch_info
    from hwnas.spaces import get_space

    scratch = record["scratch"]
    try:
        arch = from_arch_info(scratch["arch_info"], get_space(task.space))
        supernets = {key: float(record[key]["valid_BLEU"]) for key in SUPERNET_PREDICTORS if key in record}
        return SeedArch(arch, float(scratch["valid_BLEU"]), float(scratch["test_BLEU"]), supernets)
    except (KeyError, TypeError, ValueError) as exc:
        raise DataError(f"{where}: malformed seed-arch record ({type(exc).__name__}: {exc})") from None


def load_seed_archs(seed: int, task: str, split: str) -> list[SeedArch]:
    """The 10 (``train``) or 20 (``test``) seed archs of a split seed and task, as archs of the task's space."""
    spec = get_task(task)
    records = load_llmpp_seedarchs(seed, task, split)
    return [_seed_arch(r, spec, f"llmpp_seedarchs {seed}/{task}/{split} line {i}") for i, r in enumerate(records, 1)]


def task_examples(task: LLMPPTask, n: int, seed: int) -> tuple[list[dict[str, str]], str]:
    """``n`` sentence pairs drawn (with ``seed``) from the task's test corpus (see :func:`corpus_examples`)."""
    return corpus_examples(task.corpus, "test", task.source, task.target, n, seed)


def corpus_examples(name: str, split: str, src: str, tgt: str, n: int, seed: int) -> tuple[list[dict[str, str]], str]:
    """``n`` short sentence pairs drawn (with ``seed``) from a registered corpus, and a note: empty when they were
    drawn, else why none could be (the corpus is not available here). The prompt renders either way."""
    from hwnas.data.corpus import load_corpus

    if n <= 0:
        return [], ""
    try:
        corpus = load_corpus(name, split=split, src=src, tgt=tgt)
    except DataError as exc:
        return [], f"no example sentence pairs: corpus {name!r} is not available ({exc})"
    short = [i for i, (s, t) in enumerate(corpus) if 3 <= len(s.split()) <= MAX_EXAMPLE_WORDS and t.strip()]
    if not short:
        return [], f"no example sentence pairs: corpus {name!r} has no sentence of 3-{MAX_EXAMPLE_WORDS} words"
    rng = np.random.default_rng(seed)
    picked = rng.choice(len(short), size=min(n, len(short)), replace=False)
    return [{"source": corpus.src[short[i]], "target": corpus.tgt[short[i]]} for i in picked], ""
