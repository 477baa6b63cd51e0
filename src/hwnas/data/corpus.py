"""Parallel corpora: aligned source/target sentence lists read from plain or gzip'd UTF-8 files.

A registered corpus is addressed by name and split (``load_corpus("multi30k", split="train", src="en",
tgt="de")``); a user's own corpus by its two paths (``load_parallel(src_path, tgt_path)``). Alignment is checked up
front: unequal line counts are a :class:`DataError` naming both files, not a silent truncation.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from hwnas.core.errors import DataError, UnknownNameError
from hwnas.data.registry import get_dataset, resolve

_GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True, kw_only=True)
class ParallelCorpus:
    """Sentence pairs: ``src[i]`` translates to ``tgt[i]``. Lines keep their text exactly (only the newline goes)."""

    name: str
    src_lang: str
    tgt_lang: str
    src: tuple[str, ...]
    tgt: tuple[str, ...]
    src_path: Path | None = None
    tgt_path: Path | None = None

    def __post_init__(self) -> None:
        if len(self.src) != len(self.tgt):
            raise DataError(
                f"corpus {self.name!r}: source has {len(self.src)} lines ({self.src_path}) but target has "
                f"{len(self.tgt)} lines ({self.tgt_path}); the two files must be line-aligned"
            )

    def __len__(self) -> int:
        return len(self.src)

    def __getitem__(self, index: int) -> tuple[str, str]:
        return self.src[index], self.tgt[index]

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(zip(self.src, self.tgt, strict=True))

    def subset(self, indices: Sequence[int]) -> ParallelCorpus:
        """A corpus of the given pairs, in that order (e.g. a fixed validation subset)."""
        return ParallelCorpus(
            name=self.name,
            src_lang=self.src_lang,
            tgt_lang=self.tgt_lang,
            src=tuple(self.src[i] for i in indices),
            tgt=tuple(self.tgt[i] for i in indices),
            src_path=self.src_path,
            tgt_path=self.tgt_path,
        )


def read_lines(path: str | Path) -> tuple[str, ...]:
    """All lines of a UTF-8 text file, gzip'd or not (decided by the file's magic bytes, not its name)."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"corpus file {str(path)!r} does not exist")
    raw = path.read_bytes()
    if raw[:2] == _GZIP_MAGIC:
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise DataError(f"corpus file {str(path)!r} is not valid gzip ({exc})") from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DataError(f"corpus file {str(path)!r} is not UTF-8 (line {line}: {exc.reason})") from exc
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the final newline ends the last line; it does not start a new one
    return tuple(line.removesuffix("\r") for line in lines)


def load_parallel(
    src_path: str | Path, tgt_path: str | Path, *, src_lang: str = "src", tgt_lang: str = "tgt", name: str = "user"
) -> ParallelCorpus:
    """A user's own corpus: two line-aligned files (plain or .gz, UTF-8)."""
    return ParallelCorpus(
        name=name,
        src_lang=src_lang,
        tgt_lang=tgt_lang,
        src=read_lines(src_path),
        tgt=read_lines(tgt_path),
        src_path=Path(src_path),
        tgt_path=Path(tgt_path),
    )


def corpus_splits(name: str) -> dict[str, list[tuple[str, ...]]]:
    """Split name -> the language sets available for it, e.g. ``{"test": [("de", "en"), ("en", "fr")]}``."""
    dataset = get_dataset(name)
    if not dataset.splits:
        raise DataError(f"dataset {name!r} is not a parallel corpus; corpora: {', '.join(mt_corpora())}")
    return {split: [tuple(sorted(sides)) for sides in options] for split, options in dataset.splits.items()}


def mt_corpora() -> list[str]:
    from hwnas.data.registry import datasets

    return [name for name, ds in datasets().items() if ds.splits]


def corpus_files(name: str, *, split: str, src: str, tgt: str) -> tuple[str, str]:
    """Registry paths (within the dataset folder) of the source and target files of a named split."""
    splits = corpus_splits(name)
    if split not in splits:
        raise UnknownNameError(f"split of corpus {name!r}", split, list(splits))
    for sides in get_dataset(name).splits[split]:
        if src in sides and tgt in sides and src != tgt:
            return sides[src], sides[tgt]
    pairs = ", ".join("-".join(p) for p in splits[split])
    raise DataError(f"corpus {name!r} split {split!r} has no {src}-{tgt} pair; available language pairs: {pairs}")


def load_corpus(name: str, *, split: str, src: str, tgt: str) -> ParallelCorpus:
    """A registered corpus split, resolved through HWNAS_DATA_DIR or the download cache."""
    src_file, tgt_file = corpus_files(name, split=split, src=src, tgt=tgt)
    src_path, tgt_path = resolve(name, src_file), resolve(name, tgt_file)
    return ParallelCorpus(
        name=f"{name}/{split}",
        src_lang=src,
        tgt_lang=tgt,
        src=read_lines(src_path),
        tgt=read_lines(tgt_path),
        src_path=src_path,
        tgt_path=tgt_path,
    )
