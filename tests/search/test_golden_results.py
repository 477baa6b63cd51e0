"""Search results pinned: each case's ``result.json`` must equal the committed golden file (same keys, lists and
strings; floats to 1e-9 relative, for other CPUs' last bits), so a refactor that changes what a seeded search asks,
evaluates or reports fails here instead of drifting silently.

A deliberate change of behaviour regenerates the files and says why in its commit:
    python tests/search/test_golden_results.py --update
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

GOLDEN = Path(__file__).resolve().parent / "golden"
ACCEPTANCE = ["--space", "hat-wmt14ende", "--objective", "params:max", "--constraint", "flops<=3e9"]
CASES: dict[str, list[str]] = {
    "acceptance": ACCEPTANCE,  # the README's acceptance command
    "random-tiny": [
        *("--space", "tiny", "--algorithm", "random", "--objective", "params:max"),
        *("--iterations", "5", "--population", "20", "--parents", "5", "--seed", "3"),
    ],
    "local-two-constraints": [
        *("--space", "hat-wmt14ende", "--algorithm", "local", "--objective", "flops:min"),
        *("--constraint", "params>=4e7", "--constraint", "flops<=4e9", "--iterations", "10", "--seed", "2"),
    ],
    "pareto": [
        *("--space", "hat-wmt14ende", "--objective", "params:max", "--objective", "flops:min", "--iterations", "5"),
        *("--population", "30", "--parents", "10", "--mutation-size", "10", "--crossover-size", "10", "--seed", "4"),
    ],
    "shipped-latency-predictor": [
        *("--space", "hat-wmt14ende", "--objective", "params:max", "--constraint", "latency<=500"),
        *("--iterations", "5", "--population", "40", "--parents", "10", "--seed", "5"),
    ],
    "evaluation-budget": [*ACCEPTANCE, "--max-evaluations", "150", "--seed", "6"],
}


def _app() -> typer.Typer:
    from hwnas.cli import search_cmd

    app = typer.Typer()
    search_cmd.register(app)

    @app.callback()
    def root() -> None:
        """Keep `search` a named subcommand."""

    return app


def run_case(name: str, out: Path) -> bytes:
    result = CliRunner().invoke(_app(), ["search", *CASES[name], "--out", str(out)])
    assert result.exit_code == 0, result.output
    return (out / "result.json").read_bytes()


def _same(got: Any, want: Any, where: str = "result") -> None:
    """Equal, floats to 1e-9 relative (a predicted latency may differ in its last bits on another CPU's BLAS)."""
    if isinstance(want, float) and isinstance(got, float):
        assert got == pytest.approx(want, rel=1e-9, abs=1e-12), f"{where}: {got!r} != {want!r}"
    elif isinstance(want, dict) and isinstance(got, dict):
        assert list(got) == list(want), f"{where}: keys {list(got)} != {list(want)}"
        for key in want:
            _same(got[key], want[key], f"{where}.{key}")
    elif isinstance(want, list) and isinstance(got, list):
        assert len(got) == len(want), f"{where}: {len(got)} items != {len(want)}"
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            _same(g, w, f"{where}[{i}]")
    else:
        assert got == want, f"{where}: {got!r} != {want!r}"


@pytest.mark.parametrize("name", sorted(CASES))
def test_result_equals_the_golden_file(name: str, tmp_path: Path) -> None:
    golden = GOLDEN / f"{name}.json"
    assert golden.is_file(), f"no golden file for {name!r}: run python {Path(__file__).name} --update"
    _same(json.loads(run_case(name, tmp_path / "run")), json.loads(golden.read_bytes()))


if __name__ == "__main__":
    import tempfile

    if sys.argv[1:] != ["--update"]:
        raise SystemExit(__doc__)
    GOLDEN.mkdir(exist_ok=True)
    for case in sorted(CASES):
        with tempfile.TemporaryDirectory() as tmp:
            (GOLDEN / f"{case}.json").write_bytes(run_case(case, Path(tmp) / "run"))
            print(f"wrote {GOLDEN / f'{case}.json'}")
