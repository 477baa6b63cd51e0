"""The evaluator contract (archs -> metrics, batched), the analytic evaluator, and the evaluator registry.

Evaluators are the seam between search and everything that measures or predicts: later issues register
"latency", "supernet", "llm" and "bench" evaluators here (or from a plugin module, see
:mod:`hwnas.search.plugins`) without touching the run loop.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol, TypeAlias, runtime_checkable

from hwnas.core.arch import Arch
from hwnas.core.errors import ConfigError, HwnasError, UnknownNameError
from hwnas.core.space import SearchSpace
from hwnas.search.plugins import load_plugins


@runtime_checkable
class Evaluator(Protocol):
    """Turns archs into metrics. ``metrics`` names what ``evaluate`` returns for every arch; ``cheap`` says whether
    it costs about as little as drawing an arch (then constraints on its metrics are checked before any other
    evaluation, and searchers redraw candidates that violate them).

    An evaluator used as the fitness (``--fitness`` or a ``--fitness-schedule`` phase) may also set
    ``fitness_direction = "max"`` when its first metric is better higher (e.g. a predicted BLEU); the loop reads it
    with :func:`fitness_direction` and defaults to ``"min"`` (a loss)."""

    metrics: tuple[str, ...]
    cheap: bool

    def evaluate(self, archs: Sequence[Arch]) -> list[dict[str, float]]:
        """One metrics dict per arch, in order. Raising fails the batch (the loop then retries archs one by one
        so that only the culprit becomes a failed record)."""
        ...


EvaluatorFactory: TypeAlias = Callable[..., Evaluator]
"""Called as ``factory(space, **options)`` with exactly the options it declared when registered."""

# Run settings an evaluator may ask for (each is a SearchConfig key and a `hwnas search` flag).
EVALUATOR_OPTIONS = ("checkpoint", "latency_model", "accuracy_model", "device")


def fitness_direction(evaluator: Evaluator) -> str:
    """``"min"`` or ``"max"``: how the evaluator's first metric ranks archs when it is the fitness."""
    direction = getattr(evaluator, "fitness_direction", "min")
    if direction not in ("min", "max"):
        raise ConfigError(
            f"evaluator {type(evaluator).__name__} has fitness_direction {direction!r}; allowed: 'min', 'max'"
        )
    return str(direction)


class AnalyticEvaluator:
    """Parameter counts and FLOPs/MACs computed from the arch alone (:func:`hwnas.metrics.analytic_metrics`).

    ``metrics`` holds the four common keys plus the extras the space's family reports (e.g. ``flops_encoder``),
    read off the space's smallest arch, so constraints and objectives may use any of them.
    """

    cheap: bool = True

    def __init__(self, space: SearchSpace) -> None:
        from hwnas.metrics import ANALYTIC_METRICS, analytic_metrics

        self.space = space
        try:
            extras = [k for k in analytic_metrics(space.smallest(), space) if k not in ANALYTIC_METRICS]
        except HwnasError:  # a family without analytic metrics: evaluating says so, with the reason
            extras = []
        self.metrics: tuple[str, ...] = (*ANALYTIC_METRICS, *extras)

    def evaluate(self, archs: Sequence[Arch]) -> list[dict[str, float]]:
        from hwnas.metrics import analytic_metrics

        return [{k: float(v) for k, v in analytic_metrics(arch, self.space).items()} for arch in archs]


def _supernet(space: SearchSpace, *, checkpoint: str | None, device: str) -> Evaluator:
    """Validation loss of each subnet on the supernet run's validation pairs (HAT's search fitness)."""
    from hwnas.evaluate.supernet import supernet_factory

    if not checkpoint:
        raise ConfigError(
            "evaluator 'supernet' needs a trained supernet: give --checkpoint PATH (config key checkpoint)"
        )
    evaluator: Evaluator = supernet_factory(checkpoint, device=device)(space)
    return evaluator


def _latency(space: SearchSpace, *, device: str) -> Evaluator:
    """Latency measured on this machine's device (HAT's protocol; for small searches)."""
    from hwnas.hardware.evaluators import make_latency_evaluator

    return make_latency_evaluator(space, device=device)


def _latency_model(space: SearchSpace, *, latency_model: str | None, device: str) -> Evaluator:
    """Latency predicted by a saved predictor (default: the one shipped for the space and device); cheap."""
    from hwnas.hardware.evaluators import auto_device, make_latency_model_evaluator

    if latency_model:
        return make_latency_model_evaluator(space, latency_model=latency_model, device=device)
    try:
        return make_latency_model_evaluator(space, device=device)
    except UnknownNameError as exc:  # no dataset (hence no predictor) shipped for this space and device
        raise ConfigError(
            f"'latency' needs a latency predictor, and none is shipped for space {space.name!r} on "
            f"{auto_device(device)} (shipped: {', '.join(exc.known) or 'none'}); give --latency-model MODEL "
            "(measure with `hwnas latency collect`, fit with `hwnas latency fit`) or --evaluator latency to measure"
        ) from None


def _llm_distill(space: SearchSpace, *, accuracy_model: str | None) -> Evaluator:
    """Predicted BLEU of a regressor distilled from LLM-PP's LLM predictions (LLM-Distill-PP); cheap, maximised."""
    try:
        from hwnas.llm.distill import make_distilled_evaluator
    except ImportError as exc:  # an install without the LLM extras
        raise ConfigError(f"evaluator 'llm-distill' is unavailable: {exc}") from None
    evaluator: Evaluator = make_distilled_evaluator(space, accuracy_model=accuracy_model)
    return evaluator


_EVALUATORS: dict[str, tuple[EvaluatorFactory, tuple[str, ...]]] = {
    "analytic": (AnalyticEvaluator, ()),
    "supernet": (_supernet, ("checkpoint", "device")),
    "latency": (_latency, ("device",)),
    "latency-model": (_latency_model, ("latency_model", "device")),
    "llm-distill": (_llm_distill, ("accuracy_model",)),
}


def register_evaluator(name: str, factory: EvaluatorFactory, *, options: Sequence[str] = ()) -> None:
    """Make ``factory`` available as ``--evaluator NAME`` (re-registering a name replaces it). ``options`` names
    the run settings (of :data:`EVALUATOR_OPTIONS`) passed to it as keyword arguments."""
    unknown = sorted(set(options) - set(EVALUATOR_OPTIONS))
    if unknown:
        raise ValueError(f"evaluator {name!r}: unknown option {unknown[0]!r}; allowed: {', '.join(EVALUATOR_OPTIONS)}")
    _EVALUATORS[name] = (factory, tuple(options))


def evaluator_names() -> list[str]:
    load_plugins()
    return sorted(_EVALUATORS)


def make_evaluator(name: str, space: SearchSpace, options: Mapping[str, Any] | None = None) -> Evaluator:
    load_plugins()
    if name not in _EVALUATORS:
        raise UnknownNameError("evaluator", name, list(_EVALUATORS))
    factory, wanted = _EVALUATORS[name]
    given = options or {}
    return factory(space, **{key: given.get(key) for key in wanted})
