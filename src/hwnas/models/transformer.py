"""`TransformerModel`: a standalone encoder-decoder of one architecture (extracted from a supernet, or fresh).

It holds only its own weights, in plain ``nn.Linear`` / ``nn.Embedding`` / ``nn.LayerNorm`` modules, runs the same
forward code as the supernet (``EncoderDecoder``), and saves to one file: a plain dict of JSON config text and a
state dict, loadable with ``torch.load(weights_only=True)`` (no pickled classes).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from hwnas.core.arch import Arch
from hwnas.core.errors import DataError
from hwnas.core.files import atomic_path
from hwnas.models.attention import Attention
from hwnas.models.dropout import DropoutRates, DropoutScaling, check_dropout_scaling, legacy_dropout_scaling
from hwnas.models.encdec import (
    EncoderDecoder,
    EncoderFinalNorm,
    StackView,
    check_encoder_final_norm,
    with_saved_encoder_final_norm,
)
from hwnas.models.layers import (
    DecoderLayer,
    EncoderLayer,
    FeedForward,
    LayerNorm,
    LayerSettings,
)
from hwnas.models.subnet import DecoderLayerDims, EncoderLayerDims, SubnetDims, subnet_dims
from hwnas.models.vocab import PAD_ID
from hwnas.models.weight_init import init_linear, init_token_table
from hwnas.spaces.registry import get_space

FILE_FORMAT = "hwnas.TransformerModel/1"


@dataclass(frozen=True, kw_only=True)
class TransformerConfig:
    vocab_size: int  # joint vocabulary: one table for encoder input, decoder input and output projection
    dims: SubnetDims  # widths, depths and per-layer choices (the architecture)
    qkv_dim: int = 512  # fixed total q/k/v width (HAT)
    # The width each side was cut from (0 = own width): an extracted or retrained subnet keeps its supernet's, so
    # the sinusoid frequencies match exactly and HAT's dropout scaling has its super width.
    encoder_position_base_dim: int = 0
    decoder_position_base_dim: int = 0
    normalize_before: bool = False  # post-norm as HAT's WMT models; True = pre-norm
    encoder_final_norm: EncoderFinalNorm = "last"  # pre-norm: final encoder norm on the last output only (HAT)
    dropout: float = 0.3  # on sublayer outputs and embeddings (HAT WMT'14 En-De)
    attention_dropout: float = 0.1  # on attention probabilities
    activation_dropout: float = 0.0  # after the FFN's ReLU
    dropout_scaling: DropoutScaling = "hat"  # rates scaled by own width / base width as HAT (models/dropout.py)
    layer_norm_eps: float = 1e-5  # layer-norm epsilon
    pad_id: int = PAD_ID  # padding token (zero embedding row, masked in attention)

    def __post_init__(self) -> None:
        check_encoder_final_norm("TransformerConfig", self.encoder_final_norm)
        check_dropout_scaling("TransformerConfig", self.dropout_scaling)
        base = self.encoder_position_base_dim or self.dims.encoder_embed_dim
        object.__setattr__(self, "encoder_position_base_dim", base)
        base = self.decoder_position_base_dim or self.dims.decoder_embed_dim
        object.__setattr__(self, "decoder_position_base_dim", base)

    def layer_settings(self) -> LayerSettings:
        return LayerSettings(
            qkv_dim=self.qkv_dim,
            normalize_before=self.normalize_before,
            dropout=self.dropout,
            attention_dropout=self.attention_dropout,
            activation_dropout=self.activation_dropout,
            dropout_scaling=self.dropout_scaling,
            eps=self.layer_norm_eps,
        )

    def encoder_dropout(self) -> DropoutRates:
        return self.layer_settings().rates(self.dims.encoder_embed_dim, self.encoder_position_base_dim)

    def decoder_dropout(self) -> DropoutRates:
        return self.layer_settings().rates(self.dims.decoder_embed_dim, self.decoder_position_base_dim)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> TransformerConfig:
        """A saved config; one saved before ``dropout_scaling`` existed trained with the configured rates."""
        data = with_saved_encoder_final_norm(json.loads(text))
        data.setdefault("dropout_scaling", legacy_dropout_scaling(supernet=False))
        dims = SubnetDims.from_dict(data.pop("dims"))
        return cls(dims=dims, **data)

    @classmethod
    def from_arch(cls, arch: Arch, *, vocab_size: int | None = None, **settings: Any) -> TransformerConfig:
        """A config to train one architecture from scratch (validated with its space; qkv dim and vocabulary from
        the space's constants unless given)."""
        space = get_space(arch.space)
        space.validate(arch)
        vocab = int(vocab_size if vocab_size is not None else space.constants["vocab_size"])
        settings.setdefault("qkv_dim", int(space.constants.get("qkv_dim", 512)))
        return cls(vocab_size=vocab, dims=subnet_dims(arch, space), **settings)


def _norm(dim: int, s: LayerSettings) -> nn.LayerNorm:
    return LayerNorm(dim, eps=s.eps)


def _ffn(embed_dim: int, ffn_dim: int, activation_dropout: float) -> FeedForward:
    fc1, fc2 = init_linear(nn.Linear(embed_dim, ffn_dim)), init_linear(nn.Linear(ffn_dim, embed_dim))
    return FeedForward(fc1, fc2, activation_dropout=activation_dropout)


def _attention(query_dim: int, kv_dim: int, heads: int, s: LayerSettings, *, self_attention: bool) -> Attention:
    return Attention(
        query_dim=query_dim,
        kv_dim=kv_dim,
        qkv_dim=s.qkv_dim,
        num_heads=heads,
        self_attention=self_attention,
        dropout=s.attention_dropout,
    )


def build_encoder_layer(
    embed_dim: int, dims: EncoderLayerDims, s: LayerSettings, rates: DropoutRates | None = None
) -> EncoderLayer:
    """``rates``: the side's dropout rates (default: the settings' rates unscaled)."""
    r = rates or s.rates(embed_dim, embed_dim)
    return EncoderLayer(
        self_attn=_attention(embed_dim, embed_dim, dims.heads, s, self_attention=True),
        ffn=_ffn(embed_dim, dims.ffn_dim, r.activation),
        attn_norm=_norm(embed_dim, s),
        ffn_norm=_norm(embed_dim, s),
        normalize_before=s.normalize_before,
        dropout=r.residual,
        self_attn_residual_dropout=r.encoder_self_attn,
    )


def build_decoder_layer(
    embed_dim: int, encoder_dim: int, dims: DecoderLayerDims, s: LayerSettings, rates: DropoutRates | None = None
) -> DecoderLayer:
    r = rates or s.rates(embed_dim, embed_dim)
    return DecoderLayer(
        self_attn=_attention(embed_dim, embed_dim, dims.self_heads, s, self_attention=True),
        cross_attn=_attention(embed_dim, encoder_dim, dims.ende_heads, s, self_attention=False),
        ffn=_ffn(embed_dim, dims.ffn_dim, r.activation),
        attn_norm=_norm(embed_dim, s),
        cross_attn_norm=_norm(embed_dim, s),
        ffn_norm=_norm(embed_dim, s),
        ende_layers=dims.ende_layers,
        normalize_before=s.normalize_before,
        dropout=r.residual,
    )


class TransformerModel(EncoderDecoder):
    """A plain encoder-decoder Transformer of one architecture.

    The constructor initialises it for its own widths (HAT's rules over its own weight shapes, ``weight_init.py``);
    training from scratch starts by default from a fresh supernet's slices instead, as HAT does
    (``hwnas.train.modeling.build_model``, ``model.scratch_init``)."""

    def __init__(self, config: TransformerConfig) -> None:
        super().__init__()
        self.config, self.pad_id = config, config.pad_id
        d, s = config.dims, config.layer_settings()
        self.embed_tokens = nn.Embedding(config.vocab_size, d.shared_embed_dim, padding_idx=config.pad_id)
        init_token_table(self.embed_tokens.weight, config.pad_id)
        enc, dec = d.encoder_embed_dim, d.decoder_embed_dim
        enc_rates, dec_rates = config.encoder_dropout(), config.decoder_dropout()
        self.encoder_layers = nn.ModuleList(build_encoder_layer(enc, e, s, enc_rates) for e in d.encoder_layers)
        self.decoder_layers = nn.ModuleList(build_decoder_layer(dec, enc, x, s, dec_rates) for x in d.decoder_layers)
        self.encoder_norm: nn.Module | None = _norm(enc, s) if config.normalize_before else None
        self.decoder_norm: nn.Module | None = _norm(dec, s) if config.normalize_before else None

    @classmethod
    def from_parts(
        cls,
        config: TransformerConfig,
        *,
        embed_tokens: nn.Embedding,
        encoder_layers: list[EncoderLayer],
        decoder_layers: list[DecoderLayer],
        encoder_norm: nn.Module | None,
        decoder_norm: nn.Module | None,
    ) -> TransformerModel:
        """Assemble a model from existing modules (extraction): the skeleton is built on the meta device, so no
        throw-away weights are allocated, then every part is replaced."""
        with torch.device("meta"):
            model = cls(config)
        model.embed_tokens = embed_tokens
        model.encoder_layers = nn.ModuleList(encoder_layers)
        model.decoder_layers = nn.ModuleList(decoder_layers)
        model.encoder_norm, model.decoder_norm = encoder_norm, decoder_norm
        assert not any(p.is_meta for p in model.parameters()), "a part was not replaced"
        return model

    def _encoder_view(self) -> StackView:
        c = self.config
        return StackView(
            embed_dim=c.dims.encoder_embed_dim,
            position_base_dim=c.encoder_position_base_dim,
            dropout=c.encoder_dropout().embed,
            layers=tuple(self.encoder_layers),
            final_norm=self.encoder_norm,
            final_norm_scope=c.encoder_final_norm,
        )

    def _decoder_view(self) -> StackView:
        c = self.config
        return StackView(
            embed_dim=c.dims.decoder_embed_dim,
            position_base_dim=c.decoder_position_base_dim,
            dropout=c.decoder_dropout().embed,
            layers=tuple(self.decoder_layers),
            final_norm=self.decoder_norm,
        )

    def num_params(self, *, include_embeddings: bool = True) -> int:
        total = sum(p.numel() for p in self.parameters())
        return total if include_embeddings else total - self._table().numel()

    # persistence ----------------------------------------------------------------------------------------------
    def save(self, path: str | Path) -> None:
        """One file: {"format", "config" (JSON text), "state_dict"}, written atomically."""
        path = Path(path)
        state = {k: v.detach().cpu() for k, v in self.state_dict().items()}
        with atomic_path(path) as tmp:
            torch.save({"format": FILE_FORMAT, "config": self.config.to_json(), "state_dict": state}, tmp)

    @classmethod
    def load(cls, path: str | Path, *, map_location: str | torch.device = "cpu") -> TransformerModel:
        try:
            payload = torch.load(Path(path), map_location=map_location, weights_only=True)
        except (OSError, RuntimeError) as exc:
            raise DataError(f"cannot load model file {str(path)!r}: {exc}") from None
        if not isinstance(payload, Mapping) or payload.get("format") != FILE_FORMAT:
            raise DataError(f"{str(path)!r} is not a saved hwnas TransformerModel (expected format {FILE_FORMAT!r})")
        with torch.device("meta"):
            model = cls(TransformerConfig.from_json(payload["config"]))
        model.load_state_dict(payload["state_dict"], assign=True)
        return model
