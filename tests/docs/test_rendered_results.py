"""Every figure block in README.md and docs/*.md is what the committed benchmark JSON renders: a number typed by
hand, or a result file changed without re-rendering, fails here (fix: python benchmarks/render_results.py --write)."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
if str(BENCHMARKS) not in sys.path:
    sys.path.insert(0, str(BENCHMARKS))
render = importlib.import_module("render_results")


def test_the_readme_has_a_results_block() -> None:
    names = {(b.path.name, b.name) for b in render.blocks()}
    assert ("README.md", "readme") in names


@pytest.mark.parametrize("block", render.blocks(), ids=lambda b: f"{b.path.name}:{b.name}")
def test_block_matches_the_committed_results(block: object) -> None:
    assert not block.stale, (
        f"{block.path.name}: results block {block.name!r} is out of date; run render_results --write"
    )  # type: ignore[attr-defined]


def test_an_unknown_block_name_is_refused(tmp_path: Path) -> None:
    doc = tmp_path / "doc.md"
    doc.write_text("<!-- results:no-such-block -->\nold\n<!-- /results:no-such-block -->\n")
    with pytest.raises(SystemExit, match="unknown results block 'no-such-block'"):
        render.blocks([doc])


def test_write_replaces_only_the_block_body(tmp_path: Path) -> None:
    doc = tmp_path / "doc.md"
    doc.write_text("before\n<!-- results:llm-backends -->\nstale text\n<!-- /results:llm-backends -->\nafter\n")
    assert render.write([doc]) == [doc]
    text = doc.read_text()
    assert text.startswith("before\n<!-- results:llm-backends -->\n") and text.endswith(
        "<!-- /results:llm-backends -->\nafter\n"
    )
    assert "stale text" not in text and "median seconds per LLM-PP answer" in text
    assert render.write([doc]) == []  # idempotent
