"""`PlainTransformer`: a stock ``torch.nn.Transformer`` of comparable size, the baseline for throughput benchmarks.

Same interface as the SuperTransformer's ``forward`` (source tokens, source padding mask, decoder input -> logits),
same tied joint embedding, sqrt(d) scale and sinusoidal positions, so a benchmark compares the layer
implementations and nothing else. nn.Transformer's attention projects to ``d_model`` (no separate qkv dim) and
always has final encoder/decoder layer norms, so parameter counts differ slightly from a HAT subnet's.
"""

from __future__ import annotations

import math

import torch.nn.functional as F
from torch import Tensor, nn

from hwnas.models.layers import make_positions, sinusoidal_positions
from hwnas.models.subnet import SubnetDims
from hwnas.models.vocab import PAD_ID


class PlainTransformer(nn.Module):
    def __init__(
        self,
        *,
        vocab_size: int,
        d_model: int,
        nhead: int,
        dim_feedforward: int,
        encoder_layers: int,
        decoder_layers: int,
        dropout: float = 0.1,
        norm_first: bool = False,
        pad_id: int = PAD_ID,
    ) -> None:
        super().__init__()
        self.d_model, self.pad_id = d_model, pad_id
        self.embed_tokens = nn.Embedding(vocab_size, d_model, padding_idx=pad_id)
        nn.init.normal_(self.embed_tokens.weight, std=d_model**-0.5)
        self.transformer = nn.Transformer(
            d_model=d_model,
            nhead=nhead,
            num_encoder_layers=encoder_layers,
            num_decoder_layers=decoder_layers,
            dim_feedforward=dim_feedforward,
            dropout=dropout,
            batch_first=True,
            norm_first=norm_first,
        )

    @classmethod
    def matching(cls, dims: SubnetDims, *, vocab_size: int, **kwargs: object) -> PlainTransformer:
        """The nn.Transformer closest to a uniform subnet (one width, every layer alike): the benchmark baseline."""
        enc, dec = dims.encoder_layers[0], dims.decoder_layers[0]
        if dims.encoder_embed_dim != dims.decoder_embed_dim or enc.ffn_dim != dec.ffn_dim:
            raise ValueError("nn.Transformer needs one width and one FFN size for encoder and decoder")
        return cls(
            vocab_size=vocab_size,
            d_model=dims.encoder_embed_dim,
            nhead=enc.heads,
            dim_feedforward=enc.ffn_dim,
            encoder_layers=len(dims.encoder_layers),
            decoder_layers=len(dims.decoder_layers),
            **kwargs,  # type: ignore[arg-type]
        )

    def _embed(self, tokens: Tensor) -> Tensor:
        x: Tensor = math.sqrt(self.d_model) * self.embed_tokens(tokens)  # [B,T,d]
        return x + sinusoidal_positions(make_positions(tokens, self.pad_id), self.d_model, self.d_model)

    def forward(self, src_tokens: Tensor, src_padding_mask: Tensor | None, prev_output_tokens: Tensor) -> Tensor:
        """src [B,S], mask [B,S] True at pads (or None), decoder input [B,T] -> logits [B,T,V]."""
        length = prev_output_tokens.shape[1]
        causal = nn.Transformer.generate_square_subsequent_mask(length, device=src_tokens.device)  # [T,T]
        hidden = self.transformer(
            self._embed(src_tokens),
            self._embed(prev_output_tokens),
            tgt_mask=causal,
            tgt_is_causal=True,
            src_key_padding_mask=src_padding_mask,
            memory_key_padding_mask=src_padding_mask,
        )  # [B,T,d]
        return F.linear(hidden, self.embed_tokens.weight)  # [B,T,V]

    def num_params(self) -> int:
        return sum(p.numel() for p in self.parameters())


__all__ = ["PlainTransformer"]
