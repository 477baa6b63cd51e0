"""``hat-mt``: HAT's latency protocol for encoder-decoder MT, the ``hat`` family's measurement protocol.

The standalone model of the arch (:class:`hwnas.models.TransformerModel`, random weights) encodes one
``src_len``-token sentence (timed: the encoder); the encoder output is repeated for ``beam`` hypotheses once
(untimed, as in HAT), then one decoder run is ``tgt_len`` incremental steps on those hypotheses with the key/value
cache, each step including the output projection — the calls HAT times, without beam bookkeeping (top-k,
reordering), which HAT does not time either. Each decoder run starts from a fresh encoder output and a fresh
cache, so it does all the work of a translation: the concatenated memory of a layer attending to the last k
encoder layers and the encoder-decoder keys/values are computed at its first step (once per translation, as
hwnas's beam search does; HAT concatenates at every step) and never carried over from an earlier run. HAT uses 30
tokens (23 for IWSLT) and beam 5.

The model runs as :func:`hwnas.hardware.measure_arch` sets it up (eval mode, ``torch.inference_mode``, fixed
threads, the settings' dtype); torch loads when a model is built, not when the family is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hwnas.core.arch import Arch
from hwnas.core.space import SearchSpace
from hwnas.families.hat.decode import decode
from hwnas.hardware.settings import MeasureSettings, with_defaults

if TYPE_CHECKING:
    from torch import nn

    from hwnas.hardware.timing import TimedPhase

HAT_BEAM = 5  # HAT measures the decoder on 5 hypotheses (beam 5)


class HatMTProtocol:
    name = "hat-mt"
    phases = ("encoder", "decoder")
    required_settings = ("src_len", "tgt_len", "beam")

    def default_settings(self, space: SearchSpace, **overrides: Any) -> MeasureSettings:
        values: dict[str, Any] = {
            "protocol": self.name,
            "src_len": int(space.constants.get("src_len", 30)),
            "tgt_len": int(space.constants.get("tgt_len", 30)),
            "beam": HAT_BEAM,
            "batch": 1,
        }
        return with_defaults(values, overrides)

    def build(self, arch: Arch, space: SearchSpace) -> nn.Module:
        from hwnas.models import TransformerConfig, TransformerModel

        space.validate(arch)
        config = TransformerConfig(
            vocab_size=int(space.constants["vocab_size"]),
            dims=decode(arch, space),
            qkv_dim=int(space.constants.get("qkv_dim", 512)),
        )
        return TransformerModel(config)

    def run_phases(self, model: nn.Module, space: SearchSpace, settings: MeasureSettings) -> dict[str, TimedPhase]:
        import torch

        from hwnas.hardware.protocols import random_tokens, timed
        from hwnas.models import DECODER_START_ID
        from hwnas.models.encdec import EncoderOut

        assert settings.src_len and settings.tgt_len and settings.beam
        device = next(model.parameters()).device
        vocab = int(space.constants["vocab_size"])
        generator = torch.Generator().manual_seed(settings.seed)
        src = random_tokens((settings.batch, settings.src_len), vocab, generator, device)  # [B,S]
        hyps = settings.batch * settings.beam
        prefix = random_tokens((hyps, settings.tgt_len), vocab, generator, device)  # [B*beam,T]
        prefix[:, 0] = DECODER_START_ID
        encoder = timed(lambda: model.encode(src, None), settings, device)  # type: ignore[operator]
        order = torch.arange(settings.batch, device=device).repeat_interleave(settings.beam)  # [B*beam]
        beams = model.encode(src, None).reorder(order)  # type: ignore[operator]

        def decoder_run() -> None:
            enc_out = EncoderOut(beams.states, beams.padding_mask)  # nothing derived from it is carried over
            cache = model.new_cache()  # type: ignore[operator]
            for step in range(settings.tgt_len or 0):
                model.decode_step(prefix[:, : step + 1], enc_out, cache)  # type: ignore[operator]  # [B*beam,V]

        decoder = timed(decoder_run, settings, device)
        return {"encoder": encoder, "decoder": decoder}
