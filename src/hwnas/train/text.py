"""Text side of a run: corpora, the joint SentencePiece tokenizer (saved with the run and inside checkpoints) and
the encoded splits; :class:`PairTask` is the encoder-decoder's (``hat`` family's) text task. A decoder-only
language model reads plain text instead (:mod:`hwnas.train.lm_text`).

``TextCodec`` is the one bridge between tokenizer ids and model ids. The tokenizer (``hwnas.data.tokenizer``) and
the models (``hwnas.models.vocab``) each fix their special ids; where they differ, the codec permutes the special
ids on the way in and out, so training, the loss and beam search always see the models' ids (a permutation of
embedding rows costs nothing and is exact).
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch

from hwnas.core.errors import ConfigError, DataError
from hwnas.data import tokenizer as tok
from hwnas.data.batching import token_batches
from hwnas.data.corpus import ParallelCorpus, load_corpus, load_parallel
from hwnas.models import vocab as model_vocab
from hwnas.train.batches import Batch, PackedSequences, collate_packed
from hwnas.train.config import DataConfig
from hwnas.train.validation import make_eval_batches

if TYPE_CHECKING:
    from hwnas.train.kinds import TrainData

TOKENIZER_FILE = "tokenizer.model"


def _special_permutation() -> dict[int, int]:
    """tokenizer id -> model id for the special tokens (identity where the two agree)."""
    names = {"pad": "PAD_ID", "bos": "BOS_ID", "eos": "EOS_ID", "unk": "UNK_ID"}
    mapping = {int(getattr(tok, attr)): int(getattr(model_vocab, attr)) for attr in names.values()}
    if sorted(mapping) != sorted(mapping.values()):
        raise DataError(f"tokenizer and model special ids are not a permutation of each other: {mapping}")
    return {k: v for k, v in mapping.items() if k != v}


class TextCodec:
    """Text <-> model ids (every encoded sentence ends with the models' EOS)."""

    def __init__(self, tokenizer: tok.SentencePieceTokenizer, model_bytes: bytes) -> None:
        self.tokenizer, self.model_bytes = tokenizer, model_bytes
        self._to_model = _special_permutation()
        self._to_tok = {v: k for k, v in self._to_model.items()}

    @classmethod
    def load(cls, path: str | Path) -> TextCodec:
        path = Path(path)
        return cls(tok.SentencePieceTokenizer(path), path.read_bytes())

    @classmethod
    def from_bytes(cls, model_bytes: bytes) -> TextCodec:
        """Rebuild from the bytes stored in a checkpoint (SentencePiece loads from a path, so a temp file)."""
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / TOKENIZER_FILE
            path.write_bytes(model_bytes)
            return cls(tok.SentencePieceTokenizer(path), model_bytes)

    @property
    def vocab_size(self) -> int:
        return self.tokenizer.vocab_size

    def _map(self, ids: Sequence[int], table: dict[int, int]) -> list[int]:
        return [table.get(i, i) for i in ids] if table else list(ids)

    def encode_batch(self, texts: Sequence[str]) -> list[list[int]]:
        return [self._map(ids, self._to_model) for ids in self.tokenizer.encode_batch(texts, add_eos=True)]

    def decode_batch(self, batch: Sequence[Sequence[int]]) -> list[str]:
        return self.tokenizer.decode_batch([self._map(ids, self._to_tok) for ids in batch])


@dataclass(frozen=True)
class EncodedSplit:
    """Model-id sequences of one split (aligned, packed for fast collation) plus its raw text."""

    src: list[list[int]]
    tgt: list[list[int]]
    src_text: tuple[str, ...]
    tgt_text: tuple[str, ...]
    packed_src: PackedSequences = field(init=False)
    packed_tgt: PackedSequences = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "packed_src", PackedSequences(self.src))
        object.__setattr__(self, "packed_tgt", PackedSequences(self.tgt))

    def __len__(self) -> int:
        return len(self.src)

    @property
    def src_lengths(self) -> np.ndarray:
        return self.packed_src.lengths

    @property
    def tgt_lengths(self) -> np.ndarray:
        return self.packed_tgt.lengths

    def batch(self, indices: Sequence[int]) -> Batch:
        return collate_packed(self.packed_src, self.packed_tgt, indices)

    def token_batches(
        self, *, max_tokens: int, rng: np.random.Generator | None, max_positions: int | None
    ) -> list[list[int]]:
        """Index batches of pairs of similar lengths (:func:`hwnas.data.batching.token_batches`)."""
        return token_batches(
            self.src_lengths, self.tgt_lengths, max_tokens=max_tokens, rng=rng, max_positions=max_positions
        )


def encode_corpus(codec: TextCodec, corpus: ParallelCorpus) -> EncodedSplit:
    return EncodedSplit(codec.encode_batch(corpus.src), codec.encode_batch(corpus.tgt), corpus.src, corpus.tgt)


def load_split(data: DataConfig, which: str) -> ParallelCorpus:
    """The ``train`` or ``valid`` corpus of a config (a registered corpus split or the user's two files)."""
    if data.corpus is None:
        src, tgt = (data.train_src, data.train_tgt) if which == "train" else (data.valid_src, data.valid_tgt)
        assert src is not None and tgt is not None  # checked by DataConfig
        corpus = load_parallel(src, tgt, src_lang=data.src_lang, tgt_lang=data.tgt_lang, name=f"user/{which}")
    else:
        split = data.train_split if which == "train" else data.valid_split
        corpus = load_corpus(data.corpus, split=split, src=data.src_lang, tgt=data.tgt_lang)
    limit = data.max_train_pairs if which == "train" else data.valid_subset
    if limit is not None and limit < len(corpus):
        corpus = corpus.subset(range(limit))
    if len(corpus) == 0:
        raise DataError(f"the {which} corpus {corpus.name!r} is empty")
    return corpus


def train_codec(corpus: ParallelCorpus, *, path: Path, vocab_size: int, seed: int) -> TextCodec:
    """Joint BPE on both sides of the training corpus, saved at ``path``."""
    tok.train_joint_bpe(corpus.src, corpus.tgt, model_path=path, vocab_size=vocab_size, seed=seed)
    return TextCodec.load(path)


class PairTask:
    """The encoder-decoder's text: the pairs of a parallel corpus, a joint BPE over both sides, teacher-forced
    pair batches (a :class:`~hwnas.train.kinds.TextTask`)."""

    def __init__(self, data: DataConfig) -> None:
        if data.train_text is not None or data.valid_text is not None:
            raise ConfigError(
                "data.train_text/valid_text are plain text for a language model (a gpt space); an encoder-decoder "
                "reads pairs: set data.corpus or data.train_src/train_tgt/valid_src/valid_tgt"
            )
        self.data = data

    def load(self, which: str) -> ParallelCorpus:
        return load_split(self.data, which)

    def train_codec(self, corpus: ParallelCorpus, *, path: Path, seed: int) -> TextCodec:
        return train_codec(corpus, path=path, vocab_size=self.data.vocab_size, seed=seed)

    def encode(self, codec: TextCodec, corpus: ParallelCorpus) -> EncodedSplit:
        return encode_corpus(codec, corpus)

    def eval_batches(self, data: TrainData, *, max_tokens: int, device: torch.device) -> list[Batch]:
        assert isinstance(data, EncodedSplit), type(data)
        return make_eval_batches(data.src, data.tgt, max_tokens=max_tokens, device=device)
