"""`python -m hwnas` runs the CLI (same as the `hwnas` console script)."""

from __future__ import annotations

from hwnas.cli.main import app

if __name__ == "__main__":
    app()
