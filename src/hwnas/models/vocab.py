"""Special token ids shared by the models, the tokenizer and decoding.

The SentencePiece tokenizer (``hwnas.data.tokenizer``) must reserve exactly these ids, so every tensor of token ids
means the same thing everywhere. Padding is 0 so that ``tokens.ne(PAD_ID)`` doubles as the position mask (position
0 = padding = zero position vector). The decoder input starts with EOS, as in fairseq (and so HAT): target
``a b c EOS`` is fed as ``EOS a b c`` — one id marks both a sentence boundary and the decoder start.
"""

from __future__ import annotations

PAD_ID: int = 0
UNK_ID: int = 1
BOS_ID: int = 2
EOS_ID: int = 3

DECODER_START_ID: int = EOS_ID  # fairseq convention; BOS_ID is reserved but never fed to the decoder

SPECIAL_IDS: dict[str, int] = {"pad": PAD_ID, "unk": UNK_ID, "bos": BOS_ID, "eos": EOS_ID}
