"""Plain text for a decoder-only language model (the ``gpt`` family's text task): texts, tokenizer, LM batches.

The text is a registered parallel corpus's target side (``data.corpus``; its ``tgt_lang`` is the text's language)
or the user's own files (``data.train_text`` / ``data.valid_text``: one text per line, plain or .gz); blank lines
are skipped. A SentencePiece BPE is trained on the training texts; each line is encoded ending with EOS and cut
into consecutive pieces of at most ``min(block_size, data.max_len)`` tokens, so every token is trained on and
scored exactly once (a piece after the first starts without the text before it). A batch feeds
``EOS + piece[:-1]`` (EOS is the models' start id, as the encoder-decoder's decoder input) and predicts the piece:
next-token prediction. Right padding cannot reach a real position through causal attention, and the loss skips it,
so the mean token NLL over a split is exactly the language model's, and its exp the perplexity.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import Tensor, nn

from hwnas.core.errors import ConfigError, DataError
from hwnas.data import tokenizer as tok
from hwnas.data.batching import token_batches
from hwnas.data.corpus import load_corpus, read_lines
from hwnas.models.vocab import DECODER_START_ID
from hwnas.train.batches import PackedSequences
from hwnas.train.config import DataConfig
from hwnas.train.kinds import TrainData
from hwnas.train.text import TextCodec


@dataclass(frozen=True)
class TextCorpus:
    name: str
    lines: tuple[str, ...]  # non-blank texts, one per line of the source

    def __len__(self) -> int:
        return len(self.lines)


def load_texts(data: DataConfig, which: str) -> TextCorpus:
    """The ``train`` or ``valid`` texts of a config (first ``max_train_pairs`` / ``valid_subset`` lines if set)."""
    if data.corpus is not None:
        split = data.train_split if which == "train" else data.valid_split
        pairs = load_corpus(data.corpus, split=split, src=data.src_lang, tgt=data.tgt_lang)
        name, lines = f"{pairs.name}.{data.tgt_lang}", pairs.tgt
    else:
        path = data.train_text if which == "train" else data.valid_text
        assert path is not None, "checked by LanguageModelTask"
        name, lines = f"user/{which}", read_lines(path)
    kept = tuple(line for line in lines if line.strip())
    limit = data.max_train_pairs if which == "train" else data.valid_subset
    if limit is not None:
        kept = kept[:limit]
    if not kept:
        raise DataError(f"the {which} text {name!r} has no non-blank line")
    return TextCorpus(name=name, lines=kept)


@dataclass(frozen=True)
class LMBatch:
    """Next-token prediction on pieces of text (right-padded with PAD_ID)."""

    tokens: Tensor  # [B,T] = EOS + piece[:-1]
    target: Tensor  # [B,T] = piece
    num_target_tokens: int  # non-pad target tokens

    @property
    def num_tokens(self) -> int:
        """Tokens predicted (each is also read once): what tokens/s counts."""
        return self.num_target_tokens

    def to(self, device: torch.device) -> LMBatch:
        blocking = device.type != "cuda"
        tokens = self.tokens.to(device, non_blocking=not blocking)
        return LMBatch(tokens, self.target.to(device, non_blocking=not blocking), self.num_target_tokens)

    def logits(self, model: nn.Module) -> Tensor:
        out: Tensor = model(self.tokens)  # [B,T,V]
        return out


class EncodedText:
    """The pieces of a split's texts, packed for fast collation."""

    def __init__(self, pieces: Sequence[Sequence[int]]) -> None:
        self.packed = PackedSequences(pieces)

    def __len__(self) -> int:
        return len(self.packed)

    @property
    def lengths(self) -> np.ndarray:
        return self.packed.lengths

    def batch(self, indices: Sequence[int]) -> LMBatch:
        rows = np.asarray(indices, dtype=np.int64)
        return LMBatch(
            tokens=torch.from_numpy(self.packed.padded(rows, shift_in=DECODER_START_ID)),
            target=torch.from_numpy(self.packed.padded(rows)),
            num_target_tokens=int(self.lengths[rows].sum()),
        )

    def token_batches(
        self, *, max_tokens: int, rng: np.random.Generator | None, max_positions: int | None
    ) -> list[list[int]]:
        """Index batches of pieces of similar lengths (at most ``max_tokens`` padded tokens each)."""
        return token_batches(self.lengths, self.lengths, max_tokens=max_tokens, rng=rng, max_positions=max_positions)


def cut(ids: Sequence[int], length: int) -> list[list[int]]:
    """Consecutive pieces of at most ``length`` ids."""
    return [list(ids[i : i + length]) for i in range(0, len(ids), length)]


class LanguageModelTask:
    """The decoder-only language model's text (a :class:`~hwnas.train.kinds.TextTask`)."""

    def __init__(self, data: DataConfig, *, block_size: int) -> None:
        if data.corpus is None and (data.train_text is None or data.valid_text is None):
            raise ConfigError(
                "a gpt space trains a language model on plain text: set data.train_text/valid_text (one text per "
                "line), or data.corpus (its tgt_lang side is read); data.train_src/train_tgt/... are for translation"
            )
        self.data = data
        self.piece_length = min(block_size, data.max_len)

    def load(self, which: str) -> TextCorpus:
        return load_texts(self.data, which)

    def train_codec(self, corpus: TextCorpus, *, path: Path, seed: int) -> TextCodec:
        tok.train_sentencepiece(corpus.lines, model_path=path, vocab_size=self.data.vocab_size, seed=seed)
        return TextCodec.load(path)

    def encode(self, codec: TextCodec, corpus: TextCorpus) -> EncodedText:
        encoded = codec.encode_batch(corpus.lines)
        return EncodedText([piece for ids in encoded for piece in cut(ids, self.piece_length)])

    def eval_batches(self, data: TrainData, *, max_tokens: int, device: torch.device) -> list[LMBatch]:
        """Length-sorted batches of every piece (nothing dropped), on ``device``."""
        assert isinstance(data, EncodedText), type(data)
        budget = max(max_tokens, self.piece_length)  # a piece never fails to fit
        return [data.batch(b).to(device) for b in data.token_batches(max_tokens=budget, rng=None, max_positions=None)]
