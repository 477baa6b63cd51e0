"""Architecture encodings: pure functions from an :class:`~hwnas.core.arch.Arch` (and its space) to vectors,
codes, graphs (through the space's family) and HAT's file formats, each with its inverse where one exists.
NAS-Bench-201 arch strings are the ``nb201`` family's (:mod:`hwnas.families.nb201`)."""

from __future__ import annotations

from hwnas.encodings.graph import from_graph, to_graph
from hwnas.encodings.hat import (
    HAT_FEATURE_NAMES,
    HAT_FEATURE_NORM,
    hat_features,
    hat_features_from_row,
    hat_features_normalised,
)
from hwnas.encodings.hat_yaml import from_arch_info, from_hat_yaml, hat_yaml_mapping, is_hat_yaml, to_hat_yaml
from hwnas.encodings.ncode import from_ncode, ncode_legend, ncode_length, to_ncode
from hwnas.encodings.registry import encoder_names, get_encoder, register_encoder
from hwnas.encodings.vectors import (
    choice_counts,
    from_index_vector,
    from_one_hot,
    from_padded_vector,
    index_vector,
    one_hot,
    one_hot_column_names,
    padded_column_names,
    padded_vector,
)

__all__ = [
    "HAT_FEATURE_NAMES",
    "HAT_FEATURE_NORM",
    "choice_counts",
    "encoder_names",
    "from_arch_info",
    "from_graph",
    "from_hat_yaml",
    "from_index_vector",
    "from_ncode",
    "from_one_hot",
    "from_padded_vector",
    "get_encoder",
    "hat_features",
    "hat_features_from_row",
    "hat_features_normalised",
    "hat_yaml_mapping",
    "index_vector",
    "is_hat_yaml",
    "ncode_legend",
    "ncode_length",
    "one_hot",
    "one_hot_column_names",
    "padded_column_names",
    "padded_vector",
    "register_encoder",
    "to_graph",
    "to_hat_yaml",
    "to_ncode",
]
