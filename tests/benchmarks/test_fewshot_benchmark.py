"""benchmarks/fewshot.py: the ``--quick`` run (task F0, every method but the GNN, one seed) end to end, its goals,
and the README / docs blocks rendered from it. Skips without HWNAS_DATA_DIR (HELP's tables)."""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from typing import Any

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
if str(BENCHMARKS) not in sys.path:
    sys.path.insert(0, str(BENCHMARKS))
fewshot = importlib.import_module("fewshot")
common = importlib.import_module("rendering.common")
rendering = importlib.import_module("rendering.fewshot")


@pytest.fixture(scope="module")
def quick(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("fewshot")
    path = fewshot.main(["--quick", "--results-dir", str(root)])
    return {"path": path, "data": json.loads(path.read_text())}


def test_quick_run_scores_every_method_on_the_same_samples(quick: dict[str, Any]) -> None:
    data = quick["data"]
    assert data["quick"] and data["settings"]["tasks"] == ["F0"] and data["settings"]["samples"] == [5, 20]
    methods = data["tasks"]["F0"]["methods"]
    assert set(methods) == {m for m in fewshot.METHODS if m != "gnn"}
    for records in methods.values():
        assert [(r["target"], r["samples"]) for r in records] == [
            ("fpga", 5), ("raspi4", 5), ("eyeriss", 5), ("mean", 5),
            ("fpga", 20), ("raspi4", 20), ("eyeriss", 20), ("mean", 20),
        ]  # fmt: skip
    goals = data["goals"]
    assert goals["assessed"] and set(goals["ahead_of_nasflat"]) == {"F0"} and goals["n0_at_20"]["met"] is None
    assert data["published"]["nasflat@20"]["tasks"]["F0"] == 0.961 and data["versions"]["hwnas"]


def test_the_blocks_render_from_the_newest_full_result(quick: dict[str, Any], tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.setattr(common, "RESULTS", tmp_path)
    monkeypatch.setattr(rendering, "relative", lambda path: path.name)
    assert rendering.fewshot() == rendering.NO_RESULT
    data = {**quick["data"], "quick": False}
    (tmp_path / "fewshot-20990101T000000Z.json").write_text(json.dumps(data))
    (tmp_path / "fewshot-20990102T000000Z.json").write_text(json.dumps(quick["data"]))  # newer, but quick
    readme, docs = "\n".join(rendering.fewshot_summary()), "\n".join(rendering.fewshot())
    for text in (readme, docs):
        assert "fewshot-20990101T000000Z.json" in text
    stack = next(r for r in data["tasks"]["F0"]["methods"]["stack"] if r["target"] == "mean" and r["samples"] == 20)
    assert f"| **stack (default)** | {stack['spearman_all']:.3f}" in readme.replace("**0.", "0.")
    assert "| NASFLAT (published, 20 samples) | 0.961 |" in readme
    assert "| F0 | raspi4 |" in docs and "@5 samples" in docs
