"""Latency CSVs read as predictor training data (:class:`hwnas.predictors.LatencyDataset`).

Two CSV layouts are accepted (plain or gzip'd):

- HAT's (and the project's ``hat``-family files, which add columns): the 10 averaged features
  (:data:`hwnas.encodings.HAT_FEATURE_NAMES`), ``latency_mean_encoder``, ``latency_mean_decoder``,
  ``latency_std_encoder``, ``latency_std_decoder`` (ms); target = encoder + decoder. An ``arch`` column (JSON of
  ``Arch.to_dict()``) is optional and, when present, must agree with the feature columns;
- the project's forward-pass files (``gpt`` family): ``latency_mean`` and ``arch`` (``latency_std`` optional).

A file collected by hwnas whose sidecar names another estimator than HAT's trimmed mean (``min``, ``median``) has
that estimator's columns as its target (:func:`hwnas.hardware.dataset_files.collected_target`). That sidecar is
hardware's knowledge, which is why this reader lives here and not in :mod:`hwnas.predictors` (below hardware).

Missing columns, NaN, text, and zero or negative latency are refused with the file, row and column named.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from hwnas.contracts.predictor import DeviceId
from hwnas.core.arch import Arch
from hwnas.core.errors import DataError, HwnasError
from hwnas.data.tables import HAT_FEATURES, HAT_TARGETS, float_column, load_hat_latency_csv, read_csv_rows
from hwnas.encodings.hat import hat_features
from hwnas.hardware.dataset_files import collected_target, read_sidecar
from hwnas.hardware.embedded import identity_device_id
from hwnas.predictors.dataset import LatencyDataset, from_hat_table

FORWARD_COLUMNS = ("latency_mean", "arch")


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
    """Read a latency CSV in HAT's layout or the project's forward-pass layout (see the module docstring), with
    the device it was measured on when its sidecar says (a predictor fitted on it records that device)."""
    return replace(_read_rows(Path(path)), device=_measured_device(Path(path)))


def _measured_device(path: Path) -> DeviceId | None:
    try:
        sidecar = read_sidecar(path)
    except DataError:  # a .json beside a plain CSV that is no sidecar
        return None
    return None if sidecar is None else identity_device_id(sidecar.get("device") or {})


def _read_rows(path: Path) -> LatencyDataset:
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
