"""`LatencyDataset`: what a latency predictor is trained and scored on, read from HAT's CSVs or the project's own.

Two CSV layouts are accepted (plain or gzip'd):

- HAT's (and the project's ``hat``-family files, which add columns): the 10 averaged features
  (:data:`hwnas.encodings.HAT_FEATURE_NAMES`), ``latency_mean_encoder``, ``latency_mean_decoder``,
  ``latency_std_encoder``, ``latency_std_decoder`` (ms); target = encoder + decoder. An ``arch`` column (JSON of
  ``Arch.to_dict()``) is optional and, when present, must agree with the feature columns;
- the project's forward-pass files (``gpt`` family): ``latency_mean`` and ``arch`` (``latency_std`` optional).

A file collected by hwnas whose sidecar names another estimator than HAT's trimmed mean (``min``, ``median``) has
that estimator's columns as its target (:func:`hwnas.hardware.dataset_files.collected_target`).

Missing columns, NaN, text, and zero or negative latency are refused with the file, row and column named.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from hwnas.core.arch import Arch
from hwnas.core.errors import DataError, HwnasError
from hwnas.core.space import SearchSpace
from hwnas.data.tables import HAT_FEATURES, HAT_TARGETS, HatLatencyTable, float_column, read_csv_rows
from hwnas.encodings.hat import HAT_FEATURE_NORM, hat_features

FORWARD_COLUMNS = ("latency_mean", "arch")


@dataclass(frozen=True, kw_only=True)
class LatencyDataset:
    latency: np.ndarray  # [n] ms: encoder + decoder (MT) or one forward pass
    features: np.ndarray | None = None  # [n, 10] HAT's raw averaged features (hat10-raw), when known
    archs: tuple[Arch, ...] | None = None  # full archs, when the file has an `arch` column
    latency_encoder: np.ndarray | None = None  # [n] ms (HAT layout only)
    latency_std: np.ndarray | None = None  # [n] ms, run-to-run std of the target
    source: str = ""

    def __len__(self) -> int:
        return int(self.latency.shape[0])

    @property
    def default_encoding(self) -> str:
        """HAT's raw features when the file has them, else the padded per-layer genes of the archs."""
        return "hat10-raw" if self.features is not None else "padded"

    def subset(self, rows: Sequence[int] | np.ndarray) -> LatencyDataset:
        index = np.asarray(rows, dtype=np.int64)

        def take(a: np.ndarray | None) -> np.ndarray | None:
            return None if a is None else a[index]

        archs = None if self.archs is None else tuple(self.archs[i] for i in index)
        return replace(
            self,
            latency=self.latency[index],
            features=take(self.features),
            archs=archs,
            latency_encoder=take(self.latency_encoder),
            latency_std=take(self.latency_std),
        )

    def encode(self, encoding: str) -> np.ndarray:
        """The feature matrix in ``encoding`` (an :mod:`hwnas.encodings` name)."""
        if encoding in ("hat10-raw", "hat10") and self.features is not None:
            scale = 1.0 if encoding == "hat10-raw" else np.asarray(HAT_FEATURE_NORM, dtype=np.float64)
            return self.features / scale
        if self.archs is None:
            raise DataError(
                f"encoding {encoding!r} needs full archs, but {self.source or 'this dataset'} has no 'arch' column "
                "(HAT's CSVs carry only the 10 averaged features: use encoding 'hat10-raw')"
            )
        from hwnas.spaces.registry import get_space

        return encode_archs(self.archs, get_space(self.archs[0].space), encoding)


def encode_archs(archs: Sequence[Arch], space: SearchSpace, encoding: str) -> np.ndarray:
    from hwnas.encodings.registry import get_encoder

    return get_encoder(encoding)(list(archs), space)


def from_hat_table(table: HatLatencyTable) -> LatencyDataset:
    std = np.sqrt(table.latency_std_encoder**2 + table.latency_std_decoder**2)  # phases are timed separately
    return LatencyDataset(
        latency=table.latency,
        features=table.features,
        latency_encoder=table.latency_mean_encoder,
        latency_std=std,
        source=str(table.path),
    )


def hat_dataset(device: str) -> LatencyDataset:
    """HAT's WMT'14 En-De latency CSV of ``titanxp``, ``xeon`` or ``raspberrypi`` (via the data registry)."""
    from hwnas.data.tables import load_hat_latency

    return from_hat_table(load_hat_latency(device))


def drop_encoder_artefacts(dataset: LatencyDataset, *, factor: float = 3.0) -> LatencyDataset:
    """Without rows whose encoder latency exceeds ``factor`` x the median (HAT's Raspberry Pi file has ~100)."""
    if dataset.latency_encoder is None:
        raise DataError(f"{dataset.source or 'this dataset'} has no encoder latency column to screen")
    keep = dataset.latency_encoder <= factor * np.median(dataset.latency_encoder)
    return dataset.subset(np.flatnonzero(keep))


def _parse_archs(path: Path, header: list[str], rows: list[list[str]]) -> tuple[Arch, ...]:
    at = header.index("arch")
    archs = []
    for i, row in enumerate(rows):
        cell = row[at] if at < len(row) else ""
        try:
            archs.append(Arch.from_dict(json.loads(cell)))
        except (ValueError, TypeError) as exc:
            raise DataError(
                f"table {str(path)!r} row {i + 1} (line {i + 2}) column 'arch' is not an arch as JSON "
                f"({{space, genes}}): {exc}"
            ) from None
    spaces = sorted({a.space for a in archs})
    if len(spaces) > 1:
        raise DataError(f"table {str(path)!r} mixes archs of several spaces ({', '.join(spaces)}); keep one per file")
    return tuple(archs)


def _check_archs_match(path: Path, archs: Sequence[Arch], features: np.ndarray) -> None:
    for i, arch in enumerate(archs):
        try:
            computed = hat_features(arch)
        except HwnasError as exc:
            raise DataError(f"table {str(path)!r} row {i + 1} column 'arch': {exc}") from None
        wrong = np.flatnonzero(~np.isclose(computed, features[i], rtol=1e-6, atol=1e-9))
        if wrong.size:
            name = HAT_FEATURES[wrong[0]]
            raise DataError(
                f"table {str(path)!r} row {i + 1} (line {i + 2}) column {name!r} is {float(features[i, wrong[0]])!r} "
                f"but its arch gives {float(computed[wrong[0]])!r}"
            )


def load_latency_csv(path: str | Path) -> LatencyDataset:
    """Read a latency CSV in HAT's layout or the project's forward-pass layout (see the module docstring)."""
    from hwnas.data.tables import load_hat_latency_csv
    from hwnas.hardware.dataset_files import collected_target

    path = Path(path)
    header, rows = read_csv_rows(path, ())
    if not rows:
        raise DataError(f"table {str(path)!r} has a header but no rows")
    hat_columns = HAT_FEATURES + HAT_TARGETS
    target = collected_target(path, header, rows)  # per-phase columns of the sidecar's estimator, or None
    if all(c in header for c in FORWARD_COLUMNS) and not any(c in header for c in HAT_TARGETS):
        latency = target[0] if target else float_column(path, header, rows, "latency_mean", rule="positive")
        std = float_column(path, header, rows, "latency_std", rule="nonnegative") if "latency_std" in header else None
        return LatencyDataset(
            latency=latency, archs=_parse_archs(path, header, rows), latency_std=std, source=str(path)
        )
    missing = [c for c in hat_columns if c not in header]
    if missing:
        raise DataError(
            f"table {str(path)!r} lacks column(s) {', '.join(missing)}; a latency CSV needs HAT's 14 columns (10 "
            f"averaged features, latency_mean/std_encoder/decoder) or {' + '.join(FORWARD_COLUMNS)}"
        )
    dataset = from_hat_table(load_hat_latency_csv(path))
    if target:
        dataset = replace(dataset, latency=target[0] + target[1], latency_encoder=target[0])
    if "arch" not in header:
        return dataset
    archs = _parse_archs(path, header, rows)
    assert dataset.features is not None
    _check_archs_match(path, archs, dataset.features)
    return replace(dataset, archs=archs)
