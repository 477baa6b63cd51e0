"""A synthetic parallel corpus for smoke runs and tests without downloaded data: the target is the source's words
in reverse order, upper-cased (learnable, needs attention across the whole source, and deterministic per seed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

WORDS = tuple(f"w{a}{b}" for a in "abcdef" for b in "abcde")


def reversal_pairs(
    n: int, rng: np.random.Generator, *, min_words: int = 3, max_words: int = 8
) -> list[tuple[str, str]]:
    pairs = []
    for _ in range(n):
        words = [WORDS[i] for i in rng.integers(0, len(WORDS), int(rng.integers(min_words, max_words + 1)))]
        pairs.append((" ".join(words), " ".join(reversed(words)).upper()))
    return pairs


def write_reversal_corpus(
    folder: str | Path, *, train_pairs: int = 1200, valid_pairs: int = 60, seed: int = 0
) -> dict[str, str]:
    """Write train/valid .src/.tgt files into ``folder``; returns the ``data`` config keys pointing at them."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    paths: dict[str, str] = {}
    for split, n in (("train", train_pairs), ("valid", valid_pairs)):
        pairs = reversal_pairs(n, rng)
        for side, index in (("src", 0), ("tgt", 1)):
            path = folder / f"{split}.{side}"
            path.write_text("".join(f"{pair[index]}\n" for pair in pairs), encoding="utf-8")
            paths[f"{split}_{side}"] = str(path)
    return paths
