"""Core types: architectures, search spaces, objectives, Pareto utilities, errors. Depends on numpy only."""

from __future__ import annotations

from hwnas.core.arch import Arch, GeneValue, Scalar
from hwnas.core.errors import (
    ConfigError,
    ConstraintError,
    DataError,
    HwnasError,
    InvalidArchError,
    SpaceDefinitionError,
    UnknownNameError,
)
from hwnas.core.objectives import Constraint, Objective
from hwnas.core.space import Gene, SearchSpace

__all__ = [
    "Arch",
    "ConfigError",
    "Constraint",
    "ConstraintError",
    "DataError",
    "Gene",
    "GeneValue",
    "HwnasError",
    "InvalidArchError",
    "Objective",
    "Scalar",
    "SearchSpace",
    "SpaceDefinitionError",
    "UnknownNameError",
]
