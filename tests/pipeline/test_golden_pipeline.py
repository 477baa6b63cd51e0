"""A whole pipeline run pinned: the real stages on a synthetic corpus with latency taken from a committed latency
CSV (measured once, so nothing is timed live), and the run's ``report/summary.json`` must equal the committed golden
file (same keys in the same order, lists and strings; floats to 1e-9 relative; wall times and the run folder's
path left out). A refactor of the pipeline that changes what a run trains, searches, chooses or reports fails here.

A deliberate change of behaviour regenerates the file and says why in its commit:
    python tests/pipeline/test_golden_pipeline.py --update
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

GOLDEN = Path(__file__).resolve().parent / "golden"
LATENCY_CSV = GOLDEN / "tiny-latency.csv"  # `hwnas latency collect --space tiny --n 24 --warmup 1 --runs 3`
SUMMARY = GOLDEN / "summary.json"
RUN_DIR = "<run>"  # the run folder's path, which differs per run, in the golden file


def _config(root: Path) -> Any:
    from hwnas.pipeline import parse_pipeline_config
    from hwnas.train.synthetic import write_reversal_corpus

    corpus = write_reversal_corpus(root / "corpus", train_pairs=200, valid_pairs=16)
    return parse_pipeline_config(
        {
            "run_dir": str(root / "run"),
            "space": "tiny",
            "device": "cpu",
            "seed": 3,
            "training": {
                "data": {"corpus": None, **corpus, "vocab_size": 100},
                "optim": {"lr": 1e-2, "warmup_steps": 4, "max_tokens": 512},
                "run": {"max_steps": 6, "log_every": 10, "valid_every": 30, "threads": 1, "checkpoint_every": 15},
            },
            "supernet": {"max_steps": 30},
            "latency": {"source": "dataset", "dataset": str(LATENCY_CSV)},
            "search": {
                "budget_quantiles": [0.3, 1.0],
                "iterations": 2,
                "population": 6,
                "parents": 2,
                "mutation_size": 2,
                "crossover_size": 2,
            },
            "retrain": {"max_steps": 30},
            "evaluate": {"split": None, "max_sentences": 6, "beam": 1},
            "baselines": ["uniform-shrink"],
        }
    )


def _normalised(value: Any, run_dir: str) -> Any:
    """``value`` with the run folder's path written as ``<run>`` and the per-stage wall times left out."""
    if isinstance(value, dict):
        return {k: _normalised(v, run_dir) for k, v in value.items() if k != "wall_s"}
    if isinstance(value, list):
        return [_normalised(v, run_dir) for v in value]
    if isinstance(value, str):
        return value.replace(run_dir, RUN_DIR)
    return value


def run_summary(root: Path) -> dict[str, Any]:
    import torch

    from hwnas.pipeline import run_pipeline

    config = _config(root)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        run_pipeline(config, quiet=True)
    finally:
        torch.set_num_threads(threads)
    summary = json.loads((Path(config.run_dir) / "report" / "summary.json").read_text(encoding="utf-8"))
    normalised: dict[str, Any] = _normalised(summary, config.run_dir)
    return normalised


def _same(got: Any, want: Any, where: str = "summary") -> None:
    """Equal, floats to 1e-5 relative: another CPU's BLAS rounds differently, and training carries that on (an AMD
    EPYC gave a valid loss 1e-7 relative off the Intel Xeon's golden value); a changed behaviour moves losses, BLEU
    and latencies by far more, and archs, ids and counts must match exactly."""
    if isinstance(want, float) and isinstance(got, float):
        assert got == pytest.approx(want, rel=1e-5, abs=1e-9), f"{where}: {got!r} != {want!r}"
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


def test_pipeline_summary_equals_the_golden_file(tmp_path: Path) -> None:
    assert SUMMARY.is_file(), f"no golden summary: run python {Path(__file__).name} --update"
    _same(run_summary(tmp_path), json.loads(SUMMARY.read_text(encoding="utf-8")))


if __name__ == "__main__":
    import tempfile

    if sys.argv[1:] != ["--update"]:
        raise SystemExit(__doc__)
    with tempfile.TemporaryDirectory() as tmp:
        SUMMARY.write_text(json.dumps(run_summary(Path(tmp)), indent=2) + "\n", encoding="utf-8")
    print(f"wrote {SUMMARY}")
