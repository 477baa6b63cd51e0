"""One suite over every registered space family: what each declares it knows works on every built-in space of the
family, and a capability it lacks is None (so dispatchers refuse it with the families that have it)."""

from __future__ import annotations

import numpy as np
import pytest

from hwnas.contracts.family import FAMILIES, families_with, family_of
from hwnas.core.arch import Arch
from hwnas.core.errors import InvalidArchError, UnknownNameError
from hwnas.core.space import SearchSpace
from hwnas.metrics import ANALYTIC_METRICS, analytic_metrics
from hwnas.spaces import builtin_names, get_space

SPACES = [get_space(name) for name in builtin_names()]


def _archs(space: SearchSpace) -> list[Arch]:
    rng = np.random.default_rng(0)
    return [space.smallest(), space.largest(), *(space.sample(rng) for _ in range(5))]


def test_the_built_in_families_and_their_capabilities() -> None:
    assert FAMILIES.names() == ["fbnet", "gpt", "hat", "nb201"]
    assert families_with("counts") == ["fbnet", "gpt", "hat", "nb201"]
    assert families_with("graph") == ["fbnet", "nb201"]
    assert {space.family for space in SPACES} == set(FAMILIES.names())


@pytest.mark.parametrize("space", SPACES, ids=lambda s: s.name)
def test_every_family_decodes_every_arch_of_its_spaces(space: SearchSpace) -> None:
    family = family_of(space)
    assert family.name == space.family
    decoded = [family.decode(arch, space) for arch in _archs(space)]
    assert decoded[0] != decoded[1]  # smallest and largest differ in every space
    with pytest.raises(InvalidArchError, match=r"\(missing\)"):
        family.decode(Arch(space.name, {}), space)


@pytest.mark.parametrize("space", [s for s in SPACES if family_of(s).counts is not None], ids=lambda s: s.name)
def test_counts_return_the_analytic_metrics_as_whole_numbers(space: SearchSpace) -> None:
    for arch in _archs(space):
        metrics = analytic_metrics(arch, space)
        assert set(ANALYTIC_METRICS) <= set(metrics)
        assert all(v > 0 and v == int(v) for v in metrics.values())
    if any(isinstance(c, str) for gene in space.genes for c in gene.choices):
        return  # categorical options (nb201's ops, fbnet's blocks): "smallest" is the first option, not the least work
    small, large = analytic_metrics(space.smallest(), space), analytic_metrics(space.largest(), space)
    assert all(small[k] < large[k] for k in ANALYTIC_METRICS)


@pytest.mark.parametrize("space", [s for s in SPACES if family_of(s).graph is not None], ids=lambda s: s.name)
def test_graphs_round_trip(space: SearchSpace) -> None:
    graph = family_of(space).graph
    assert graph is not None
    for arch in _archs(space):
        adjacency, ops, names = graph.to_graph(arch, space)
        assert adjacency.shape == (len(ops), len(ops)) and np.all(np.triu(adjacency, 1) == adjacency)
        assert names[0] == "input" and names[-1] == "output" and ops.shape[1] == len(names)
        assert graph.from_graph(ops, space) == arch


def test_an_unregistered_family_is_named_with_the_registered_ones() -> None:
    space = SearchSpace.from_dict({"name": "mine", "family": "generic", "genes": {"a": {"choices": [1, 2]}}})
    with pytest.raises(UnknownNameError, match="unknown space family 'generic'; known: fbnet, gpt, hat, nb201"):
        family_of(space)
