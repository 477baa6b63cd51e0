"""What every rendered section shares: where the result files are and how to pick the newest one of a kind."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "benchmarks" / "results"


def load(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{path} holds no JSON object"
    return data


def newest_first(prefix: str) -> Iterator[tuple[Path, dict[str, Any]]]:
    """Every ``<prefix>-<UTC stamp>.json`` result, newest first (the stamp sorts as a string)."""
    for path in sorted(RESULTS.glob(f"{prefix}-2*.json"), reverse=True):
        yield path, load(path)


def newest(prefix: str, *, device: str | None = None) -> tuple[Path, dict[str, Any]] | None:
    """The newest result of a kind; with ``device`` (cpu or cuda), the newest measured on such a machine."""
    for path, data in newest_first(prefix):
        gpu = data.get("machine", {}).get("gpu_name")
        if device is None or (device == "cuda") == bool(gpu):
            return path, data
    return None


def relative(path: Path) -> str:
    return str(path.relative_to(ROOT))


def percent(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}%}"
