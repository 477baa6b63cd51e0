"""What is particular to the multi-objective searchers: random-scalarisation selection keeps non-dominated parents
spread along the front; Pareto local search explores the archive's neighbours a few at a time and restarts when
the archive has no untried neighbour; EHVI's proposals are new archs."""

from __future__ import annotations

import numpy as np

from hwnas.contracts.record import Record
from hwnas.core.arch import Arch
from hwnas.search.ehvi import EHVISearcher
from hwnas.search.evolution import EvolutionSearcher
from hwnas.search.pareto_local import ParetoLocalSearcher
from hwnas.search.ranking import pareto_records
from hwnas.spaces import get_space

SPACE = get_space("hat-wmt14ende")
TINY = get_space("nb201")


def _two_objectives(archs: list[Arch], rng: np.random.Generator) -> list[Record]:
    """A convex front: x in [0, 1], y = (1 - sqrt(x)) + noise, both minimised."""
    records = []
    for arch in archs:
        x = float(rng.random())
        y = 1 - x**0.5 + float(rng.random()) * 0.3
        records.append(Record(arch, {"x": x, "y": y}, "ok", (x, y), 0.0))
    return records


def test_random_scalarisation_keeps_distinct_non_dominated_parents_across_the_front() -> None:
    rng = np.random.default_rng(0)
    searcher = EvolutionSearcher(SPACE, rng=rng, parents=6, mutation_size=4, crossover_size=4,
                                 selection="random-scalarisation")  # fmt: skip
    records = _two_objectives([SPACE.sample(rng) for _ in range(200)], rng)
    searcher.tell(records)
    parents = searcher.parent_records
    assert len({p.arch.arch_id for p in parents}) == 6
    front = {r.arch.arch_id for r in pareto_records(records)}
    assert len(front) > 6
    assert all(p.arch.arch_id in front for p in parents)  # Chebyshev minima with positive weights
    xs = sorted(p.objectives[0] for p in parents)
    assert xs[-1] - xs[0] > 0.3  # spread, not six points at one end of the front
    pareto = EvolutionSearcher(SPACE, rng=np.random.default_rng(0), parents=6, mutation_size=4, crossover_size=4)
    pareto.tell(records)
    assert {p.arch.arch_id for p in pareto.parent_records} != {p.arch.arch_id for p in parents}


def test_pareto_local_search_visits_archive_neighbours_a_few_at_a_time() -> None:
    rng = np.random.default_rng(1)
    searcher = ParetoLocalSearcher(SPACE, rng=np.random.default_rng(2), moves_per_visit=3)
    first = searcher.ask(8)
    searcher.tell(_two_objectives(first, rng))
    archive = {r.arch.arch_id for r in searcher.archive}
    assert archive == {r.arch.arch_id for r in pareto_records(searcher.archive)}
    batch = searcher.ask(6)
    assert len(batch) == 6 and not {a.arch_id for a in batch} & {a.arch_id for a in first}
    neighbours = {n.arch_id: r.arch.arch_id for r in searcher.archive for n in SPACE.neighbors(r.arch)}
    assert all(a.arch_id in neighbours for a in batch)
    assert len({neighbours[a.arch_id] for a in batch}) >= 2  # 3 moves per visit: more than one member visited


def test_pareto_local_search_restarts_when_no_member_has_an_untried_neighbour() -> None:
    rng = np.random.default_rng(3)
    searcher = ParetoLocalSearcher(TINY, rng=np.random.default_rng(4), moves_per_visit=50)
    one = searcher.ask(1)
    searcher.tell(_two_objectives(one, rng))
    neighbours = searcher.ask(1000)  # the single member's whole neighbourhood
    assert {a.arch_id for a in neighbours} == {a.arch_id for a in TINY.neighbors(one[0])}
    # every neighbour dominated: the archive stays the first arch, explored
    searcher.tell([Record(a, {}, "ok", (2.0, 2.0), 0.0) for a in neighbours])
    restart = searcher.ask(4)
    assert searcher.restarts == 1 and len(restart) == 4


def test_ehvi_proposes_archs_not_seen_before() -> None:
    rng = np.random.default_rng(5)
    searcher = EHVISearcher(TINY, rng=np.random.default_rng(6), startup=4)
    seen: set[str] = set()
    for _ in range(7):
        archs = searcher.ask(4)
        assert archs and not {a.arch_id for a in archs} & seen
        seen |= {a.arch_id for a in archs}
        searcher.tell(_two_objectives(archs, rng))
    assert searcher.completed == len(seen)
