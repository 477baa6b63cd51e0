"""One contract suite run against every registered search space."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from hwnas.core import Arch, InvalidArchError, SearchSpace
from hwnas.spaces import builtin_names, get_space

SPACES = builtin_names()


@pytest.fixture(params=SPACES)
def space(request: pytest.FixtureRequest) -> SearchSpace:
    return get_space(request.param)


def test_registry_lists_all_reference_spaces() -> None:
    expected = {
        "hat-wmt14ende",
        "hat-wmt14enfr",
        "hat-wmt19ende",
        "hat-iwslt14deen",
        "hat-wmt14ende-wide",
        "gpt-s",
        "gpt-m",
        "gpt-l",
        "nb201",
        "fbnet",
        "tiny",
    }
    assert expected <= set(SPACES)


def test_samples_are_valid_canonical_and_deterministic(space: SearchSpace) -> None:
    a = [space.sample(np.random.default_rng(7)) for _ in range(2)]
    assert a[0] == a[1]
    rng = np.random.default_rng(0)
    for _ in range(50):
        arch = space.sample(rng)
        space.validate(arch)
        assert space.make(arch.genes) == arch
        for g in space.genes:
            if g.per_layer:
                assert len(arch[g.name]) == arch[g.per_layer]  # type: ignore[arg-type]


def test_mutate_and_crossover_stay_in_space(space: SearchSpace) -> None:
    rng = np.random.default_rng(1)
    a, b = space.sample(rng), space.sample(rng)
    assert space.mutate(a, 0.0, rng) == a
    changed = sum(space.mutate(a, 1.0, rng) != a for _ in range(10))
    assert changed >= 9 or space.size() < 10
    for _ in range(20):
        space.validate(space.mutate(a, 0.3, rng))
        child = space.crossover(a, b, rng)
        space.validate(child)
        for g in space.genes:
            if g.per_layer is None:
                assert child[g.name] in (a[g.name], b[g.name])


def test_mutation_probability_is_checked(space: SearchSpace) -> None:
    with pytest.raises(ValueError, match="probability"):
        space.mutate(space.smallest(), 1.5, np.random.default_rng(0))


def test_extremes_are_valid_and_ordered(space: SearchSpace) -> None:
    small, large = space.smallest(), space.largest()
    space.validate(small)
    space.validate(large)
    for g in space.genes:
        if g.numeric and g.per_layer is None:
            assert small[g.name] == min(g.choices) and large[g.name] == max(g.choices)  # type: ignore[type-var]


def test_neighbors_differ_by_one_decision(space: SearchSpace) -> None:
    arch = space.sample(np.random.default_rng(3))
    neighbors = space.neighbors(arch)
    assert neighbors and arch not in neighbors
    assert len(set(neighbors)) == len(neighbors)
    for n in neighbors[:40]:
        space.validate(n)
        diff = [g.name for g in space.genes if n[g.name] != arch[g.name]]
        assert diff and (len(diff) == 1 or all(space.gene(d).per_layer == diff[0] for d in diff[1:]))


def test_validate_names_gene_value_and_choices(space: SearchSpace) -> None:
    arch = space.sample(np.random.default_rng(4))
    gene = (
        next(g for g in space.genes if g.per_layer is None and g.numeric)
        if any(g.per_layer is None and g.numeric for g in space.genes)
        else space.genes[0]
    )
    bad = arch.replace(**{gene.name: 12345})
    with pytest.raises(InvalidArchError) as info:
        space.validate(bad)
    assert gene.name in str(info.value) and "12345" in str(info.value)
    with pytest.raises(InvalidArchError, match="unknown_gene"):
        space.validate(arch.replace(unknown_gene=1))
    with pytest.raises(InvalidArchError, match="space"):
        space.validate(Arch("other-space", arch.genes))


def test_unused_layers_are_canonicalised(space: SearchSpace) -> None:
    arch = space.sample(np.random.default_rng(5))
    padded = {}
    for g in space.genes:
        value = arch[g.name]
        padded[g.name] = tuple(value) + (g.choices[0],) * 3 if isinstance(value, tuple) else value
    assert space.make(padded).arch_id == arch.arch_id


def test_size_is_exact_for_enumerable_spaces() -> None:
    for name in ("nb201", "tiny"):
        space = get_space(name)
        archs = list(space.iter_all())
        assert len(archs) == space.size() == len(set(archs))
    assert get_space("nb201").size() == 15_625


def test_size_matches_closed_form_for_hat() -> None:
    space = get_space("hat-wmt14ende")
    per_decoder_layer = 3 * 2 * 2 * 3  # ffn x self heads x ende heads x arbitrary attention
    encoder = 2 * (3 * 2) ** 6
    decoder = 2 * sum(per_decoder_layer**n for n in range(1, 7))
    assert space.size() == encoder * decoder


def test_reference_choices() -> None:
    hat = get_space("hat-wmt14ende")
    assert hat.gene("decoder_layer_num").choices == (1, 2, 3, 4, 5, 6)
    assert set(hat.gene("decoder_arbitrary_ende_attn").choices) == {-1, 1, 2}
    assert hat.constants["qkv_dim"] == 512
    assert set(get_space("hat-iwslt14deen").gene("encoder_ffn_embed_dim").choices) == {2048, 1024, 512}
    wide = get_space("hat-wmt14ende-wide")
    assert {512, 1024, 2048, 3072} == set(wide.gene("decoder_ffn_embed_dim").choices)
    gpt_l = get_space("gpt-l")
    assert gpt_l.gene("embed_dim").choices == (320, 640, 1280) and gpt_l.gene("n_layer").choices == (34, 35, 36)
    assert get_space("gpt-m").gene("n_head").choices == (8, 12, 16)
    fbnet = get_space("fbnet")
    assert len(fbnet.gene("block").choices) == 9 and fbnet.largest()["num_layers"] == 22


def test_layer_count_change_keeps_per_layer_genes_consistent() -> None:
    space = get_space("hat-wmt14ende")
    rng = np.random.default_rng(0)
    for a, b in itertools.islice(
        zip(iter(lambda: space.sample(rng), None), iter(lambda: space.sample(rng), None), strict=False), 30
    ):
        child = space.crossover(a, b, rng)
        assert len(child["decoder_ffn_embed_dim"]) == child["decoder_layer_num"]  # type: ignore[arg-type]


def test_a_random_neighbor_is_the_neighbor_the_same_draw_picks(space: SearchSpace) -> None:
    rng = np.random.default_rng(7)
    for _ in range(5):
        arch = space.sample(rng)
        state = np.random.default_rng(11)
        neighbors = space.neighbors(arch)
        expected = neighbors[int(state.integers(len(neighbors)))]
        assert space.random_neighbor(arch, np.random.default_rng(11)) == expected
