"""HW-GPT-Bench as a benchmark API: ``Benchmark("gpt-s").query(archs, "latency", "h100")``.

One object per scale (gpt-s / gpt-m / gpt-l: the built-in spaces of those names). It reads the scale's measured
table once, answers archs that are rows of it exactly and every other arch from a surrogate per (metric, device)
(:mod:`hwnas.bench.surrogate`), fitted on first use and cached on disk (:mod:`hwnas.bench.store`). ``params`` and
``flops`` are counted, exactly, for any arch. Devices the user measured (:meth:`Benchmark.add_device`) join the
table's as latency devices. What each metric means, its column and unit: :mod:`hwnas.bench.catalog`.

Modes: ``mean`` (deterministic, draws nothing), ``interval`` (the central ``level`` interval, calibrated),
``sample`` (one seeded draw per arch; ``seed=None`` means seed 0, never an unseeded draw; one seed per arch makes
each arch's draw depend on its own seed alone, not on its position in the batch). See
:mod:`hwnas.bench.answers` for how exact rows and surrogate answers are made.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from hwnas.bench import catalog
from hwnas.bench import devices as userdev
from hwnas.bench.answers import Answer, Source, answer
from hwnas.bench.archs import ArchArrays, Grid, RowIndex, encode, from_table
from hwnas.bench.features import FEATURE_VERSION, features, penalised_columns
from hwnas.bench.store import CacheKey, SurrogateStore, file_sha256
from hwnas.bench.surrogate import MIN_ROWS, FitSettings, Surrogate, fit_surrogate
from hwnas.core.arch import Arch
from hwnas.core.errors import ConfigError, UnknownNameError
from hwnas.data.hwgpt_table import HwGptBenchTable, read_hwgptbench_csv

SCALES = ("gpt-s", "gpt-m", "gpt-l")
MODES = ("mean", "sample", "interval")


@dataclass(frozen=True)
class QueryResult:
    """One metric of a batch of archs, in query order (see the module doc for the modes)."""

    values: np.ndarray  # [n] the mean, or the draw (mode sample)
    low: np.ndarray | None  # [n] mode interval only
    high: np.ndarray | None  # [n] mode interval only
    exact: np.ndarray  # [n] bool: measured (a row of the data) or counted; False: the surrogate's answer
    metric: str
    device: str | None
    unit: str
    mode: str


@dataclass(frozen=True)
class FitSummary:
    """One surrogate made ready by :meth:`Benchmark.fit`: loaded from the cache or fitted now."""

    scale: str
    metric: str
    device: str | None
    rows: int
    cached: bool
    path: str
    cv_mape: float
    cv_kendall: float


def settings_for(metric: str, *, user_device: bool = False) -> FitSettings:
    """How a (metric, device)'s surrogate is fitted. Supernet quality depends on which layer is how wide (per-position
    columns refine the per-block counts); hardware costs add up per block kind, refined by hinges in the model's size
    (power does not add up). The refining blocks take the cross-validated penalty, the base ones next to none, which
    thousands of table rows support; a user's device has a few dozen measured archs, so every column is penalised."""
    if metric in catalog.QUALITY_METRICS:
        return FitSettings(blocks=("counts", "layers"), loss="l2", shrunk=("layers",))
    if user_device:
        return FitSettings(blocks=("counts", "analytic", "hinges"), loss="l1")
    return FitSettings(blocks=("counts", "analytic", "hinges"), loss="l1", shrunk=("hinges",))


def _table_path(scale: str) -> Path:
    from hwnas.data.registry import resolve

    return resolve("hwgptbench", f"hwgpt_{scale[-1]}.csv.gz")


def _default_cache() -> Path:
    from hwnas.data.registry import cache_dir

    return cache_dir() / "bench"


class Benchmark:
    """The benchmark of one scale; ``table_path`` replaces the registry's table (same layout) for tests."""

    def __init__(
        self, scale: str, *, cache_dir: str | Path | None = None, table_path: str | Path | None = None
    ) -> None:
        if scale not in SCALES:
            raise UnknownNameError("benchmark scale", scale, list(SCALES))
        from hwnas.spaces import get_space

        self.scale, self.space = scale, get_space(scale)
        self.grid = Grid.of(self.space)
        self.cache_dir = Path(cache_dir) if cache_dir is not None else _default_cache()
        path = Path(table_path) if table_path is not None else _table_path(scale)
        self._table: HwGptBenchTable = read_hwgptbench_csv(path, scale=scale[-1])
        self._table_sha = file_sha256(path)
        self._rows = from_table(self._table, self.grid)
        self._index = RowIndex(self._rows)
        self._columns = {(c.metric, c.device): c for c in catalog.table_columns(self._table.metrics) if self._has(c)}
        self._store = SurrogateStore(self.cache_dir / "surrogates")
        self._models: dict[tuple[str, str | None], tuple[Surrogate, FitSummary]] = {}
        self._sources: dict[tuple[str, str | None], Source] = {}
        self._shipped = {d.name: d for d in userdev.shipped_devices(scale)}
        added = [d for d in userdev.list_devices(self.cache_dir, scale) if d.name not in self._shipped]
        self._user = {**self._shipped, **{d.name: d for d in added}}

    def _has(self, column: catalog.Column) -> bool:
        values = self._table.metrics[column.mean]
        return int((np.isfinite(values) & (values > 0)).sum()) >= MIN_ROWS

    # what the benchmark offers -----------------------------------------------------------------------------------
    @property
    def metrics(self) -> tuple[str, ...]:
        present = {metric for metric, _ in self._columns} | set(catalog.ANALYTIC_METRICS)
        return tuple(m for m in catalog.METRICS if m in present)

    @property
    def user_devices(self) -> tuple[str, ...]:
        """Measured-latency devices beyond the table's: those hwnas ships (:attr:`shipped_devices`) and those added
        with :meth:`add_device`."""
        return tuple(sorted(self._user))

    @property
    def shipped_devices(self) -> tuple[str, ...]:
        """Devices the hwnas project measured and ships with the package (latency only)."""
        return tuple(sorted(self._shipped))

    def device_record(self, name: str) -> userdev.UserDevice:
        """The record (rows, provenance files) of a shipped or added device."""
        if name not in self._user:
            raise UnknownNameError(f"measured device of benchmark {self.scale}", name, list(self.user_devices))
        return self._user[name]

    @property
    def devices(self) -> tuple[str, ...]:
        table = {device for _, device in self._columns if device is not None}
        return tuple(d for d in catalog.TABLE_DEVICES if d in table) + self.user_devices

    def metric_devices(self, metric: str) -> tuple[str, ...]:
        """The devices of a per-device metric (empty for perplexity, accuracy, params, flops)."""
        catalog.check_metric(metric)
        table = tuple(d for d in catalog.TABLE_DEVICES if (metric, d) in self._columns)
        return table + (self.user_devices if metric == userdev.METRIC else ())

    def sample_arch(self, rng: np.random.Generator) -> Arch:
        """A uniformly random arch of :attr:`space` (every decision uniform, as HW-GPT-Bench sampled its table)."""
        return self.space.sample(rng)

    # queries -------------------------------------------------------------------------------------------------------
    def query(
        self,
        archs: Sequence[Arch | Mapping[str, Any]],
        metric: str,
        device: str | None = None,
        *,
        mode: str = "mean",
        seed: int | Sequence[int] | None = None,
        level: float = 0.8,
    ) -> QueryResult:
        """``metric`` of every arch (Arch objects of :attr:`space`, or mappings in HW-GPT-Bench's keys)."""
        drawn = _seeds(seed, len(archs))
        self._check(metric, device, mode, level, seed if isinstance(seed, int | np.integer) else None)
        if metric in catalog.ANALYTIC_METRICS:
            result = self._counted(archs, metric, mode)
        else:
            arrays = encode(archs, self.space, self.grid)
            result = answer(
                self.source(metric, device),
                arrays,
                lambda rest: self._model_input(metric, device, rest),
                mode=mode,
                seed=drawn,
                level=level,
            )
        return QueryResult(result.values, result.low, result.high, result.exact, metric, device,
                           catalog.UNITS[metric], mode)  # fmt: skip

    def _check(self, metric: str, device: str | None, mode: str, level: float, seed: int | None) -> None:
        if metric not in self.metrics:
            raise UnknownNameError(f"metric of benchmark {self.scale}", metric, list(self.metrics))
        allowed = self.metric_devices(metric)
        if not allowed and device is not None:
            raise ConfigError(f"metric {metric!r} does not depend on the device; drop device {device!r}")
        if allowed and device is None:
            raise ConfigError(f"metric {metric!r} is per device; give a device, one of: {', '.join(allowed)}")
        if device is not None and device not in allowed:
            raise UnknownNameError(f"device of {metric} on benchmark {self.scale}", device, list(allowed))
        if mode not in MODES:
            raise UnknownNameError("query mode", mode, list(MODES))
        if not 0.0 < level < 1.0:
            raise ConfigError(f"interval level {level!r} must lie strictly between 0 and 1")
        if seed is not None and (not isinstance(seed, int | np.integer) or seed < 0):
            raise ConfigError(f"seed {seed!r} must be a non-negative integer")

    def _counted(self, archs: Sequence[Arch | Mapping[str, Any]], metric: str, mode: str) -> Answer:
        """params / flops from the gpt family's counts: exact for any arch, no spread."""
        from hwnas.metrics import analytic_metrics

        encode(archs, self.space, self.grid)  # the same validation and errors as every metric
        made = [a if isinstance(a, Arch) else self.space.make(dict(a)) for a in archs]
        values = np.array([analytic_metrics(a, self.space)[metric] for a in made], dtype=np.float64)
        bounds = (values.copy(), values.copy()) if mode == "interval" else (None, None)
        return Answer(values, bounds[0], bounds[1], np.ones(len(made), dtype=bool))

    # data and surrogates ---------------------------------------------------------------------------------------
    def _settings(self, metric: str, device: str | None) -> FitSettings:
        return settings_for(metric, user_device=device in self._user)

    def source(self, metric: str, device: str | None) -> Source:
        """The measured values of (metric, device): a table column, or a user device's CSV (read once)."""
        if (metric, device) not in self._sources:
            if device is not None and device in self._user and metric == userdev.METRIC:
                rows, values, spread, sha = userdev.read_device(self._user[device], self.grid)
                source = Source(rows, RowIndex(rows), values, _spread(spread), sha)
            else:
                column = self._columns[(metric, device)]
                std = self._table.metrics[column.std] if column.std else None
                source = Source(
                    self._rows, self._index, self._table.metrics[column.mean], _spread(std), self._table_sha
                )
            self._sources[(metric, device)] = source
        return self._sources[(metric, device)]

    def _model_input(self, metric: str, device: str | None, rest: ArchArrays) -> tuple[Surrogate, np.ndarray]:
        model, _ = self._surrogate(metric, device)
        return model, features(rest, self.grid, self._settings(metric, device).blocks)

    def _surrogate(self, metric: str, device: str | None) -> tuple[Surrogate, FitSummary]:
        """The (metric, device)'s surrogate: memoised, else from the cache, else fitted now and cached."""
        if (metric, device) in self._models:
            return self._models[(metric, device)]
        source, settings = self.source(metric, device), self._settings(metric, device)
        key = CacheKey(self.scale, metric, device, source.sha256, FEATURE_VERSION, settings)
        cached = self._store.load(key)
        if cached is not None:
            model, report, path = cached.surrogate, cached.report, cached.path
        else:
            usable = np.flatnonzero(source.usable())
            design = features(source.rows.take(usable), self.grid, settings.blocks)
            std = None if source.std is None else source.std[usable]
            penalised = penalised_columns(self.grid, settings.blocks, settings.shrunk)
            model, fitted = fit_surrogate(design, source.values[usable], std, settings, penalised=penalised)
            path, report = self._store.save(key, model, fitted), fitted.to_dict()
        summary = FitSummary(self.scale, metric, device, int(report.get("rows", 0)), cached is not None, str(path),
                             float(report.get("cv_mape", np.nan)), float(report.get("cv_kendall", np.nan)))  # fmt: skip
        self._models[(metric, device)] = (model, summary)
        return model, summary

    def fit(self, metric: str | None = None, device: str | None = None) -> list[FitSummary]:
        """Make ready (load or fit, and cache) the surrogates of every (metric, device), or of those named."""
        if metric is not None and metric not in self.metrics:
            raise UnknownNameError(f"metric of benchmark {self.scale}", metric, list(self.metrics))
        allowed = self.devices if metric is None else self.metric_devices(metric)
        if device is not None and device not in allowed:
            raise UnknownNameError(f"device of benchmark {self.scale}", device, list(allowed))
        wanted = [m for m in self.metrics if m not in catalog.ANALYTIC_METRICS and metric in (None, m)]
        pairs = [(m, d) for m in wanted for d in (self.metric_devices(m) or (None,)) if device in (None, d)]
        return [self._surrogate(m, d)[1] for m, d in pairs]

    def add_device(self, name: str, csv_path: str | Path) -> userdev.UserDevice:
        """Add the latencies of a ``hwnas bench measure`` CSV as device ``name`` (persisted under the cache dir)."""
        record = userdev.add_device(
            self.cache_dir,
            self.space,
            self.grid,
            name,
            csv_path,
            reserved=catalog.TABLE_DEVICES,
            shipped=self.shipped_devices,
        )
        self._user[name] = record
        self._models.pop((userdev.METRIC, name), None)
        self._sources.pop((userdev.METRIC, name), None)
        return record


def _seeds(seed: int | Sequence[int] | np.ndarray | None, n: int) -> int | tuple[int, ...]:
    """Mode sample's seed: one for the batch (None: 0; checked by ``_check``), or one per arch, each a
    non-negative integer."""
    if seed is None or isinstance(seed, int | np.integer):
        return 0 if seed is None else int(seed)
    if not isinstance(seed, Sequence | np.ndarray):
        raise ConfigError(f"seed {seed!r} must be a non-negative integer, or one per arch")
    values = list(seed)
    if len(values) != n or not all(isinstance(s, int | np.integer) and s >= 0 for s in values):
        raise ConfigError(f"seed: give one non-negative integer per arch ({n}), or a single seed")
    return tuple(int(s) for s in values)


def _spread(std: np.ndarray | None) -> np.ndarray | None:
    """A std column, or None where it records no spread (all empty or all zero: a single run)."""
    if std is None or not np.any(np.isfinite(std) & (std > 0)):
        return None
    return std
