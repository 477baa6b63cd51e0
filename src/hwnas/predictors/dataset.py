"""`LatencyDataset`: what a latency predictor is trained and scored on (latency per arch, with HAT's 10 averaged
features and/or the full archs), and HAT's own CSVs read as one.

The project's collected CSVs are read by :func:`hwnas.hardware.load_latency_csv`: which of their columns is the
target depends on the sidecar's estimator, and that is hardware's knowledge (hardware sits above predictors).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from hwnas.contracts.predictor import DeviceId
from hwnas.core.arch import Arch
from hwnas.core.errors import DataError
from hwnas.core.space import SearchSpace
from hwnas.data.tables import HatLatencyTable
from hwnas.encodings.hat import HAT_FEATURE_NORM


@dataclass(frozen=True, kw_only=True)
class LatencyDataset:
    latency: np.ndarray  # [n] ms: encoder + decoder (MT) or one forward pass
    features: np.ndarray | None = None  # [n, 10] HAT's raw averaged features (hat10-raw), when known
    archs: tuple[Arch, ...] | None = None  # full archs, when the file has an `arch` column
    latency_encoder: np.ndarray | None = None  # [n] ms (HAT layout only)
    latency_std: np.ndarray | None = None  # [n] ms, run-to-run std of the target
    source: str = ""
    device: DeviceId | None = None  # the device measured, when the file says (a collected dataset's sidecar)

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
