"""`Arch`: an immutable point of a search space, identified by a hash of its canonical genes."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from typing import Any, TypeAlias

Scalar: TypeAlias = int | float | str | bool
GeneValue: TypeAlias = Scalar | tuple[Scalar, ...]


def _freeze(value: Any) -> GeneValue:
    if isinstance(value, list | tuple):
        return tuple(_freeze_scalar(v) for v in value)
    return _freeze_scalar(value)


def _freeze_scalar(value: Any) -> Scalar:
    # numpy scalars and YAML ints arrive here; store plain Python types so hashes are stable.
    if isinstance(value, bool | str):
        return value
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, int | float | str | bool):
        return value
    raise TypeError(f"gene values must be int, float, str, bool or a sequence of them, not {type(value).__name__}")


class Arch(Mapping[str, GeneValue]):
    """An architecture: the search-space name plus its genes (per-layer genes are tuples).

    Immutable and hashable. ``arch_id`` is the first 16 hex digits of the SHA-256 of the canonical JSON of
    ``{"space": ..., "genes": ...}``, so it is the same in every process and on every machine. Spaces return
    canonical archs (unused layers dropped), so equal networks share one ``arch_id``.
    """

    __slots__ = ("_genes", "_id", "space")

    def __init__(self, space: str, genes: Mapping[str, Any]) -> None:
        self.space: str = space
        self._genes: dict[str, GeneValue] = {str(k): _freeze(v) for k, v in genes.items()}
        self._id: str | None = None

    # Mapping protocol -----------------------------------------------------------------------------------
    def __getitem__(self, key: str) -> GeneValue:
        return self._genes[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._genes)

    def __len__(self) -> int:
        return len(self._genes)

    # identity -------------------------------------------------------------------------------------------
    @property
    def genes(self) -> dict[str, GeneValue]:
        """A copy of the genes (mutating it does not change the arch)."""
        return dict(self._genes)

    @property
    def arch_id(self) -> str:
        if self._id is None:
            self._id = hashlib.sha256(self.canonical_json().encode()).hexdigest()[:16]
        return self._id

    def canonical_json(self) -> str:
        return json.dumps(
            {"space": self.space, "genes": self.to_dict()["genes"]}, sort_keys=True, separators=(",", ":")
        )

    def replace(self, **changes: Any) -> Arch:
        """A new arch with some genes changed (not canonicalised: pass it through the space)."""
        return Arch(self.space, {**self._genes, **changes})

    def to_dict(self) -> dict[str, Any]:
        genes = {k: list(v) if isinstance(v, tuple) else v for k, v in self._genes.items()}
        return {"space": self.space, "genes": genes}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Arch:
        if not isinstance(data, Mapping) or "space" not in data or "genes" not in data:
            raise ValueError("an arch must be a mapping with keys 'space' and 'genes'")
        if not isinstance(data["genes"], Mapping):
            raise ValueError("an arch's 'genes' must be a mapping of gene name to value")
        return cls(str(data["space"]), data["genes"])

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Arch):
            return NotImplemented
        return self.space == other.space and self._genes == other._genes

    def __hash__(self) -> int:
        return hash(self.arch_id)

    def __repr__(self) -> str:
        return f"Arch({self.space!r}, id={self.arch_id})"
