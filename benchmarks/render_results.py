"""Render every results block of README.md and docs/*.md from the committed benchmark JSON files (figures are never
typed by hand). A block is the text between ``<!-- results:NAME -->`` and ``<!-- /results:NAME -->``; NAME is one of
``rendering.BLOCKS``.

python benchmarks/render_results.py            # print every block
python benchmarks/render_results.py --write    # rewrite the blocks in place
python benchmarks/render_results.py --check    # exit 1 when a block differs from what the JSON renders (CI's test)
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the benchmarks' own modules (rendering, summaries)
from rendering import BLOCKS
from rendering.common import ROOT

_BLOCK = re.compile(r"(<!-- results:(?P<name>[\w-]+) -->\n)(?P<body>.*?)(<!-- /results:(?P=name) -->)", re.DOTALL)


@dataclass(frozen=True)
class Block:
    path: Path
    name: str
    current: str
    rendered: str

    @property
    def stale(self) -> bool:
        return self.current != self.rendered


def documents() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def render_block(name: str) -> str:
    if name not in BLOCKS:
        raise SystemExit(f"unknown results block {name!r}; known: {', '.join(sorted(BLOCKS))}")
    return "\n".join(BLOCKS[name]()).rstrip() + "\n"


def blocks(paths: list[Path] | None = None) -> list[Block]:
    """Every marked block of the documents, with its current and its freshly rendered text."""
    found = []
    for path in paths or documents():
        for match in _BLOCK.finditer(path.read_text(encoding="utf-8")):
            found.append(Block(path, match["name"], match["body"], render_block(match["name"])))
    return found


def write(paths: list[Path] | None = None) -> list[Path]:
    """Rewrite every stale block in place; the files changed."""
    changed = []
    for path in paths or documents():
        text = path.read_text(encoding="utf-8")
        new = _BLOCK.sub(lambda m: m[1] + render_block(m["name"]) + m[4], text)
        if new != text:
            path.write_text(new, encoding="utf-8")
            changed.append(path)
    return changed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help="rewrite the blocks in place")
    mode.add_argument("--check", action="store_true", help="exit 1 when a block is out of date")
    args = parser.parse_args()
    if args.write:
        for path in write():
            print(f"updated {path.relative_to(ROOT)}")
        return
    found = blocks()
    if args.check:
        stale = [b for b in found if b.stale]
        for b in stale:
            print(f"{b.path.relative_to(ROOT)}: results block {b.name!r} is out of date", file=sys.stderr)
        if stale:
            raise SystemExit("run: python benchmarks/render_results.py --write")
        return
    for b in found:
        print(f"<!-- {b.path.relative_to(ROOT)}: {b.name} -->\n{b.rendered}")


if __name__ == "__main__":
    main()
