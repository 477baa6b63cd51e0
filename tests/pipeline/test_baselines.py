"""The uniform-shrink baseline on every hat-family space: the largest arch first, every arch uniform, the whole
family enumerated once, ordered by size; other families are refused by name."""

from __future__ import annotations

import math

import pytest

from hwnas.core.errors import ConfigError, UnknownNameError
from hwnas.metrics import analytic_metrics
from hwnas.pipeline import parse_pipeline_config
from hwnas.pipeline.baselines import SHRINK_RULES, baseline_archs, uniform_shrink
from hwnas.spaces import get_space
from hwnas.spaces.registry import builtin_names

HAT_SPACES = [name for name in builtin_names() if get_space(name).family == "hat"]


@pytest.mark.parametrize("name", HAT_SPACES)
def test_uniform_shrink_family_of_each_hat_space(name: str) -> None:
    space = get_space(name)
    family = uniform_shrink(space)
    rule = SHRINK_RULES["hat"]
    expected = math.prod(len(space.gene(g[0]).choices) for g in rule.tied)
    expected *= math.prod(len(space.gene(g).choices) for g in rule.free)
    assert len(family) == len({a.arch_id for a in family}) == expected
    assert family[0] == space.largest()
    sizes = [analytic_metrics(a, space)["params"] for a in family]
    assert sizes == sorted(sizes, reverse=True)
    largest = space.largest()
    for arch in family:
        space.validate(arch)
        for group in rule.tied:  # encoder and decoder shrink together
            assert len({_only(arch[g]) for g in group}) == 1
        for gene in space.genes:
            if gene.per_layer is not None:
                assert len(set(arch[gene.name])) == 1, f"{gene.name} differs between layers"  # type: ignore[arg-type]
        shrunk = {g for group in rule.tied for g in group} | set(rule.free)
        for gene in space.genes:  # heads and encoder-decoder attention stay as in the largest arch
            if gene.name not in shrunk:
                assert _only(arch[gene.name]) == _only(largest[gene.name]), gene.name


def _only(value: object) -> object:
    return value[0] if isinstance(value, tuple) else value


def test_other_families_and_names_are_refused() -> None:
    with pytest.raises(ConfigError, match="family 'gpt'"):
        uniform_shrink(get_space("gpt-s"))
    with pytest.raises(UnknownNameError, match="uniform-shrink"):
        baseline_archs("uniform-grow", get_space("tiny"))
    with pytest.raises(ConfigError, match="unknown baseline 'uniform-grow'"):
        parse_pipeline_config({"baselines": ["uniform-grow"]})
    assert parse_pipeline_config({"baselines": "uniform-shrink"}).baselines == ["uniform-shrink"]
