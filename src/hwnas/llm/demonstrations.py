"""A user's own LLM-PP demonstrations and task text, for distilling a predictor on any HAT-family space.

The seed-arch tasks of LLM-PP come with their demonstrations and task text; a user's space does not. Here the
demonstrations come from a JSONL file of measured archs (``{"arch": {"space", "genes"}, "value": float}`` or the
flat ``{"space", "genes", "value"}`` per line), checked line by line against the space, and the task text from
either a registered corpus (``multi30k`` or ``multi30k:en-de``: the language pair and a few sentence pairs come
from the corpus) or free text the user writes.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hwnas.core.errors import DataError, InvalidArchError
from hwnas.core.space import SearchSpace
from hwnas.llm.llmpp import Demonstration
from hwnas.llm.seedarchs import corpus_examples

LANGUAGES = {"en": "English", "de": "German", "fr": "French", "es": "Spanish", "cs": "Czech", "ru": "Russian"}
EXAMPLE_SPLITS = ("val", "valid", "dev", "test")  # preferred splits for example pairs (then any "test..." split)
MIN_DEMONSTRATIONS = 1


def file_sha256(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def load_demonstrations(path: str | Path, space: SearchSpace) -> list[Demonstration]:
    """The demonstrations in ``path``, every arch validated against ``space``; a bad line is a DataError naming
    the file, the line and the reason."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot read demonstrations file {str(path)!r} (config key demonstrations): {exc}") from None
    demos = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            demos.append(_demonstration(line, space, f"demonstrations file {str(path)!r} line {number}"))
    if len(demos) < MIN_DEMONSTRATIONS:
        raise DataError(
            f"demonstrations file {str(path)!r} holds no demonstrations; give one "
            '{"arch": {"space": ..., "genes": {...}}, "value": NUMBER} per line'
        )
    return demos


def _demonstration(line: str, space: SearchSpace, where: str) -> Demonstration:
    try:
        data = json.loads(line)
    except ValueError as exc:
        raise DataError(f"{where} is not valid JSON: {exc}") from None
    if not isinstance(data, Mapping):
        raise DataError(f"{where}: expected an object with 'arch' (or 'space' and 'genes') and 'value'")
    arch_data: Any = data.get("arch", data)
    if not isinstance(arch_data, Mapping) or not isinstance(arch_data.get("genes"), Mapping):
        raise DataError(f"{where}: no 'genes' mapping (expected 'arch': {{'space', 'genes'}} or top-level 'genes')")
    named = arch_data.get("space", space.name)
    if named != space.name:
        raise DataError(f"{where}: the arch is for space {named!r}, not {space.name!r}")
    value = data.get("value")
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise DataError(f"{where}: 'value' must be a finite number, got {value!r}")
    try:
        arch = space.make(arch_data["genes"])
    except (InvalidArchError, TypeError, ValueError) as exc:
        raise DataError(f"{where}: {exc}") from None
    return Demonstration(arch, float(value))


@dataclass(frozen=True)
class UserTask:
    """What a prompt says about the task: the template's ``task`` variables, example pairs, and a note (empty when
    examples were drawn, else why none were)."""

    variables: dict[str, str]
    examples: list[dict[str, str]]
    note: str = ""


def user_task(text: str | None, *, metric: str, examples: int, seed: int) -> UserTask:
    """The task from a corpus name (``NAME`` or ``NAME:SRC-TGT``) when it names a registered corpus, else from
    ``text`` itself; without text, a generic machine-translation task."""
    from hwnas.data.corpus import mt_corpora

    if not text:
        description = f"machine translation with an encoder-decoder Transformer; quality is measured by {metric}."
        return UserTask(_variables("translation", description), [])
    name, _, pair = text.partition(":")
    if name in mt_corpora():
        return _corpus_task(name, pair, metric=metric, examples=examples, seed=seed)
    return UserTask(_variables("custom", text.strip()), [])


def _variables(name: str, description: str, corpus: str = "", src: str = "", tgt: str = "") -> dict[str, str]:
    return {
        "name": name,
        "description": description,
        "corpus": corpus,
        "source_language": src,
        "target_language": tgt,
    }


def _corpus_task(name: str, pair: str, *, metric: str, examples: int, seed: int) -> UserTask:
    from hwnas.data.corpus import corpus_splits

    splits = corpus_splits(name)
    src, tgt = _language_pair(name, pair, splits)
    source, target = LANGUAGES.get(src, src), LANGUAGES.get(tgt, tgt)
    description = f"{name}: translate {source} text into {target}; quality is measured by {metric}."
    variables = _variables(name, description, name, source, target)
    split = next((s for s in EXAMPLE_SPLITS if s in splits), next((s for s in splits if s.startswith("test")), None))
    if examples <= 0 or split is None:
        return UserTask(variables, [])
    pairs, note = corpus_examples(name, split, src, tgt, examples, seed)
    return UserTask(variables, pairs, note)


def _language_pair(name: str, pair: str, splits: Mapping[str, list[tuple[str, ...]]]) -> tuple[str, str]:
    """``SRC-TGT`` as given (checked against the corpus), or the corpus's first pair in the catalogue's order."""
    from hwnas.data.registry import get_dataset

    available = {tuple(sorted(sides)) for options in splits.values() for sides in options}
    if not pair:
        first = next(iter(next(iter(get_dataset(name).splits.values()))))
        src, tgt = tuple(first)[:2]
        return src, tgt
    src, sep, tgt = pair.partition("-")
    if not sep or tuple(sorted((src, tgt))) not in available or src == tgt:
        known = ", ".join("-".join(p) for p in sorted(available))
        raise DataError(f"task description {name}:{pair!r}: corpus {name!r} has language pairs {known} (SRC-TGT)")
    return src, tgt
