"""`SearchSpace`: a declarative, finite space of architectures.

A space is a list of genes. A gene is either a scalar decision (one value from ``choices``) or a per-layer
decision that follows a layer-count gene (``per_layer: <count gene>``): its value is a tuple with one entry per
active layer. Archs are canonical: per-layer tuples hold exactly as many entries as their count gene says, so
two networks that differ only in unused layers are the same arch.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hwnas.core.arch import Arch, GeneValue, Scalar
from hwnas.core.errors import InvalidArchError


@dataclass(frozen=True)
class Gene:
    """One decision. ``per_layer`` names the count gene this gene follows (None for a scalar gene)."""

    name: str
    choices: tuple[Scalar, ...]
    per_layer: str | None = None
    doc: str = ""

    def index(self, value: Scalar) -> int:
        """Position of ``value`` in ``choices`` (``True == 1`` is not confused with ``1``)."""
        for i, choice in enumerate(self.choices):
            if choice == value and type(choice) is type(value):
                return i
        raise ValueError(value)

    def contains(self, value: object) -> bool:
        try:
            self.index(value)  # type: ignore[arg-type]
        except ValueError:
            return False
        return True

    @property
    def numeric(self) -> bool:
        return all(isinstance(c, int | float) for c in self.choices)


@dataclass(frozen=True)
class SearchSpace:
    """A finite search space. Build it with :meth:`from_dict` (or the registry), not by hand."""

    name: str
    family: str
    genes: tuple[Gene, ...]
    constants: Mapping[str, Any] = field(default_factory=dict)
    description: str = ""

    # construction -------------------------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SearchSpace:
        from hwnas.core.space_schema import parse_space

        return parse_space(data)

    def gene(self, name: str) -> Gene:
        for g in self.genes:
            if g.name == name:
                return g
        raise InvalidArchError(self.name, name, "(missing)", [g.name for g in self.genes])

    @property
    def gene_names(self) -> tuple[str, ...]:
        return tuple(g.name for g in self.genes)

    def max_layers(self, gene: Gene) -> int:
        """Length of the longest tuple a per-layer gene can hold."""
        if gene.per_layer is None:
            return 1
        return max(int(c) for c in self.gene(gene.per_layer).choices)

    def followers(self, count_gene: str) -> tuple[Gene, ...]:
        return tuple(g for g in self.genes if g.per_layer == count_gene)

    # validation ----------------------------------------------------------------------------------------------
    def make(self, genes: Mapping[str, Any]) -> Arch:
        """Canonicalise and validate a mapping of genes (per-layer lists longer than needed are cut)."""
        arch = Arch(self.name, genes)
        trimmed = dict(arch.genes)
        for g in self.genes:
            value = trimmed.get(g.name)
            count = trimmed.get(g.per_layer) if g.per_layer else None
            if isinstance(value, tuple) and isinstance(count, int) and len(value) > count:
                trimmed[g.name] = value[:count]
        arch = Arch(self.name, trimmed)
        self.validate(arch)
        return arch

    def validate(self, arch: Arch) -> None:
        """Raise :class:`InvalidArchError` naming the first gene that is missing, unknown or out of range."""
        if arch.space != self.name:
            raise InvalidArchError(self.name, "space", arch.space, [self.name])
        unknown = sorted(set(arch) - set(self.gene_names))
        if unknown:
            raise InvalidArchError(self.name, unknown[0], arch[unknown[0]], list(self.gene_names))
        for g in self.genes:
            if g.name not in arch:
                raise InvalidArchError(self.name, g.name, "(missing)", g.choices)
            value = arch[g.name]
            if g.per_layer is None:
                if isinstance(value, tuple) or not g.contains(value):
                    raise InvalidArchError(self.name, g.name, value, g.choices)
                continue
            count = arch[g.per_layer]
            if not isinstance(value, tuple) or len(value) != count:
                raise InvalidArchError(
                    self.name,
                    g.name,
                    value,
                    f"a list of {count} values (one per layer, {g.per_layer}={count})",
                )
            for i, v in enumerate(value):
                if not g.contains(v):
                    raise InvalidArchError(self.name, f"{g.name}[{i}]", v, g.choices)

    def contains(self, arch: Arch) -> bool:
        try:
            self.validate(arch)
        except InvalidArchError:
            return False
        return True

    # full-length form: every per-layer gene holds max_layers entries (used by variation operators) -------
    def _expand(self, arch: Arch, rng: np.random.Generator) -> dict[str, list[Scalar]]:
        full: dict[str, list[Scalar]] = {}
        for g in self.genes:
            value = arch[g.name]
            if g.per_layer is None:
                full[g.name] = [value]  # type: ignore[list-item]
                continue
            layers = list(value)  # type: ignore[arg-type]
            missing = self.max_layers(g) - len(layers)
            full[g.name] = layers + [self._draw(g, rng) for _ in range(missing)]
        return full

    def _collapse(self, full: Mapping[str, Sequence[Scalar]]) -> Arch:
        genes: dict[str, GeneValue] = {}
        for g in self.genes:
            genes[g.name] = full[g.name][0] if g.per_layer is None else tuple(full[g.name])
        return self.make(genes)

    @staticmethod
    def _draw(gene: Gene, rng: np.random.Generator) -> Scalar:
        return gene.choices[int(rng.integers(len(gene.choices)))]

    # sampling and variation ----------------------------------------------------------------------------------
    def sample(self, rng: np.random.Generator) -> Arch:
        """One arch, every decision uniform at random (HAT's sampler)."""
        full = {g.name: [self._draw(g, rng) for _ in range(self.max_layers(g))] for g in self.genes}
        return self._collapse(full)

    def mutate(self, arch: Arch, prob: float, rng: np.random.Generator) -> Arch:
        """Redraw each decision (each layer of a per-layer gene separately) with probability ``prob``."""
        if not 0.0 <= prob <= 1.0:
            raise ValueError(f"mutation probability must be in [0, 1], got {prob}")
        full = self._expand(arch, rng)
        for g in self.genes:
            full[g.name] = [self._draw(g, rng) if rng.random() < prob else v for v in full[g.name]]
        return self._collapse(full)

    def crossover(self, a: Arch, b: Arch, rng: np.random.Generator) -> Arch:
        """Uniform crossover: each decision (per layer) comes from ``a`` or ``b`` with equal chance."""
        fa, fb = self._expand(a, rng), self._expand(b, rng)
        child = {n: [x if rng.random() < 0.5 else y for x, y in zip(fa[n], fb[n], strict=True)] for n in fa}
        return self._collapse(child)

    def neighbors(self, arch: Arch) -> list[Arch]:
        """Every arch one decision away. Adding a layer copies the last layer's per-layer values."""
        return [self._moved(arch, move) for move in self._moves(arch)]

    def random_neighbor(self, arch: Arch, rng: np.random.Generator) -> Arch | None:
        """One of :meth:`neighbors`, uniformly at random (one draw from ``rng``), without building the others;
        None when the arch has no neighbour."""
        moves = self._moves(arch)
        return self._moved(arch, moves[int(rng.integers(len(moves)))]) if moves else None

    def _moves(self, arch: Arch) -> list[tuple[Gene, int | None, Scalar]]:
        """The one-decision moves of :meth:`neighbors`, in its order: (gene, layer or None, new value)."""
        self.validate(arch)
        moves: list[tuple[Gene, int | None, Scalar]] = []
        for g in self.genes:
            if g.per_layer is None:
                current = arch[g.name]
                moves.extend((g, None, c) for c in g.choices if c != current or type(c) is not type(current))
                continue
            layers = arch[g.name]
            assert isinstance(layers, tuple)
            for i, value in enumerate(layers):
                moves.extend((g, i, c) for c in g.choices if c != value)
        return moves

    def _moved(self, arch: Arch, move: tuple[Gene, int | None, Scalar]) -> Arch:
        gene, layer, value = move
        if layer is None:
            return self._with_scalar(arch, gene, value)
        layers = arch[gene.name]
        assert isinstance(layers, tuple)
        return self.make({**arch.genes, gene.name: (*layers[:layer], value, *layers[layer + 1 :])})

    def _with_scalar(self, arch: Arch, gene: Gene, value: Scalar) -> Arch:
        genes = dict(arch.genes)
        genes[gene.name] = value
        if self.followers(gene.name):
            count = int(value)
            for f in self.followers(gene.name):
                layers = tuple(arch[f.name])  # type: ignore[arg-type]
                genes[f.name] = (layers + (layers[-1],) * count)[:count] if layers else (f.choices[0],) * count
        return self.make(genes)

    # size and extremes ---------------------------------------------------------------------------------------
    def size(self) -> int:
        """Exact number of distinct (canonical) archs, as a Python int (may be astronomically large)."""
        total = 1
        for g in self.genes:
            if g.per_layer is not None:
                continue
            followers = self.followers(g.name)
            if not followers:
                total *= len(g.choices)
                continue
            per_layer = math.prod(len(f.choices) for f in followers)
            total *= sum(per_layer ** int(n) for n in g.choices)
        return total

    def smallest(self) -> Arch:
        """Every decision at its smallest value (numeric genes) or first choice (categorical genes)."""
        return self._extreme(lambda g: min(g.choices) if g.numeric else g.choices[0])

    def largest(self) -> Arch:
        return self._extreme(lambda g: max(g.choices) if g.numeric else g.choices[-1])

    def _extreme(self, pick: Any) -> Arch:
        return self._collapse({g.name: [pick(g)] * self.max_layers(g) for g in self.genes})

    def iter_all(self) -> Iterator[Arch]:
        """Enumerate the space (only sensible for small spaces such as nb201)."""
        import itertools

        if self.size() > 10_000_000:
            raise ValueError(f"space {self.name!r} has {self.size():,} archs; too many to enumerate")
        scalars = [g for g in self.genes if g.per_layer is None]
        for combo in itertools.product(*(g.choices for g in scalars)):
            base = dict(zip((g.name for g in scalars), combo, strict=True))
            per_layer = [g for g in self.genes if g.per_layer is not None]
            options = [itertools.product(g.choices, repeat=int(base[str(g.per_layer)])) for g in per_layer]
            for layers in itertools.product(*options):
                yield self.make({**base, **{g.name: v for g, v in zip(per_layer, layers, strict=True)}})
