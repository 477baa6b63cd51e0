"""SentencePiece joint BPE: trained on a corpus's training split, saved with the run, reloaded by path.

Special ids are fixed so that models, batching and decoding agree without looking them up:

====  =======  ==========================================================================
id    piece    use
====  =======  ==========================================================================
0     <pad>    padding (so a zero-filled tensor is all padding; embeddings use padding_idx=0)
1     <unk>    a character never seen in training
2     <s>      begin of sentence (reserved; only added with ``add_bos=True``)
3     </s>     end of sentence: appended to every encoded sentence (``add_eos=True``); as in
               fairseq / HAT it also starts the decoder input (see :mod:`hwnas.data.collate`)
====  =======  ==========================================================================

These are the ids of :mod:`hwnas.models.vocab`, so tokenizer ids are model ids with no remapping.

Training reads sentences from an in-memory iterator and writes the model bytes to memory, then to ``model_path``
(inside the run directory), so no temporary files are needed. Determinism: the seed of SentencePiece's random
generator and the thread count are set explicitly (same sentences + same settings -> same model file).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from hwnas.core.errors import ConfigError, DataError
from hwnas.core.files import atomic_path

PAD_ID, UNK_ID, BOS_ID, EOS_ID = 0, 1, 2, 3
SPECIAL_IDS = frozenset({PAD_ID, BOS_ID, EOS_ID, UNK_ID})


class SentencePieceTokenizer:
    """A trained SentencePiece model: text <-> ids, with the fixed special ids above."""

    def __init__(self, model_path: str | Path) -> None:
        import sentencepiece as spm

        self.model_path = Path(model_path)
        if not self.model_path.is_file():
            raise DataError(f"tokenizer model {str(self.model_path)!r} does not exist")
        self._sp = spm.SentencePieceProcessor(model_file=str(self.model_path))
        found = (self._sp.pad_id(), self._sp.unk_id(), self._sp.bos_id(), self._sp.eos_id())
        if found != (PAD_ID, UNK_ID, BOS_ID, EOS_ID):
            raise DataError(
                f"tokenizer model {str(self.model_path)!r} has special ids pad/unk/bos/eos={found}; "
                f"hwnas needs {(PAD_ID, UNK_ID, BOS_ID, EOS_ID)} (train it with hwnas.data.tokenizer)"
            )

    @property
    def vocab_size(self) -> int:
        return int(self._sp.get_piece_size())

    def encode(self, text: str, *, add_bos: bool = False, add_eos: bool = True) -> list[int]:
        return self.encode_batch([text], add_bos=add_bos, add_eos=add_eos)[0]

    def encode_batch(self, texts: Sequence[str], *, add_bos: bool = False, add_eos: bool = True) -> list[list[int]]:
        return [list(ids) for ids in self._sp.encode(list(texts), add_bos=add_bos, add_eos=add_eos)]

    def decode(self, ids: Sequence[int]) -> str:
        """Detokenised text of ids up to the first </s>; <pad> and <s> are dropped.

        Pass generated tokens without the decoder start token (which is </s>): decoding stops at the first </s>.
        """
        return self.decode_batch([ids])[0]

    def decode_batch(self, batch: Sequence[Sequence[int]]) -> list[str]:
        return [self._sp.decode(_strip_specials(ids)) for ids in batch]

    def pieces(self, text: str) -> list[str]:
        return list(self._sp.encode(text, out_type=str))

    def id_to_piece(self, token: int) -> str:
        return str(self._sp.id_to_piece(int(token)))


def _strip_specials(ids: Sequence[int]) -> list[int]:
    kept: list[int] = []
    for token in (int(i) for i in ids):
        if token == EOS_ID:
            break
        if token not in (PAD_ID, BOS_ID):
            kept.append(token)
    return kept


# SentencePiece trainer options every hwnas tokenizer shares: the model's special ids, a quiet log, a shuffled sample.
_TRAINER_FIXED: dict[str, Any] = {
    "pad_id": PAD_ID,
    "bos_id": BOS_ID,
    "eos_id": EOS_ID,
    "unk_id": UNK_ID,
    "minloglevel": 2,
    "shuffle_input_sentence": True,
}


def train_sentencepiece(
    sentences: Iterable[str],
    *,
    model_path: str | Path,
    vocab_size: int,
    model_type: str = "bpe",
    character_coverage: float = 1.0,
    normalization: str = "nmt_nfkc",
    max_sentences: int | None = None,
    seed: int = 0,
    num_threads: int = 1,
) -> SentencePieceTokenizer:
    """Train a SentencePiece model on ``sentences`` and save it at ``model_path`` (parents created).

    ``max_sentences`` caps the training sample (drawn with the seeded generator); ``character_coverage=1.0`` suits
    languages with small alphabets (use ~0.9995 for CJK). ``normalization`` is a SentencePiece rule name.
    """
    import sentencepiece as spm

    if vocab_size <= len(SPECIAL_IDS):
        raise ConfigError(f"tokenizer vocab_size is {vocab_size}; it must exceed the {len(SPECIAL_IDS)} special ids")
    model = io.BytesIO()
    spm.set_random_generator_seed(seed)
    try:
        spm.SentencePieceTrainer.train(
            sentence_iterator=iter(sentences),
            model_writer=model,
            vocab_size=vocab_size,
            model_type=model_type,
            character_coverage=character_coverage,
            normalization_rule_name=normalization,
            num_threads=num_threads,
            input_sentence_size=max_sentences or 0,  # 0 = use every sentence
            **_TRAINER_FIXED,
        )
    except RuntimeError as exc:  # e.g. "Vocabulary size is too large. Please set it to a value <= N."
        raise ConfigError(f"tokenizer vocab_size={vocab_size} cannot be trained on this data: {exc}") from exc
    return _save(model.getvalue(), Path(model_path))


def _save(model_bytes: bytes, model_path: Path) -> SentencePieceTokenizer:
    with atomic_path(model_path) as partial:  # a crashed run never leaves half a model behind
        partial.write_bytes(model_bytes)
    return SentencePieceTokenizer(model_path)


def train_joint_bpe(
    src: Sequence[str],
    tgt: Sequence[str],
    *,
    model_path: str | Path,
    vocab_size: int,
    character_coverage: float = 1.0,
    seed: int = 0,
    num_threads: int = 1,
) -> SentencePieceTokenizer:
    """Joint BPE over both sides of a training split (shared vocabulary for tied embeddings, as HAT)."""
    return train_sentencepiece(
        [*src, *tgt],
        model_path=model_path,
        vocab_size=vocab_size,
        character_coverage=character_coverage,
        seed=seed,
        num_threads=num_threads,
    )
