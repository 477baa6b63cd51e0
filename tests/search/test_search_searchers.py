"""Contract suite over every registered searcher, plus what is particular to evolution and local search."""

from __future__ import annotations

import numpy as np
import pytest

from hwnas.core.errors import ConstraintError, UnknownNameError
from hwnas.search.base import Feasibility, Searcher, draw_feasible, draw_feasible_many
from hwnas.search.config import SearchConfig
from hwnas.search.evolution import EvolutionSearcher
from hwnas.search.local import LocalSearcher
from hwnas.search.random_search import RandomSearcher
from hwnas.search.registry import get_searcher_class, searcher_names
from hwnas.spaces import get_space

from .fakes import score, small_decoder, width

SPACE = get_space("hat-wmt14ende")


def _make(name: str, seed: int, feasible: object = small_decoder) -> Searcher:
    sizes = {"parents": 4, "mutation_size": 5, "crossover_size": 5} if name.startswith("evolution") else {}
    searcher = {"name": name, "options": sizes}
    config = SearchConfig(space=SPACE.name, objectives=["width:max"], population=12, searcher=searcher)
    return get_searcher_class(name).from_config(SPACE, config, rng=np.random.default_rng(seed), feasible=feasible)  # type: ignore[arg-type]


def _run(searcher: Searcher, rounds: int, n: int = 12) -> list[list[str]]:
    asked = []
    for _ in range(rounds):
        archs = searcher.ask(n)
        asked.append([a.arch_id for a in archs])
        searcher.tell(score(archs))
    return asked


def test_registry_has_the_three_builtins() -> None:
    builtins = {"evolution", "evolution-rs", "random", "local", "pareto-local", "nsga2", "morea", "ehvi", "lm-searcher"}
    assert builtins <= set(searcher_names())
    with pytest.raises(
        UnknownNameError, match="known: ehvi, evolution, evolution-rs, lm-searcher, local, morea, nsga2"
    ):
        get_searcher_class("genetic")


@pytest.mark.parametrize("name", searcher_names())
def test_asks_valid_archs_that_meet_the_cheap_constraint(name: str) -> None:
    searcher = _make(name, seed=3)
    for _ in range(6):
        archs = searcher.ask(12)
        assert archs, "a searcher over a huge space is never exhausted"
        for arch in archs:
            SPACE.validate(arch)
            assert small_decoder(arch)
        searcher.tell(score(archs))


@pytest.mark.parametrize("name", searcher_names())
def test_same_seed_same_asks_other_seed_other_asks(name: str) -> None:
    assert _run(_make(name, seed=5), 4) == _run(_make(name, seed=5), 4)
    assert _run(_make(name, seed=5), 4) != _run(_make(name, seed=6), 4)


@pytest.mark.parametrize("name", searcher_names())
def test_unsatisfiable_constraint_raises_after_bounded_retries(name: str) -> None:
    calls = []

    def never(arch: object) -> bool:
        calls.append(arch)
        return False

    with pytest.raises(ConstraintError, match="1000 tries"):
        _make(name, seed=0, feasible=never).ask(3)
    # screened a round at a time, so up to a round's rest beyond the 1,000 (nsga2 also screens its generation of 12)
    assert 1000 <= len(calls) < 1000 + 2 * 12


def test_draw_feasible_counts_its_tries() -> None:
    draws = iter(range(10))
    assert draw_feasible(lambda: next(draws), lambda x: x == 3, max_tries=5, what="number") == 3  # type: ignore[arg-type, return-value, comparison-overlap]
    with pytest.raises(ConstraintError, match="no number met the constraints in 2 tries"):
        draw_feasible(lambda: next(draws), lambda x: False, max_tries=2, what="number")  # type: ignore[arg-type, return-value]
    with pytest.raises(ValueError, match="max_tries"):
        draw_feasible(lambda: next(draws), lambda x: True, max_tries=0, what="number")  # type: ignore[arg-type, return-value]


@pytest.mark.parametrize("tries", [1, 2, 3, 50])
def test_batched_draws_equal_one_at_a_time_draws_and_ask_one_batch_per_round(tries: int) -> None:
    """draw_feasible_many: the same picks from the same proposals (so the random stream after it is the same) as n
    calls of draw_feasible, the same bounded retries, and each round screened in one call."""
    rng = np.random.default_rng(0)
    stream = [int(x) for x in rng.integers(0, 10, size=400)]
    ok = lambda x: x % 3 != 0  # noqa: E731
    one, proposals_one = iter(stream), []
    batches: list[int] = []

    def propose_one() -> int:
        proposals_one.append(next(one))
        return proposals_one[-1]

    def many(xs: list[int]) -> list[bool]:
        batches.append(len(xs))
        return [ok(x) for x in xs]

    two, proposals_two = iter(stream), []

    def propose_two() -> int:
        proposals_two.append(next(two))
        return proposals_two[-1]

    feasible = Feasibility(ok, many)  # type: ignore[arg-type]
    try:
        expected = [draw_feasible(propose_one, ok, max_tries=tries, what="n") for _ in range(40)]  # type: ignore[arg-type]
    except ConstraintError:
        with pytest.raises(ConstraintError, match=f"no n met the constraints in {tries} tries"):
            draw_feasible_many(propose_two, feasible, 40, max_tries=tries, what="n")  # type: ignore[arg-type]
        return
    assert draw_feasible_many(propose_two, feasible, 40, max_tries=tries, what="n") == expected  # type: ignore[arg-type]
    assert proposals_two == proposals_one  # nothing proposed beyond what the one-at-a-time loop used
    assert sum(batches) == len(proposals_two) and len(batches) < len(proposals_two)


def test_evolution_generation_sizes_and_parent_selection() -> None:
    searcher = EvolutionSearcher(SPACE, rng=np.random.default_rng(0), parents=4, mutation_size=6, crossover_size=3)
    first = searcher.ask(10)
    assert len(first) == 10
    records = score(first)
    searcher.tell(records)
    expected = sorted({r.arch.arch_id: width(r.arch) for r in records}.values(), reverse=True)[:4]
    assert [width(r.arch) for r in searcher.parent_records] == expected
    children = searcher.ask(10)
    assert len(children) == 9  # HAT's generation: mutation_size + crossover_size
    searcher.tell(score(children))
    assert len({r.arch.arch_id for r in searcher.parent_records}) == 4  # one copy per arch
    assert min(width(r.arch) for r in searcher.parent_records) >= expected[-1]  # elitist: parents never get worse


def test_evolution_reaches_the_optimum_that_random_search_misses() -> None:
    evolution = EvolutionSearcher(SPACE, rng=np.random.default_rng(1), parents=10, mutation_size=20, crossover_size=20)
    random = RandomSearcher(SPACE, rng=np.random.default_rng(1))
    best = {"evolution": 0.0, "random": 0.0}
    for _ in range(35):
        for name, searcher in (("evolution", evolution), ("random", random)):
            records = score(searcher.ask(40))
            searcher.tell(records)
            best[name] = max(best[name], *(width(r.arch) for r in records))
    assert best["evolution"] == width(SPACE.largest()) > best["random"]


def test_local_search_climbs_and_restarts_at_a_local_optimum() -> None:
    searcher = LocalSearcher(SPACE, rng=np.random.default_rng(2))
    searcher.tell(score([SPACE.largest()]))  # start at the global optimum
    neighbors = searcher.ask(1000)
    assert {a.arch_id for a in neighbors} == {a.arch_id for a in SPACE.neighbors(SPACE.largest())}
    searcher.tell(score(neighbors))
    assert searcher.current is not None and searcher.current.arch == SPACE.largest()
    restart = searcher.ask(7)
    assert len(restart) == 7 and searcher.restarts == 1
    searcher.tell(score(restart))
    start = searcher.current
    assert start is not None
    step = searcher.ask(1000)
    searcher.tell(score(step))
    assert width(searcher.current.arch) > width(start.arch)  # type: ignore[union-attr]
    assert searcher.current.arch in step  # type: ignore[union-attr]
