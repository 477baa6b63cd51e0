"""Hand-made baselines the searched archs are compared with, at the same latency budget.

``uniform-shrink`` is what an engineer without NAS would do: take the largest model and shrink it uniformly —
fewer layers, a smaller embedding, a smaller FFN, the same in every layer and on both sides — until it fits the
budget. The search earns its keep only if it beats the largest such model that fits. Each baseline is a
function ``space -> archs, largest first``; the pipeline measures them on the device and picks, per budget, the
one with the best expected accuracy among those measured within it (:mod:`hwnas.pipeline.baseline_choice`).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

from hwnas.core.arch import Arch
from hwnas.core.errors import ConfigError
from hwnas.core.space import SearchSpace


@dataclass(frozen=True)
class ShrinkRule:
    """Which genes a uniform shrink may change: ``tied`` groups take one shared value (encoder and decoder
    alike), ``free`` genes (layer counts) vary on their own; every other gene keeps the largest model's value,
    and every per-layer gene holds one value in all layers."""

    tied: tuple[tuple[str, ...], ...]
    free: tuple[str, ...]


SHRINK_RULES: dict[str, ShrinkRule] = {
    "hat": ShrinkRule(
        tied=(("encoder_embed_dim", "decoder_embed_dim"), ("encoder_ffn_embed_dim", "decoder_ffn_embed_dim")),
        free=("encoder_layer_num", "decoder_layer_num"),
    ),
}


def _group_choices(space: SearchSpace, group: tuple[str, ...]) -> list[object]:
    """The values every gene of a tied group allows (largest first)."""
    common = [c for c in space.gene(group[0]).choices if all(space.gene(g).contains(c) for g in group[1:])]
    return sorted(common, key=_number, reverse=True)


def _number(value: object) -> float:
    return float(value)  # type: ignore[arg-type]  # the shrunk genes are numeric (sizes, layer counts)


def _uniform_arch(space: SearchSpace, values: dict[str, object]) -> Arch:
    """The largest arch with ``values`` set, every per-layer gene repeating one value in each layer."""
    genes = dict(space.largest().genes)
    for name, value in values.items():
        if space.gene(name).per_layer is None:
            genes[name] = value  # type: ignore[assignment]
        else:
            genes[name] = (value,) * space.max_layers(space.gene(name))  # type: ignore[assignment]
    for gene in space.genes:
        if gene.per_layer is not None and gene.name not in values:
            genes[gene.name] = (genes[gene.name][0],) * space.max_layers(gene)  # type: ignore[index]
    return space.make(genes)


def uniform_shrink(space: SearchSpace) -> list[Arch]:
    """Every uniformly shrunk version of the largest arch, largest (analytic params, then FLOPs) first."""
    from hwnas.metrics import analytic_metrics

    rule = SHRINK_RULES.get(space.family)
    if rule is None:
        raise ConfigError(
            f"baseline 'uniform-shrink' knows the space families {', '.join(SHRINK_RULES)}; "
            f"space {space.name!r} is family {space.family!r}"
        )
    axes: list[tuple[tuple[str, ...], list[object]]] = [(g, _group_choices(space, g)) for g in rule.tied]
    axes += [((name,), sorted(space.gene(name).choices, key=_number, reverse=True)) for name in rule.free]
    archs: dict[str, Arch] = {}
    for combo in itertools.product(*(choices for _, choices in axes)):
        values = {name: value for (group, _), value in zip(axes, combo, strict=True) for name in group}
        arch = _uniform_arch(space, values)
        archs.setdefault(arch.arch_id, arch)

    def size(arch: Arch) -> tuple[float, float]:
        metrics = analytic_metrics(arch, space)
        return float(metrics["params"]), float(metrics["flops"])

    return sorted(archs.values(), key=size, reverse=True)


def shrink_values(arch: Arch, space: SearchSpace) -> dict[str, object]:
    """The values a uniform shrink chose for ``arch`` (one per tied group, named by its first gene, and each free
    gene): how the report describes a baseline in a few numbers."""
    rule = SHRINK_RULES[space.family]
    names = [group[0] for group in rule.tied] + list(rule.free)
    values = {name: arch[name] for name in names}
    return {name: value[0] if isinstance(value, tuple) else value for name, value in values.items()}


BaselineFn = Callable[[SearchSpace], list[Arch]]
BASELINES: dict[str, BaselineFn] = {"uniform-shrink": uniform_shrink}


def baseline_archs(name: str, space: SearchSpace) -> list[Arch]:
    from hwnas.core.errors import UnknownNameError

    if name not in BASELINES:
        raise UnknownNameError("baseline", name, list(BASELINES))
    return BASELINES[name](space)
