"""`EncoderDecoder`: the one forward / incremental-decoding code path of the supernet and the extracted model.

A subclass says which layers and widths are active (``_encoder_view`` / ``_decoder_view``) and owns a token table
``embed_tokens.weight`` [V, D] shared by encoder input, decoder input and output projection (each side reads its
leading columns, as HAT's shared ``EmbeddingSuper``). Everything else — embedding scale, sinusoidal positions,
HAT's arbitrary encoder-decoder attention, key/value caches — lives here once.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from hwnas.core.errors import ConfigError
from hwnas.models.attention import KVCache
from hwnas.models.layers import (
    DecoderLayer,
    DecoderLayerCache,
    leading,
    make_positions,
    sinusoidal_positions,
    to_autocast_dtype,
)

# Which kept encoder outputs the final encoder LayerNorm (pre-norm only) normalises for HAT's arbitrary
# encoder-decoder attention: "last" = only the final output, as HAT (its other kept layer outputs are raw);
# "all" = every kept output, what hwnas did before this option existed.
EncoderFinalNorm = Literal["last", "all"]
ENCODER_FINAL_NORMS: tuple[EncoderFinalNorm, ...] = ("last", "all")


def legacy_encoder_final_norm(normalize_before: bool) -> EncoderFinalNorm:
    """The setting a model saved before ``encoder_final_norm`` existed was trained with: "all" under pre-norm;
    under post-norm there is no final norm, so both settings compute the same and HAT's "last" is exact."""
    return "all" if normalize_before else "last"


def check_encoder_final_norm(owner: str, value: object) -> None:
    if value not in ENCODER_FINAL_NORMS:
        raise ConfigError(f"{owner}.encoder_final_norm = {value!r}; allowed: {', '.join(ENCODER_FINAL_NORMS)}")


def with_saved_encoder_final_norm(data: dict[str, Any]) -> dict[str, Any]:
    """A saved model config (JSON fields) with ``encoder_final_norm`` filled in as the model was trained when the
    file predates the option, so old checkpoints and model files keep computing exactly what they computed."""
    if "encoder_final_norm" not in data:
        data = {**data, "encoder_final_norm": legacy_encoder_final_norm(bool(data.get("normalize_before", False)))}
    return data


def padding_mask(tokens: Tensor, pad_id: int) -> Tensor | None:
    """[B,S] bool, True at pads; None when nothing is padded (lets attention use the fastest kernels)."""
    mask = tokens.eq(pad_id)
    return mask if bool(mask.any()) else None


def _decoder_layer(module: nn.Module) -> DecoderLayer:
    assert isinstance(module, DecoderLayer), type(module)
    return module


@dataclass(frozen=True)
class StackView:
    """The active part of one side (encoder or decoder)."""

    embed_dim: int  # active hidden width
    position_base_dim: int  # width the sinusoid frequencies come from (the super width)
    dropout: float  # on the scaled embeddings
    layers: Sequence[nn.Module]  # active layers, in order
    final_norm: nn.Module | None  # pre-norm only
    final_norm_scope: EncoderFinalNorm = "last"  # encoder only: which kept outputs ``final_norm`` applies to


@dataclass
class EncoderOut:
    """Encoder outputs kept for HAT's arbitrary encoder-decoder attention.

    ``states`` are the outputs of the last few encoder layers, newest first (``states[0]`` is the final output,
    after the final norm under pre-norm; the others are raw layer outputs unless ``encoder_final_norm="all"``),
    each [B,S,E]. A decoder layer attending to the last k layers sees ``cat(states[:k], dim=1)`` [B,k*S,E] (HAT's
    order), with the padding mask repeated k times. When the encoder has fewer than k layers, all of them are used.
    """

    states: tuple[Tensor, ...]
    padding_mask: Tensor | None  # [B,S] True at pads
    _memory: dict[int, tuple[Tensor, Tensor | None]] = field(default_factory=dict, repr=False)

    def memory(self, layers: int) -> tuple[Tensor, Tensor | None]:
        """(memory [B,k*S,E], SDPA mask bool [B,1,1,k*S] True = attend, or None) for the last ``layers`` layers."""
        k = min(layers, len(self.states))
        if k not in self._memory:
            mem = self.states[0] if k == 1 else torch.cat(self.states[:k], dim=1)  # [B,k*S,E]
            mask = None
            if self.padding_mask is not None:
                mask = (~self.padding_mask).repeat(1, k)[:, None, None, :]  # [B,1,1,k*S]
            self._memory[k] = (mem, mask)
        return self._memory[k]

    def reorder(self, order: Tensor) -> EncoderOut:
        """Rows picked (and repeated) by ``order`` [B'] — e.g. one copy per beam."""
        states = tuple(s.index_select(0, order) for s in self.states)
        mask = None if self.padding_mask is None else self.padding_mask.index_select(0, order)
        return EncoderOut(states, mask)


@dataclass
class DecoderCache:
    """Incremental-decoding state: per-layer key/value caches and how many target positions they hold."""

    layers: list[DecoderLayerCache]
    length: int = 0

    def reorder(self, order: Tensor, *, encoder_keys: bool = True) -> None:
        """Rows picked by ``order`` [B]: beam search calls this after choosing each step's surviving beams.

        ``encoder_keys=False`` leaves the encoder-decoder keys/values alone: exact when ``order`` only permutes rows
        that share one source sentence (the beams of a sentence), whose encoder keys/values are identical.
        """
        for layer in self.layers:
            layer.self_attn.reorder(order)
            if encoder_keys:
                layer.cross_attn.reorder(order)


class EncoderDecoder(nn.Module):
    """Shared encoder-decoder forward. Subclasses set ``embed_tokens`` and ``pad_id`` and define the two views."""

    embed_tokens: nn.Module
    pad_id: int

    def _table(self) -> Tensor:
        """The shared token table [V,D]."""
        weight = self.embed_tokens.weight
        assert isinstance(weight, Tensor)
        return weight

    def _encoder_view(self) -> StackView:
        raise NotImplementedError

    def _decoder_view(self) -> StackView:
        raise NotImplementedError

    def _embed(self, tokens: Tensor, view: StackView, start: int = 0) -> Tensor:
        """sqrt(d) * token embedding + sinusoidal positions of tokens[:, start:], then dropout.  -> [B,T-start,d]"""
        table = leading(self._table(), 1, view.embed_dim)  # [V,d] view of the shared table
        positions = make_positions(tokens, self.pad_id)[:, start:]  # [B,T']
        x = math.sqrt(view.embed_dim) * F.embedding(tokens[:, start:], table, self.pad_id)  # [B,T',d]
        x = x + sinusoidal_positions(positions, view.embed_dim, view.position_base_dim).to(x.dtype)
        x = to_autocast_dtype(x)  # [B,T',d] in the autocast dtype under autocast
        if self.training and view.dropout > 0.0:
            x = F.dropout(x, p=view.dropout, training=True)
        return x

    def encode(self, src_tokens: Tensor, src_padding_mask: Tensor | None = None) -> EncoderOut:
        """src_tokens [B,S]; src_padding_mask [B,S] bool True at pads (None: nothing padded)."""
        assert src_tokens.dim() == 2, f"src_tokens must be [B,S], got {tuple(src_tokens.shape)}"
        assert src_padding_mask is None or src_padding_mask.shape == src_tokens.shape
        view = self._encoder_view()
        keep = max(_decoder_layer(layer).ende_layers for layer in self._decoder_view().layers)
        attn_mask = None if src_padding_mask is None else ~src_padding_mask[:, None, None, :]  # [B,1,1,S]
        x = self._embed(src_tokens, view)  # [B,S,E]
        states: list[Tensor] = []
        for layer in view.layers:
            x = layer(x, attn_mask)
            states.append(x)
        kept = states[::-1][:keep]  # newest first
        if view.final_norm is not None:
            normed = len(kept) if view.final_norm_scope == "all" else 1
            kept = [view.final_norm(s) for s in kept[:normed]] + kept[normed:]
        return EncoderOut(tuple(kept), src_padding_mask)

    def new_cache(self) -> DecoderCache:
        layers = self._decoder_view().layers
        return DecoderCache([DecoderLayerCache(KVCache(), KVCache()) for _ in layers])

    def decode(self, prev_output_tokens: Tensor, encoder_out: EncoderOut, cache: DecoderCache | None = None) -> Tensor:
        """Logits [B,T',V] for the target positions not yet in ``cache`` (all T without a cache).

        prev_output_tokens [B,T] is always the whole prefix (positions are counted on it); with a cache, calls after
        the first feed exactly one new position.
        """
        assert prev_output_tokens.dim() == 2, f"prev_output_tokens must be [B,T], got {tuple(prev_output_tokens.shape)}"
        view = self._decoder_view()
        start = 0 if cache is None else cache.length
        assert cache is None or len(cache.layers) == len(view.layers), "cache built for another sub-network"
        x = self._embed(prev_output_tokens, view, start)  # [B,T',E]
        for i, module in enumerate(view.layers):
            layer = _decoder_layer(module)
            memory, memory_mask = encoder_out.memory(layer.ende_layers)
            x = layer(x, memory, memory_mask, None if cache is None else cache.layers[i])
        if cache is not None:
            cache.length = prev_output_tokens.shape[1]
        if view.final_norm is not None:
            x = view.final_norm(x)
        return F.linear(x, leading(self._table(), 1, view.embed_dim))  # tied output projection [B,T',V]

    def decode_step(self, prev_output_tokens: Tensor, encoder_out: EncoderOut, cache: DecoderCache | None) -> Tensor:
        """Logits [B,V] of the next token after the prefix [B,T]; ``cache=None`` recomputes the whole prefix."""
        return self.decode(prev_output_tokens, encoder_out, cache)[:, -1, :]

    def forward(self, src_tokens: Tensor, src_padding_mask: Tensor | None, prev_output_tokens: Tensor) -> Tensor:
        """Teacher-forced logits [B,T,V] for source [B,S] (padding mask [B,S] or None) and decoder input [B,T]."""
        assert src_tokens.shape[0] == prev_output_tokens.shape[0], "source and target batch sizes differ"
        return self.decode(prev_output_tokens, self.encode(src_tokens, src_padding_mask))
