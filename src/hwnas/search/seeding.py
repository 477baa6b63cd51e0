"""Seeding the first generation with given archs (``--init-archs FILE``), for every searcher alike.

The archs come from a file (e.g. written by an LLM generator, or the best archs of an earlier run) and are
validated against the space before the run starts, so a bad line fails up front with its line number. One wrapper,
:class:`SeededSearcher`, puts them at the head of the searcher's first batch and lets the searcher fill the rest,
so evolution, random, local and plugin searchers honour seeds the same way without a line of their own.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from hwnas.configio import parse_yaml, read_text_file
from hwnas.core.arch import Arch
from hwnas.core.errors import DataError, InvalidArchError
from hwnas.core.space import SearchSpace
from hwnas.encodings.hat_yaml import from_hat_yaml, is_hat_yaml
from hwnas.search.base import FeasibleFn, Replayable, Searcher, feasible_many
from hwnas.search.records import Record
from hwnas.search.trajectory import is_trajectory, trajectory_archs


def load_init_archs(path: str | Path, space: SearchSpace) -> tuple[Arch, ...]:
    """The archs in ``path``: JSONL (``.jsonl``: one ``{space, genes}`` per line, as ``Arch.to_dict()`` writes)
    or a JSON / YAML list of them; a bare genes mapping is accepted for an item too. A JSON object of ``TrialN``
    keys is LM-Searcher's ``historical_results.json`` (:mod:`hwnas.search.trajectory`): its cells, decoded as
    NCodes, in trial order. Every arch is validated."""
    path = Path(path)
    text = read_text_file(path, what="init archs file (config key init_archs)", error=DataError)
    if path.suffix.lower() == ".jsonl":
        items = _jsonl_items(text, path)
    else:
        data = _parse(text, path)
        if is_trajectory(data):  # LM-Searcher's historical_results.json: its cells, in trial order
            return tuple(arch for arch, _ in trajectory_archs(data, space, f"init archs file {str(path)!r}"))
        items = _list_items(data, path)
    archs = tuple(_to_arch(data, space, f"init archs file {str(path)!r} {where}") for where, data in items)
    if not archs:
        raise DataError(f"init archs file {str(path)!r} holds no archs; give at least one {{space, genes}} per line")
    return archs


def _jsonl_items(text: str, path: Path) -> list[tuple[str, Any]]:
    items = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            items.append((f"line {number}", json.loads(line)))
        except ValueError as exc:
            raise DataError(f"init archs file {str(path)!r} line {number} is not valid JSON: {exc}") from None
    return items


def _parse(text: str, path: Path) -> Any:
    source = f"init archs file {str(path)!r} (use a .jsonl file for one arch per line)"
    try:
        return json.loads(text) if path.suffix.lower() == ".json" else parse_yaml(text, source=source, error=DataError)
    except ValueError as exc:
        raise DataError(f"{source}: malformed JSON, {exc}") from None


def _list_items(data: Any, path: Path) -> list[tuple[str, Any]]:
    if isinstance(data, Mapping):
        data = [data]
    if not isinstance(data, list):
        raise DataError(f"init archs file {str(path)!r} must hold a list of {{space, genes}} archs, not {data!r}")
    return [(f"item {index}", item) for index, item in enumerate(data, start=1)]


def _to_arch(data: Any, space: SearchSpace, where: str) -> Arch:
    if not isinstance(data, Mapping):
        raise DataError(f"{where}: expected a {{space, genes}} mapping, got {data!r}")
    if is_hat_yaml(data):  # one of HAT's SubTransformer files
        try:
            return from_hat_yaml(data, space)
        except InvalidArchError as exc:
            raise DataError(f"{where}: {exc}") from None
    genes: Any = data.get("genes", data)
    named = data.get("space", space.name) if "genes" in data else space.name
    if named != space.name:
        raise DataError(f"{where}: the arch is for space {named!r}, not the run's space {space.name!r}")
    if not isinstance(genes, Mapping):
        raise DataError(f"{where}: 'genes' must be a mapping of gene name to value, got {genes!r}")
    try:
        return space.make(genes)
    except (InvalidArchError, TypeError) as exc:
        raise DataError(f"{where}: {exc}") from None


class SeededSearcher:
    """Any searcher whose first batch starts with ``seeds`` (duplicates and archs failing the cheap constraints
    dropped and counted), filled up to ``n`` by the searcher's own first ask; from then on it is the searcher.

    With more seeds than ``n`` the first batch holds every seed: the user asked for each of them. On resume a
    replayed iteration goes on to a :class:`Replayable` searcher without the seeds at its head (its own picks only).
    """

    def __init__(self, searcher: Searcher, seeds: Sequence[Arch], *, feasible: FeasibleFn) -> None:
        self.searcher, self.seeds, self.feasible = searcher, tuple(seeds), feasible
        self.counts = {"given": len(self.seeds), "used": 0, "duplicates": 0, "infeasible": 0}
        self._seeded = False
        self._replay: tuple[list[str], Mapping[str, Any] | None] | None = None

    def ask(self, n: int) -> list[Arch]:
        replay, self._replay = self._replay, None
        if self._seeded:
            self._forward(replay, 0)
            return self.searcher.ask(n)
        self._seeded = True
        unique = list({a.arch_id: a for a in self.seeds}.values())
        kept = [a for a, ok in zip(unique, feasible_many(self.feasible, unique), strict=True) if ok]
        self.counts |= {"used": len(kept), "duplicates": len(self.seeds) - len(unique)}
        self.counts["infeasible"] = len(unique) - len(kept)
        if len(kept) >= n:
            return kept
        self._forward(replay, len(kept))
        return kept + self.searcher.ask(n - len(kept))

    def replay(self, asked: Sequence[str], report: Mapping[str, Any] | None) -> None:
        self._replay = (list(asked), report)

    def _forward(self, replay: tuple[list[str], Mapping[str, Any] | None] | None, seeds: int) -> None:
        if replay is not None and isinstance(self.searcher, Replayable):
            asked, report = replay
            self.searcher.replay(asked[seeds:], report)

    def tell(self, records: Sequence[Record]) -> None:
        self.searcher.tell(records)

    def retained(self) -> list[Arch]:
        return self.searcher.retained()  # type: ignore[attr-defined, no-any-return]

    def rescore(self, records: Sequence[Record]) -> None:
        self.searcher.rescore(records)  # type: ignore[attr-defined]
