"""The user's path to a latency model of a new device (``hwnas fewshot pretrain|suggest|adapt``): pretrain on the
devices already measured, ask which archs to measure on the new one, read those measurements back.

Measurements are a CSV in either of two forms:

- what ``hwnas latency collect`` writes (its ``arch`` column and ``latency_mean``, read by
  :func:`hwnas.hardware.load_latency_csv`);
- ``arch_file,latency_ms`` rows: a path to an arch file (any form ``--arch FILE`` takes; relative paths are read
  from the CSV's folder) and the measured latency in ms. ``hwnas fewshot suggest`` writes such a CSV with the
  latency column empty, for the user to fill in.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from hwnas.core.arch import Arch
from hwnas.core.errors import ConfigError, DataError
from hwnas.core.files import write_text_atomic
from hwnas.core.space import SearchSpace
from hwnas.fewshot.model import FewShotPredictor
from hwnas.fewshot.samplers import DEFAULT_SAMPLER, SAMPLERS, check_count

SUGGEST_COLUMNS = ("arch_file", "latency_ms")


def read_measurements(path: str | Path, space: SearchSpace) -> tuple[list[Arch], np.ndarray]:
    """(archs, latency in ms) of a measurement CSV in either form (module docstring); every row checked."""
    from hwnas.data.tables import read_csv_rows

    path = Path(path)
    header, rows = read_csv_rows(path, ())
    if not rows:
        raise DataError(f"measurement CSV {str(path)!r} has a header but no rows")
    if all(c in header for c in SUGGEST_COLUMNS):
        return _read_arch_files(path, header, rows, space)
    from hwnas.hardware import load_latency_csv

    dataset = load_latency_csv(path)
    if not dataset.archs:
        raise DataError(
            f"measurement CSV {str(path)!r} has no arch column: give `hwnas latency collect`'s CSV or "
            f"{','.join(SUGGEST_COLUMNS)} rows"
        )
    for arch in dataset.archs:
        space.validate(arch)
    return list(dataset.archs), np.asarray(dataset.latency, dtype=np.float64)


def _read_arch_files(
    path: Path, header: list[str], rows: list[list[str]], space: SearchSpace
) -> tuple[list[Arch], np.ndarray]:
    from hwnas.encodings.archfile import load_arch_file

    at_file, at_value = header.index("arch_file"), header.index("latency_ms")
    archs, values = [], []
    for line, row in enumerate(rows, start=2):
        where = f"{str(path)!r} line {line}"
        if len(row) <= max(at_file, at_value):
            raise DataError(f"{where}: expected {len(header)} fields, got {len(row)}")
        try:
            value = float(row[at_value])
        except ValueError:
            raise DataError(f"{where}: latency_ms {row[at_value]!r} is not a number (ms)") from None
        if not np.isfinite(value) or value <= 0:
            raise DataError(f"{where}: latency_ms {row[at_value]!r} must be a finite number > 0 (ms)")
        file = Path(row[at_file].strip())
        if not row[at_file].strip():
            raise DataError(f"{where}: arch_file is empty")
        archs.append(load_arch_file(file if file.is_absolute() else path.parent / file, space))
        values.append(value)
    return archs, np.array(values)


def suggest(model: FewShotPredictor, n: int, *, seed: int = 0, sampler: str = DEFAULT_SAMPLER) -> list[Arch]:
    """``n`` archs to measure on the new device, drawn by ``sampler`` from the archs the sources measured."""
    if sampler not in SAMPLERS:
        from hwnas.core.errors import UnknownNameError

        raise UnknownNameError("few-shot sampler", sampler, sorted(SAMPLERS))
    pool = model.pool(seed)
    check_count(n, len(pool), f"the {model.space.name} archs the source devices measured")
    features = model.static_features(pool)
    rows = SAMPLERS[sampler](features, n, seed)
    return [pool[int(i)] for i in rows]


def write_suggestions(archs: list[Arch], out: Path) -> dict[str, str]:
    """``out`` (JSON lines, one arch per line), one arch file per arch in ``<out stem>/`` and
    ``<out stem>.csv`` (``arch_file,latency_ms`` with the latency empty, to fill in); returns the paths."""
    if out.suffix != ".jsonl":
        raise ConfigError(f"--out {str(out)!r}: give a .jsonl path (the CSV and arch files go beside it)")
    folder = out.with_suffix("")
    folder.mkdir(parents=True, exist_ok=True)
    lines, csv_rows = [], [",".join(SUGGEST_COLUMNS)]
    for i, arch in enumerate(archs):
        file = folder / f"arch-{i:03d}.json"
        write_text_atomic(file, json.dumps(arch.to_dict(), indent=1) + "\n")
        lines.append(json.dumps(arch.to_dict()))
        csv_rows.append(f"{folder.name}/{file.name},")
    table = out.with_suffix(".csv")
    write_text_atomic(table, "\n".join(csv_rows) + "\n")
    write_text_atomic(out, "\n".join(lines) + "\n")
    return {"archs": str(out), "csv": str(table), "arch_files": str(folder)}
