"""The evaluators hardware implements, registered into the one evaluator registry with their options: ``latency``
(measured on a device with the space family's protocol) and ``latency-model`` (predicted by a saved latency
predictor; cheap). Only pydantic is imported here: the measuring code loads when an evaluator is built."""

from __future__ import annotations

from pydantic import Field

from hwnas.contracts.evaluator import EVALUATORS, Evaluator
from hwnas.contracts.options import Options
from hwnas.core.errors import ConfigError, UnknownNameError
from hwnas.core.space import SearchSpace

DEVICE_DOC = "auto (cuda when torch sees one, else cpu), cpu, cuda or cuda:N"


class LatencyOptions(Options):
    device: str = Field("auto", description=DEVICE_DOC)
    threads: int | None = Field(None, ge=1, description="CPU threads while measuring (default: the protocol's)")
    warmup: int = Field(3, ge=0, description="untimed runs before the timed ones")
    runs: int = Field(10, ge=1, description="timed runs per arch")
    dtype: str = Field("fp32", description="fp32, fp16 or bf16")


class LatencyModelOptions(Options):
    latency_model: str | None = Field(
        None, description="saved latency predictor (default: the one shipped for the space and device)"
    )
    device: str = Field("auto", description=f"device whose shipped predictor is used: {DEVICE_DOC}")


def latency(space: SearchSpace, options: LatencyOptions) -> Evaluator:
    """Latency measured on this machine's device (HAT's protocol; for small searches)."""
    from hwnas.hardware.evaluators import MeasuredLatencyEvaluator

    return MeasuredLatencyEvaluator(space, **options.model_dump())


def latency_model(space: SearchSpace, options: LatencyModelOptions) -> Evaluator:
    """Latency predicted by a saved predictor (default: the one shipped for the space and device); cheap."""
    from hwnas.hardware.evaluators import auto_device, make_latency_model_evaluator

    if options.latency_model:
        return make_latency_model_evaluator(space, latency_model=options.latency_model, device=options.device)
    try:
        return make_latency_model_evaluator(space, device=options.device)
    except UnknownNameError as exc:  # no dataset (hence no predictor) shipped for this space and device
        raise ConfigError(
            f"'latency' needs a latency predictor, and none is shipped for space {space.name!r} on "
            f"{auto_device(options.device)} (shipped: {', '.join(exc.known) or 'none'}); give --latency-model MODEL "
            "(measure with `hwnas latency collect`, fit with `hwnas latency fit`) or --evaluator latency to measure"
        ) from None


EVALUATORS.register("latency", latency, options=LatencyOptions, summary=latency.__doc__ or "")
EVALUATORS.register("latency-model", latency_model, options=LatencyModelOptions, summary=latency_model.__doc__ or "")
